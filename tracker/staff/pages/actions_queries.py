"""Read models for my actions (/actions) and the family page: cards, family news, invitations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from tracker.clock import local_date
from tracker.errors import NotFound
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.access import can_manage_family, visible_family_ids
from tracker.plans.tables import (
    Action,
    Conference,
    ConferenceInvitee,
    Family,
    Plan,
    PlanMessage,
    ProgressUpdate,
)
from tracker.plans.visibility import EVERYONE, message_lead, readable, update_lead
from tracker.staff.pages.common_queries import report_state, start_of_day
from tracker.vocabulary import CONFERENCE_KIND_WORDS, OPEN_STATUSES

SOON_DAYS = 14
"""An open action due within this many days is 'due soon'."""

NEWS_DAYS = 28
"""Family updates and messages from this many days back are shown on /actions."""


def urgency(due_on: date | None, status: str, today: date) -> str:
    """overdue, soon or later, for an open action."""
    if status in OPEN_STATUSES and due_on is not None:
        if due_on < today:
            return "overdue"
        if due_on <= today + timedelta(days=SOON_DAYS):
            return "soon"
    return "later"


async def _action_cards(where: Any, today: date) -> list[dict[str, Any]]:
    """Actions (with family, outcome and latest update) shaped for an action card."""
    rows = await Action.select(
        Action.id, Action.description, Action.status, Action.due_on, Action.success_measure,
        Action.support_offered, Action.updated_at, Action.owner_user,
        Action.plan.as_alias("plan_id"),
        Action.plan.family.as_alias("family_id"),
        Action.plan._.family._.name.as_alias("family_name"),
        Action.outcome.statement.as_alias("outcome_statement"),
        Action.support_by.name.as_alias("support_by_name"),
    ).where(where).order_by(Action.due_on, Action.id)
    latest = await latest_updates([r["id"] for r in rows])
    for r in rows:
        r["urgency"] = urgency(r["due_on"], r["status"], today)
        r["latest_update"] = latest.get(r["id"])
    return rows


async def latest_updates(action_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest progress update for each action."""
    if not action_ids:
        return {}
    rows = await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.action, ProgressUpdate.note,
        ProgressUpdate.to_status, ProgressUpdate.created_at,
        ProgressUpdate.author_user.name.as_alias("user_name"),
        ProgressUpdate.author_member.name.as_alias("member_name"),
        ProgressUpdate.visibility,
    ).where(ProgressUpdate.action.is_in(action_ids)).order_by(ProgressUpdate.created_at,
                                                              ProgressUpdate.id)
    out: dict[int, dict[str, Any]] = {}
    # A card may be seen by anyone on the family's case: core-group notes only.
    for r in readable(EVERYONE, rows):
        r["author"] = r["user_name"] or r["member_name"] or ""
        out[r["action"]] = r
    return out


async def action_card(action_id: int, today: date) -> dict[str, Any]:
    """One action card (after an update)."""
    rows = await _action_cards(Action.id == action_id, today)
    if not rows:
        raise NotFound(f"action {action_id}")
    return rows[0]


