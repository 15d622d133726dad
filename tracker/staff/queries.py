"""Read models for the staff pages: my actions, family news, the chair's reviews, the summary.

Handlers stay thin: each page asks one function here (or in tracker.plans.service) for
what it shows. Access is decided before these run, through tracker.plans.access.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Max

from tracker.audit import AuditEvent
from tracker.clock import LONDON, local_date
from tracker.errors import NotFound
from tracker.people.caller import Caller, parse_roles
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.access import can_manage_family, visible_family_ids
from tracker.plans.tables import (
    Action,
    Child,
    Conference,
    ConferenceInvitee,
    Family,
    FamilyMember,
    Plan,
    PlanMessage,
    ProgressUpdate,
)
from tracker.staff import charts
from tracker.vocabulary import (
    CONFERENCE_KIND_WORDS,
    DECISION_WORDS,
    OPEN_STATUSES,
    PLAN_KIND_WORDS,
    REVIEW_KINDS,
)

__all__ = ["CONFERENCE_KIND_WORDS", "DECISION_WORDS", "PLAN_KIND_WORDS", "REVIEW_KINDS"]

SOON_DAYS = 14
"""An open action due within this many days is 'due soon'."""

NEWS_DAYS = 28
"""Family updates and messages from this many days back are shown on /actions."""

CHAIR_WEEKS = 8
"""The chair's dashboard looks this far ahead."""



def start_of_day(day: date) -> datetime:
    """Midnight in London on a date, as a UTC instant."""
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


# ---------------------------------------------------------------- my actions


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
    ).where(ProgressUpdate.action.is_in(action_ids)).order_by(ProgressUpdate.created_at,
                                                              ProgressUpdate.id)
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
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
    updates = await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.note, ProgressUpdate.to_status,
        ProgressUpdate.created_at,
        ProgressUpdate.author_member.name.as_alias("member_name"),
        ProgressUpdate.action.description.as_alias("action_description"),
        ProgressUpdate.action._.plan._.family.as_alias("family_id"),
    ).where(
        ProgressUpdate.author_member.is_not_null()
        & (ProgressUpdate.created_at >= since)
        & ProgressUpdate.action._.plan._.family.is_in(family_ids)
    ).order_by(ProgressUpdate.created_at, ascending=False)
    messages = await PlanMessage.select(
        PlanMessage.id, PlanMessage.body, PlanMessage.created_at, PlanMessage.family,
        PlanMessage.channel, PlanMessage.member.name.as_alias("member_name"),
    ).where(PlanMessage.family.is_in(family_ids) & (PlanMessage.created_at >= since)).order_by(
        PlanMessage.created_at, ascending=False)
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


def report_state(due_on: date | None, submitted_at: datetime | None, today: date) -> str:
    """in (on time), in_late, late (not in, past due) or due (not in yet, still time)."""
    if submitted_at is not None:
        if due_on is not None and local_date(submitted_at) > due_on:
            return "in_late"
        return "in"
    if due_on is not None and today > due_on:
        return "late"
    return "due"


REPORT_STATE_WORDS = {
    "in": "Received",
    "in_late": "Received after the due date",
    "late": "Not received yet (past due)",
    "due": "Not received yet",
}


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


async def report_file(conference_id: int, user_id: int) -> str | None:
    """Where a professional's attached report for a conference is kept (None when no file)."""
    row = await ConferenceInvitee.select(ConferenceInvitee.report_file).where(
        (ConferenceInvitee.conference == conference_id) & (ConferenceInvitee.user == user_id)
    ).first()
    return row["report_file"] if row else None


# ---------------------------------------------------------------- conferences and plans


async def family_row(family_id: int) -> dict[str, Any] | None:
    """A family's id and name."""
    return await Family.select(Family.id, Family.name).where(Family.id == family_id).first()


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


