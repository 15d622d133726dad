"""Read models for the chair: reviews coming up, and the printable pre-review summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Max

from tracker.audit import AuditEvent
from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans import core_group_views, core_groups, handover, service
from tracker.plans.common import PlanPolicy
from tracker.plans.tables import (
    Conference,
    ConferenceInvitee,
    CoreGroupMeeting,
    Family,
    Plan,
    PlanMessage,
    ProgressUpdate,
)
from tracker.plans.visibility import EVERYONE, can_read, message_lead, readable
from tracker.staff.pages.common_queries import (
    names_for,
    plan_pictures,
    report_counts,
    report_state,
    reports_for,
    start_of_day,
)
from tracker.vocabulary import CONFERENCE_KIND_WORDS, PLAN_KIND_WORDS, REVIEW_KINDS

CHAIR_WEEKS = 8
"""The chair's dashboard looks this far ahead."""



async def chair_reviews(caller: Caller, now: datetime, policy: PlanPolicy, *,
                        weeks: int = CHAIR_WEEKS) -> list[dict[str, Any]]:
    """Conferences (initial and review) the caller chairs in the next weeks, each with its plan's
    progress, reports, the family's latest words and what the core groups found.

    A fixed number of queries however many conferences: each kind of record is read once for
    them all, never per conference.
    """
    today = local_date(now)
    conferences = await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at,
        Conference.family.as_alias("family_id"), Conference.family.name.as_alias("family_name"),
    ).where(
        (Conference.chair == caller.id)
        # A conference whose decision is recorded has happened: its reports are no longer due.
        & Conference.decision.is_null()
        & (Conference.starts_at >= start_of_day(today))
        & (Conference.starts_at < now + timedelta(weeks=weeks))
    ).order_by(Conference.starts_at)
    family_ids = sorted({c["family_id"] for c in conferences})
    plans = await _current_plans(family_ids)
    progress = await service.plans_progress([p["id"] for p in plans.values()], today=today)
    found = await core_group_views.findings_since_conference([p["id"] for p in plans.values()], now=now)
    reports = await _reports_by_conference([c["id"] for c in conferences], today)
    messages = await _latest_messages(caller.id, family_ids)
    activity = await _last_activity(family_ids)
    out = []
    for c in conferences:
        plan = plans.get(c["family_id"])
        out.append({
            **c,
            "kind_words": CONFERENCE_KIND_WORDS.get(c["kind"], c["kind"]),
            "is_review": c["kind"] in REVIEW_KINDS,
            "plan": plan,
            "progress": progress.get(plan["id"]) if plan else None,
            "core_groups": found.get(plan["id"], []) if plan else [],
            "reports": reports.get(c["id"], []),
            "report_counts": report_counts(reports.get(c["id"], [])),
            "messages": messages.get(c["family_id"], []),
            "last_activity": activity.get(c["family_id"]),
        })
    return out