def _group_by_family(cards: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[int, dict[str, Any]] = {}
    for c in cards:
        g = groups.setdefault(c["family_id"], {"family_id": c["family_id"],
                                               "family_name": c["family_name"], "actions": []})
        g["actions"].append(c)
    return list(groups.values())


async def my_actions(caller: Caller, today: date) -> dict[str, Any]:
    """The caller's open actions on current plans: overdue, due soon, later; each by family."""
    cards = await _action_cards(
        (Action.owner_user == caller.id) & (Action.plan.status == "active")
        & Action.status.is_in(sorted(OPEN_STATUSES)),
        today,
    )
    sections = []
    for key, heading in (("overdue", "Overdue"),
                         ("soon", f"Due in the next {SOON_DAYS} days"),
                         ("later", "Later")):
        mine = [c for c in cards if c["urgency"] == key]
        sections.append({"key": key, "heading": heading, "count": len(mine),
                         "families": _group_by_family(mine)})
    return {"total": len(cards), "sections": sections}


async def my_family_ids(caller: Caller) -> list[int]:
    """Families on the caller's desk: those they may see (for admins: lead or own actions)."""
    visible = await visible_family_ids(caller)
    if visible is None:
        lead = await Family.select(Family.id).where(Family.lead_professional == caller.id)
        owns = await Action.select(Action.plan.family.as_alias("family_id")).where(
            Action.owner_user == caller.id)
        visible = {r["id"] for r in lead} | {r["family_id"] for r in owns}
    if not visible:
        return []
    open_rows = await Family.select(Family.id).where(
        Family.id.is_in(sorted(visible)) & (Family.status == "open"))
    return sorted(r["id"] for r in open_rows)


def needs_help(note: str) -> bool:
    """A family update asking for help (the family page's 'I need help with this')."""
    return "need help" in (note or "").lower() or "needs help" in (note or "").lower()


async def family_news(caller: Caller, now: datetime, *, days: int = NEWS_DAYS,
                      per_family: int = 8) -> list[dict[str, Any]]:
    """Recent progress updates by family members and family messages, per family, newest first."""
    family_ids = await my_family_ids(caller)
    if not family_ids:
        return []
    since = now - timedelta(days=days)
    names = {r["id"]: r["name"] for r in await Family.select(Family.id, Family.name).where(
        Family.id.is_in(family_ids))}
    updates = readable(caller.id, await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.note, ProgressUpdate.to_status,
        ProgressUpdate.created_at, ProgressUpdate.visibility, ProgressUpdate.author_user,
        update_lead(),
        ProgressUpdate.author_member.name.as_alias("member_name"),
        ProgressUpdate.action.description.as_alias("action_description"),
        ProgressUpdate.action._.plan._.family.as_alias("family_id"),
    ).where(
        ProgressUpdate.author_member.is_not_null()
        & (ProgressUpdate.created_at >= since)
        & ProgressUpdate.action._.plan._.family.is_in(family_ids)
    ).order_by(ProgressUpdate.created_at, ascending=False))
    messages = readable(caller.id, await PlanMessage.select(
        PlanMessage.id, PlanMessage.body, PlanMessage.created_at, PlanMessage.family,
        PlanMessage.channel, PlanMessage.member.name.as_alias("member_name"),
        PlanMessage.visibility, PlanMessage.author_user, message_lead(),
    ).where(PlanMessage.family.is_in(family_ids) & (PlanMessage.created_at >= since)
            & PlanMessage.author_user.is_null()).order_by(
        PlanMessage.created_at, ascending=False))
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for u in updates:
        items[u["family_id"]].append({
            "kind": "update", "at": u["created_at"], "who": u["member_name"] or "",
            "text": u["note"], "to_status": u["to_status"],
            "about": u["action_description"], "needs_help": needs_help(u["note"]),
        })
    for m in messages:
        items[m["family"]].append({
            "kind": "message", "at": m["created_at"], "who": m["member_name"] or "",
            "text": m["body"], "to_status": None, "about": "", "needs_help": needs_help(m["body"]),
            "channel": m["channel"],
        })
    out = []
    for family_id in sorted(items, key=lambda f: max(i["at"] for i in items[f]), reverse=True):
        rows = sorted(items[family_id], key=lambda i: i["at"], reverse=True)[:per_family]
        out.append({"family_id": family_id, "family_name": names.get(family_id, ""),
                    "items": rows, "help_count": sum(1 for i in rows if i["needs_help"])})
    return out


async def my_invitations(caller: Caller, now: datetime) -> list[dict[str, Any]]:
    """Conferences ahead that the caller is invited to, with their report's state."""
    today = local_date(now)
    rows = await ConferenceInvitee.select(
        ConferenceInvitee.id, ConferenceInvitee.report_due_on,
        ConferenceInvitee.report_submitted_at, ConferenceInvitee.report_file,
        ConferenceInvitee.conference.as_alias("conference_id"),
        ConferenceInvitee.conference.kind.as_alias("kind"),
        ConferenceInvitee.conference.starts_at.as_alias("starts_at"),
        ConferenceInvitee.conference.family.as_alias("family_id"),
        ConferenceInvitee.conference._.family._.name.as_alias("family_name"),
    ).where(
        (ConferenceInvitee.user == caller.id)
        & (ConferenceInvitee.conference.starts_at >= start_of_day(today))
    ).order_by(ConferenceInvitee.conference.starts_at)
    for r in rows:
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
        r["kind_words"] = CONFERENCE_KIND_WORDS.get(r["kind"], r["kind"])
    return rows


async def invitation(conference_id: int, user_id: int) -> dict[str, Any] | None:
    """The caller's invitation to one conference (None when not invited)."""
    return await ConferenceInvitee.select(
        ConferenceInvitee.id, ConferenceInvitee.conference.starts_at.as_alias("starts_at"),
        ConferenceInvitee.conference.family.as_alias("family_id"),
    ).where((ConferenceInvitee.conference == conference_id)
            & (ConferenceInvitee.user == user_id)).first()


async def family_page(family_id: int, caller: Caller) -> dict[str, Any]:
    """The family, its conferences and plans, and whether the caller may change them."""
    family = await service.family_view(family_id)
    plans = await Plan.select(Plan.id, Plan.kind, Plan.status, Plan.version,
                              Plan.started_at).where(Plan.family == family_id).order_by(
        Plan.version, ascending=False)
    conferences = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at, Conference.decision,
        Conference.chair.name.as_alias("chair_name"),
    ).where(Conference.family == family_id).order_by(Conference.starts_at, ascending=False)
    lead = None
    if family["lead_professional_id"]:
        lead = (await StaffUser.select(StaffUser.name).where(
            StaffUser.id == family["lead_professional_id"]).first() or {}).get("name")
    return {"family": family, "plans": plans, "conferences": conferences, "lead_name": lead,
            "can_manage": await can_manage_family(caller, family_id)}