async def conference_page(conference_id: int, now: datetime) -> dict[str, Any]:
    """A conference with its family, chair name, plan, and the language check of each step."""
    conference = await service.conference_view(conference_id)
    family = await Family.select(Family.id, Family.name).where(
        Family.id == conference["family_id"]).first()
    chair = None
    if conference["chair_id"]:
        chair = (await StaffUser.select(StaffUser.name).where(
            StaffUser.id == conference["chair_id"]).first() or {}).get("name")
    active_plan = await Plan.select(Plan.id, Plan.version).where(
        (Plan.family == conference["family_id"]) & (Plan.status == "active")).first()
    findings = {field: service.check_language(conference[field])
                for field in service.STEP_FIELDS}
    today = local_date(now)
    files = {r["user_id"]: r["report_file"] for r in await reports_for(conference_id, today)}
    for i in conference["invitees"]:
        i["state"] = report_state(i["report_due_on"], i["report_submitted_at"], today)
        i["report_file"] = files.get(i["user_id"])
    return {
        "conference": conference, "family": family, "chair_name": chair,
        "kind_words": CONFERENCE_KIND_WORDS.get(conference["kind"], conference["kind"]),
        "active_plan": active_plan, "findings": findings,
        "held": conference["starts_at"] <= now,
    }


async def owner_choices(family_id: int) -> dict[str, list[dict[str, Any]]]:
    """Who can own an action: active professionals, and family adults safe to contact."""
    staff = await service.staff_directory()
    members = await FamilyMember.select(
        FamilyMember.id, FamilyMember.name, FamilyMember.relationship
    ).where((FamilyMember.family == family_id)
            & (FamilyMember.safe_to_contact == True)).order_by(FamilyMember.id)  # noqa: E712
    return {"staff": staff, "members": members}


async def names_for(plan: dict[str, Any]) -> dict[str, dict[int, str]]:
    """Names of children, adults and professionals a plan page mentions."""
    children = await Child.select(Child.id, Child.name).where(Child.family == plan["family_id"])
    members = await FamilyMember.select(FamilyMember.id, FamilyMember.name).where(
        FamilyMember.family == plan["family_id"])
    staff = await StaffUser.select(StaffUser.id, StaffUser.name)
    return {"children": {c["id"]: c["name"] for c in children},
            "members": {m["id"]: m["name"] for m in members},
            "staff": {s["id"]: s["name"] for s in staff}}


async def revision_changes(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]] | None:
    """What a review changed: actions carried forward, closed (left behind), and new."""
    if not plan["previous_plan_id"]:
        return None
    current = [a for o in plan["outcomes"] for a in o["actions"]]
    carried_ids = {a["carried_from"] for a in current if a["carried_from"]}
    previous = await Action.select(Action.id, Action.description, Action.status).where(
        Action.plan == plan["previous_plan_id"]).order_by(Action.id)
    return {
        "carried": [a for a in current if a["carried_from"]],
        "closed": [a for a in previous if a["id"] not in carried_ids],
        "new": [a for a in current if not a["carried_from"]],
    }


async def status_history(plan_id: int, *, start: date, end: date) -> list[charts.StatusPoint]:
    """The plan's action statuses day by day, from the progress updates."""
    actions = await Action.select(Action.id, Action.created_at, Action.status).where(
        (Action.plan == plan_id) & (Action.status != "cancelled"))
    updates = await ProgressUpdate.select(
        ProgressUpdate.action, ProgressUpdate.from_status, ProgressUpdate.to_status,
        ProgressUpdate.created_at,
    ).where(ProgressUpdate.action.is_in([a["id"] for a in actions] or [0]))
    return charts.status_series(actions, updates, start=start, end=end)


async def plan_pictures(plan: dict[str, Any], today: date) -> dict[str, Any]:
    """Both charts for a plan, with the figures for their text alternatives."""
    progress = await service.plan_progress(plan["id"], today=today)
    bars = charts.outcome_bars_from_progress(progress)
    start = local_date(plan["started_at"])
    series = await status_history(plan["id"], start=start, end=max(today, start))
    return {
        "progress": progress,
        "bars": bars,
        "outcome_svg": charts.outcome_progress_svg(bars),
        "series_points": charts.key_points(series),
        "status_svg": charts.status_over_time_svg(series),
    }


