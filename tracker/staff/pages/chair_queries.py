"""Read models for the chair: reviews coming up, and the printable pre-review summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tracker.audit import AuditEvent
from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans import core_group_views, core_groups, handover, service
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import CORE_GROUP_TEXT_FIELDS
from tracker.plans.tables import (
    Conference,
    ConferenceInvitee,
    CoreGroupMeeting,
    Family,
    Plan,
    PlanMessage,
    ProgressUpdate,
)
from tracker.plans.visibility import EVERYONE, can_read, readable
from tracker.staff.pages.common_queries import (
    names_for,
    plan_pictures,
    report_counts,
    report_state,
    reports_for,
    start_of_day,
)
from tracker.staff.pages.kept import Version, read_version, version_sql
from tracker.vocabulary import CONFERENCE_KIND_WORDS, PLAN_KIND_WORDS, REVIEW_KINDS

CHAIR_WEEKS = 8
"""The chair's dashboard looks this far ahead (to the end of that day)."""

# Every family the dashboard can show: those with a conference the caller chairs (its reviews
# and the core groups overdue are both drawn from them).
_VERSION_SQL = version_sql("SELECT DISTINCT cc.family AS id FROM conference cc WHERE cc.chair = {}")


async def chair_version(caller: Caller) -> Version:
    """The dashboard's version (tracker.staff.pages.kept): read before its data."""
    return await read_version(_VERSION_SQL, caller.id)



_REVIEWS_SQL = """
SELECT c.id, c.kind, c.starts_at, c.family AS family_id, f.name AS family_name,
       cp.id AS plan_id, cp.version AS plan_version, cp.kind AS plan_kind
FROM conference c
JOIN family f ON f.id = c.family
LEFT JOIN plan cp ON cp.id = (SELECT MAX(p.id) FROM plan p
                              WHERE p.family = c.family AND p.status = 'active')
WHERE c.chair = {} AND c.decision IS NULL AND c.starts_at >= {} AND c.starts_at < {}
ORDER BY c.starts_at, c.id
"""