async def _current_plans(family_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not family_ids:
        return {}
    rows = await Plan.select(
        Plan.id, Plan.version, Plan.family, Plan.kind,
        Plan.conference.kind.as_alias("conference_kind"),
        Plan.conference.starts_at.as_alias("conference_at"),
    ).where(Plan.family.is_in(family_ids) & (Plan.status == "active"))
    return {r["family"]: r for r in rows}


async def _reports_by_conference(conference_ids: list[int], today: date,
                                 ) -> dict[int, list[dict[str, Any]]]:
    if not conference_ids:
        return {}
    rows = await ConferenceInvitee.select(
        ConferenceInvitee.conference, ConferenceInvitee.user.as_alias("user_id"),
        ConferenceInvitee.user.name.as_alias("name"),
        ConferenceInvitee.user.agency.as_alias("agency"),
        ConferenceInvitee.report_due_on, ConferenceInvitee.report_submitted_at,
        ConferenceInvitee.report_file,
    ).where(ConferenceInvitee.conference.is_in(conference_ids)).order_by(ConferenceInvitee.id)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
        found[r.pop("conference")].append(r)
    return found


async def _latest_messages(reader_id: int, family_ids: list[int], per_family: int = 3,
                           ) -> dict[int, list[dict[str, Any]]]:
    """The family's latest words this reader may read (the one visibility rule), per family."""
    if not family_ids:
        return {}
    rows = await PlanMessage.select(
        PlanMessage.family, PlanMessage.body, PlanMessage.created_at,
        PlanMessage.member.name.as_alias("who"),
        PlanMessage.visibility, PlanMessage.author_user, message_lead(),
    ).where(PlanMessage.family.is_in(family_ids) & PlanMessage.author_user.is_null()
            ).order_by(PlanMessage.created_at, ascending=False)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in readable(reader_id, rows):
        if len(found[r["family"]]) < per_family:
            found[r["family"]].append(r)
    return found


async def _last_activity(family_ids: list[int]) -> dict[int, datetime | None]:
    if not family_ids:
        return {}
    rows = await AuditEvent.select(AuditEvent.family_id, Max(AuditEvent.at, alias="last")).where(
        AuditEvent.family_id.is_in(family_ids)).group_by(AuditEvent.family_id)
    return {r["family_id"]: _as_instant(r["last"]) for r in rows}


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite hands back text for an aggregate
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


async def overdue_core_groups(caller: Caller, now: datetime,
                              policy: PlanPolicy) -> list[dict[str, Any]]:
    """Current child protection plans of families whose conferences the caller chairs, whose
    next core group is past its date with none booked (three queries)."""
    chaired = await Conference.select(Conference.family).where(Conference.chair == caller.id)
    family_ids = sorted({r["family"] for r in chaired})
    if not family_ids:
        return []
    plans = await Plan.select(
        Plan.id, Plan.family, Plan.family.name.as_alias("family_name"),
        Plan.conference.kind.as_alias("conference_kind"),
        Plan.conference.starts_at.as_alias("conference_at"),
    ).where(Plan.family.is_in(family_ids) & (Plan.status == "active")
            & (Plan.kind == "child_protection")).order_by(Plan.id)
    if not plans:
        return []
    starts: dict[int, list[datetime]] = defaultdict(list)
    for m in await CoreGroupMeeting.select(CoreGroupMeeting.plan, CoreGroupMeeting.starts_at).where(
            CoreGroupMeeting.plan.is_in([p["id"] for p in plans])):
        starts[m["plan"]].append(m["starts_at"])
    today = local_date(now)
    out = []
    for p in plans:
        state = core_groups.rhythm(conference_kind=p["conference_kind"],
                                   conference_at=p["conference_at"], meetings=starts[p["id"]],
                                   now=now, rules=policy.statutory)
        if state.overdue(today):
            out.append({**p, "next_by": state.next_by, "last_met_at": state.last_met_at})
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
            ProgressUpdate.visibility,
        ).where(ProgressUpdate.action.is_in(action_ids)).order_by(
            ProgressUpdate.created_at, ProgressUpdate.id
        ):
            # The summary is printed and taken to the conference: core-group words only.
            if not can_read(EVERYONE, r):
                continue
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
    messages = readable(EVERYONE, await PlanMessage.select(
        PlanMessage.body, PlanMessage.created_at, PlanMessage.channel,
        PlanMessage.member.name.as_alias("who"), PlanMessage.visibility,
    ).where((PlanMessage.family == plan["family_id"]) & PlanMessage.author_user.is_null())
        .order_by(PlanMessage.created_at))
    return {
        "plan": plan, "family": family, "history": history,
        "kind_words": PLAN_KIND_WORDS.get(plan["kind"], plan["kind"]),
        "names": await names_for(plan),
        "held": held, "upcoming": upcoming,
        "upcoming_words": CONFERENCE_KIND_WORDS.get(upcoming["kind"], "") if upcoming else "",
        "reports": reports, "report_counts": report_counts(reports),
        "messages": messages,
        "pictures": await plan_pictures(plan, today),
        "core_groups": (await core_group_views.findings_since_conference([plan_id], now=now))[plan_id],
        "now": now,
    }


async def add_leaver_flags(reviews: list[dict[str, Any]]) -> dict[int, str]:
    """Put each review's leaver flag (work held by people who have left) on it, in one query;
    returns the leavers' names."""
    flags, names = await handover.flags_and_names_for_families([r["family_id"] for r in reviews])
    for r in reviews:
        r["leaver_flag"] = flags.get(r["family_id"])
    return names