async def plan_page(plan_id: int, caller: Caller, today: date) -> dict[str, Any]:
    """Everything the plan page shows."""
    plan = await service.plan_view(plan_id, today=today)
    family = await Family.select(Family.id, Family.name).where(
        Family.id == plan["family_id"]).first()
    conference = await Conference.select(Conference.id, Conference.kind,
                                         Conference.starts_at).where(
        Conference.id == plan["conference_id"]).first()
    return {
        "plan": plan, "family": family, "conference": conference,
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
        "names": await names_for(plan),
        "changes": await revision_changes(plan),
        "pictures": await plan_pictures(plan, today),
        "can_manage": await can_manage_family(caller, plan["family_id"]),
        "owners": await owner_choices(plan["family_id"]),
        "children": await Child.select(Child.id, Child.name).where(
            Child.family == plan["family_id"]).order_by(Child.id),
    }


# ---------------------------------------------------------------- the chair


async def last_activity(family_id: int) -> datetime | None:
    """When anything about the family last changed (from the audit trail)."""
    row = await AuditEvent.select(Max(AuditEvent.at, alias="last")).where(
        AuditEvent.family_id == family_id).first()
    value = row["last"] if row else None
    if isinstance(value, str):  # SQLite hands back text for an aggregate
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def reports_for(conference_id: int, today: date) -> list[dict[str, Any]]:
    """Invited professionals with their report's due date and state."""
    rows = await ConferenceInvitee.select(
        ConferenceInvitee.user.as_alias("user_id"),
        ConferenceInvitee.user.name.as_alias("name"),
        ConferenceInvitee.user.agency.as_alias("agency"),
        ConferenceInvitee.report_due_on, ConferenceInvitee.report_submitted_at,
        ConferenceInvitee.report_file,
    ).where(ConferenceInvitee.conference == conference_id).order_by(ConferenceInvitee.id)
    for r in rows:
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
    return rows


def report_counts(reports: list[dict[str, Any]]) -> dict[str, int]:
    """Reports in, and how many are late (in after the due date, or not in past it)."""
    return {
        "invited": len(reports),
        "received": sum(1 for r in reports if r["state"] in ("in", "in_late")),
        "late": sum(1 for r in reports if r["state"] in ("in_late", "late")),
    }


async def chair_reviews(caller: Caller, now: datetime, *,
                        weeks: int = CHAIR_WEEKS) -> list[dict[str, Any]]:
    """Review conferences the caller chairs in the next weeks, each with its plan's progress."""
    today = local_date(now)
    conferences = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at,
        Conference.family.as_alias("family_id"), Conference.family.name.as_alias("family_name"),
    ).where(
        (Conference.chair == caller.id) & Conference.kind.is_in(list(REVIEW_KINDS))
        & (Conference.starts_at >= start_of_day(today))
        & (Conference.starts_at < now + timedelta(weeks=weeks))
    ).order_by(Conference.starts_at)
    out = []
    for c in conferences:
        plan = await Plan.select(Plan.id, Plan.version).where(
            (Plan.family == c["family_id"]) & (Plan.status == "active")).first()
        progress = await service.plan_progress(plan["id"], today=today) if plan else None
        reports = await reports_for(c["id"], today)
        messages = await PlanMessage.select(
            PlanMessage.body, PlanMessage.created_at, PlanMessage.member.name.as_alias("who"),
        ).where(PlanMessage.family == c["family_id"]).order_by(
            PlanMessage.created_at, ascending=False).limit(3)
        out.append({
            **c,
            "kind_words": CONFERENCE_KIND_WORDS.get(c["kind"], c["kind"]),
            "plan": plan,
            "progress": progress,
            "reports": reports,
            "report_counts": report_counts(reports),
            "messages": messages,
            "last_activity": await last_activity(c["family_id"]),
        })
    return out