async def chair_reviews(caller: Caller, now: datetime, policy: PlanPolicy, *,
                        weeks: int = CHAIR_WEEKS) -> list[dict[str, Any]]:
    """Conferences (initial and review) the caller chairs in the next weeks, each with its plan's
    progress, reports, the family's latest words and what the core groups found.

    A fixed number of queries however many conferences (none included): each kind of record is
    read once for them all, never per conference.
    """
    today = local_date(now)
    # A conference whose decision is recorded has happened: its reports are no longer due.
    # To the end of the day: the list changes with the day, never within one.
    conferences = await Conference.raw(_REVIEWS_SQL, caller.id, start_of_day(today),
                                       start_of_day(today + timedelta(weeks=weeks, days=1)))
    family_ids = sorted({c["family_id"] for c in conferences}) or [0]  # no family has id 0
    plan_ids = sorted({c["plan_id"] for c in conferences if c["plan_id"] is not None}) or [0]
    progress = await service.plans_progress(plan_ids, today=today)
    found = await _findings(plan_ids, now)
    reports = await _reports_by_conference([c["id"] for c in conferences] or [0], today)
    messages = await _latest_messages(caller.id, family_ids)
    activity = await _last_activity(family_ids)
    out = []
    for c in conferences:
        plan = None
        if c["plan_id"] is not None:
            plan = {"id": c["plan_id"], "version": c["plan_version"], "kind": c["plan_kind"]}
        out.append({
            "id": c["id"], "kind": c["kind"], "starts_at": _as_instant(c["starts_at"]),
            "family_id": c["family_id"], "family_name": c["family_name"],
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


def _marks(ids: list[int]) -> str:
    return ", ".join("{}" for _ in ids)


async def _findings(plan_ids: list[int], now: datetime) -> dict[int, list[dict[str, Any]]]:
    """What the core groups found on each plan: the meetings held and recorded, oldest first,
    with the actions they reviewed (two queries)."""
    held = f"m.plan IN ({_marks(plan_ids)}) AND m.starts_at <= {{}} AND m.recorded_at IS NOT NULL"
    # Constant text and "{}" placeholders only; every value is a bound parameter.
    meetings = await CoreGroupMeeting.raw(
        f"SELECT m.id, m.plan, m.starts_at, {', '.join('m.' + f for f in CORE_GROUP_TEXT_FIELDS)} "  # noqa: S608
        f"FROM core_group_meeting m WHERE {held} ORDER BY m.starts_at, m.id", *plan_ids, now)
    reviews = await CoreGroupMeeting.raw(
        "SELECT r.meeting, r.status, r.note, a.description FROM core_group_action_review r "  # noqa: S608
        "JOIN core_group_meeting m ON m.id = r.meeting LEFT JOIN action a ON a.id = r.action "
        f"WHERE {held} ORDER BY r.id", *plan_ids, now)
    by_meeting: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in reviews:
        by_meeting[r["meeting"]].append({"description": r["description"] or "",
                                         "status": r["status"], "note": r["note"]})
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in meetings:
        found[m["plan"]].append({**m, "starts_at": _as_instant(m["starts_at"]),
                                 "action_reviews": by_meeting[m["id"]]})
    return found


async def _reports_by_conference(conference_ids: list[int], today: date,
                                 ) -> dict[int, list[dict[str, Any]]]:
    rows = await ConferenceInvitee.raw(
        'SELECT ci.conference, ci."user" AS user_id, u.name, u.agency, ci.report_due_on, '  # noqa: S608
        "ci.report_submitted_at, ci.report_file FROM conference_invitee ci "
        'JOIN staff_user u ON u.id = ci."user" '
        f"WHERE ci.conference IN ({_marks(conference_ids)}) ORDER BY ci.id", *conference_ids)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        r["report_due_on"] = _as_day(r["report_due_on"])
        r["report_submitted_at"] = _as_instant(r["report_submitted_at"])
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
        found[r.pop("conference")].append(r)
    return found


async def _latest_messages(reader_id: int, family_ids: list[int], per_family: int = 3,
                           ) -> dict[int, list[dict[str, Any]]]:
    """The family's latest words this reader may read (the one visibility rule), per family."""
    rows = await PlanMessage.raw(
        "SELECT pm.family, pm.body, pm.created_at, m.name AS who, pm.visibility, "  # noqa: S608
        "pm.author_user, f.lead_professional AS lead_id FROM plan_message pm "
        "JOIN family f ON f.id = pm.family LEFT JOIN family_member m ON m.id = pm.member "
        f"WHERE pm.family IN ({_marks(family_ids)}) AND pm.author_user IS NULL "
        "ORDER BY pm.created_at DESC, pm.id DESC", *family_ids)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in readable(reader_id, rows):
        if len(found[r["family"]]) < per_family:
            r["created_at"] = _as_instant(r["created_at"])
            found[r["family"]].append(r)
    return found


async def _last_activity(family_ids: list[int]) -> dict[int, datetime | None]:
    """When anything last changed for each family: the newest of its audit events, each read
    from the end of the audit_event (family_id, at) index."""
    rows = await AuditEvent.raw(
        "SELECT f.id AS family_id, (SELECT MAX(a.at) FROM audit_event a "  # noqa: S608
        "WHERE a.family_id = f.id) AS last FROM family f "
        f"WHERE f.id IN ({_marks(family_ids)})", *family_ids)
    return {r["family_id"]: _as_instant(r["last"]) for r in rows if r["last"] is not None}


def _as_day(value: Any) -> date | None:
    if isinstance(value, str):  # SQLite, where a column's type is not known
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite hands back text for an aggregate
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


async def overdue_core_groups(caller: Caller, now: datetime, policy: PlanPolicy,
                              ) -> tuple[list[dict[str, Any]], datetime | None]:
    """Current child protection plans of families whose conferences the caller chairs, whose
    next core group is past its date with none booked (two queries); and the soonest start of a
    meeting booked for any of them (from then on it has been held, and the list may change)."""
    plans = await Plan.raw(
        "SELECT p.id, p.family, f.name AS family_name, c.kind AS conference_kind, "
        "c.starts_at AS conference_at FROM plan p JOIN family f ON f.id = p.family "
        "LEFT JOIN conference c ON c.id = p.conference "
        "WHERE p.family IN (SELECT cc.family FROM conference cc WHERE cc.chair = {}) "
        "AND p.status = 'active' AND p.kind = 'child_protection' ORDER BY p.id", caller.id)
    for p in plans:
        p["conference_at"] = _as_instant(p["conference_at"])
    plan_ids = [p["id"] for p in plans] or [0]
    starts: dict[int, list[datetime]] = defaultdict(list)
    for m in await CoreGroupMeeting.raw(
            "SELECT m.plan, m.starts_at FROM core_group_meeting m "  # noqa: S608
            f"WHERE m.plan IN ({_marks(plan_ids)})", *plan_ids):
        at = _as_instant(m["starts_at"])
        if at is not None:  # starts_at is NOT NULL: always
            starts[m["plan"]].append(at)
    today = local_date(now)
    out = []
    booked: list[datetime] = []
    for p in plans:
        state = core_groups.rhythm(conference_kind=p["conference_kind"],
                                   conference_at=p["conference_at"], meetings=starts[p["id"]],
                                   now=now, rules=policy.statutory)
        if state.booked_at is not None:
            booked.append(state.booked_at)
        if state.overdue(today):
            out.append({**p, "next_by": state.next_by, "last_met_at": state.last_met_at})
    return out, min(booked, default=None)


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
    # No family has id 0: asked the same way with no reviews, the page's queries stay fixed.
    flags, names = await handover.flags_and_names_for_families(
        [r["family_id"] for r in reviews] or [0])
    for r in reviews:
        r["leaver_flag"] = flags.get(r["family_id"])
    return names