async def review_summary(plan_id: int, now: datetime) -> dict[str, Any]:
    """The pre-review summary: outcomes, every action's history, the family's voice, reports."""
    today = local_date(now)
    plan = await service.plan_view(plan_id, today=today)
    family = await Family.select(Family.id, Family.name).where(
        Family.id == plan["family_id"]).first()
    action_ids = [a["id"] for o in plan["outcomes"] for a in o["actions"]]
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if action_ids:
        for r in await ProgressUpdate.select(
            ProgressUpdate.action, ProgressUpdate.from_status, ProgressUpdate.to_status,
            ProgressUpdate.note, ProgressUpdate.created_at, ProgressUpdate.channel,
            ProgressUpdate.author_user.name.as_alias("user_name"),
            ProgressUpdate.author_member.name.as_alias("member_name"),
        ).where(ProgressUpdate.action.is_in(action_ids)).order_by(
            ProgressUpdate.created_at, ProgressUpdate.id
        ):
            r["author"] = r["user_name"] or r["member_name"] or "The tracker"
            r["by_family"] = bool(r["member_name"])
            history[r["action"]].append(r)
    held = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at, Conference.family_description,
        Conference.children_views, Conference.family_reflections,
    ).where((Conference.family == plan["family_id"]) & (Conference.starts_at <= now)).order_by(
        Conference.starts_at, ascending=False).first()
    upcoming = await Conference.select(Conference.id, Conference.kind, Conference.starts_at).where(
        (Conference.family == plan["family_id"]) & (Conference.starts_at > now)).order_by(
        Conference.starts_at).first()
    reports = await reports_for(upcoming["id"], today) if upcoming else []
    messages = await PlanMessage.select(
        PlanMessage.body, PlanMessage.created_at, PlanMessage.channel,
        PlanMessage.member.name.as_alias("who"),
    ).where(PlanMessage.family == plan["family_id"]).order_by(PlanMessage.created_at)
    return {
        "plan": plan, "family": family, "history": history,
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
        "names": await names_for(plan),
        "held": held, "upcoming": upcoming,
        "upcoming_words": CONFERENCE_KIND_WORDS.get(upcoming["kind"], "") if upcoming else "",
        "reports": reports, "report_counts": report_counts(reports),
        "messages": messages,
        "pictures": await plan_pictures(plan, today),
        "now": now,
    }


# ---------------------------------------------------------------- arranging and editing


async def arranging_people() -> dict[str, list[dict[str, Any]]]:
    """Active chairs, and every active professional who could be invited."""
    people = await service.staff_directory()
    return {"chairs": [p for p in people if "chair" in parse_roles(p["roles"])],
            "professionals": people}


async def arrange_choices(family_id: int) -> dict[str, Any]:
    """What the arrange-a-conference form offers: chairs, professionals, the statutory hint."""
    plan = await Plan.select(Plan.id, Plan.conference).where(
        (Plan.family == family_id) & (Plan.status == "active")).first()
    current = await service.conference_view(plan["conference"]) if plan else None
    return {
        "family": await family_row(family_id),
        **await arranging_people(),
        "kinds": list(CONFERENCE_KIND_WORDS.items()),
        "report_days": service.statutory_rules().report_working_days_before,
        "current_plan": plan,
        "agreed_review_on": current["next_review_on"] if current else None,
        "latest_review_on": current["statutory"]["latest_next_review_on"] if current else None,
    }


async def action_edit(action_id: int, today: date) -> dict[str, Any]:
    """An action with its plan, family and the people who could own it, for the edit page."""
    action = await service.action_view(action_id, today=today)
    plan = await service.plan_view(action["plan_id"], today=today)
    return {
        "action": action,
        "plan": {"id": plan["id"], "status": plan["status"],
                 "next_review_on": plan["next_review_on"]},
        "family": await family_row(plan["family_id"]),
        "owners": await owner_choices(plan["family_id"]),
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
    }
