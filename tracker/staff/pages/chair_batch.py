"""The chair's dashboard read in a fixed number of queries, however many reviews it shows.

Each loader takes every review's family or conference at once and answers a dict by id, so
`chair_reviews` runs the same seven queries for one review as for fifty.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Max

from tracker.audit import AuditEvent
from tracker.plans.progress import progress_of
from tracker.plans.tables import Action, ConferenceInvitee, Outcome, Plan, PlanMessage
from tracker.staff.pages.common_queries import report_state

RECENT_MESSAGES = 3


async def active_plans(family_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each family's active plan (id, version), by family id."""
    rows = await Plan.select(Plan.id, Plan.version, Plan.family).where(
        Plan.family.is_in(family_ids or [0]) & (Plan.status == "active")).order_by(Plan.id)
    plans: dict[int, dict[str, Any]] = {}
    for r in rows:
        plans.setdefault(r.pop("family"), r)
    return plans


async def progress_by_plan(plan_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """Each plan's progress (as `plan_progress` gives it), by plan id: two queries in all."""
    outcomes = await Outcome.select(Outcome.id, Outcome.statement, Outcome.plan).where(
        Outcome.plan.is_in(plan_ids or [0])).order_by(Outcome.position, Outcome.id)
    actions = await Action.select(
        Action.id, Action.outcome, Action.status, Action.due_on, Action.plan,
    ).where(Action.plan.is_in(plan_ids or [0]))
    outcomes_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for o in outcomes:
        outcomes_of[o["plan"]].append(o)
    actions_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in actions:
        actions_of[a["plan"]].append(a)
    return {pid: progress_of(pid, outcomes_of[pid], actions_of[pid], today=today)
            for pid in plan_ids}


async def reports_by_conference(conference_ids: list[int], today: date) -> dict[int, list[dict[str, Any]]]:
    """Invited professionals with their report's due date and state, by conference id."""
    rows = await ConferenceInvitee.select(
        ConferenceInvitee.conference,
        ConferenceInvitee.user.as_alias("user_id"),
        ConferenceInvitee.user.name.as_alias("name"),
        ConferenceInvitee.user.agency.as_alias("agency"),
        ConferenceInvitee.report_due_on, ConferenceInvitee.report_submitted_at,
        ConferenceInvitee.report_file,
    ).where(ConferenceInvitee.conference.is_in(conference_ids or [0])).order_by(ConferenceInvitee.id)
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
        out[r.pop("conference")].append(r)
    return out


async def recent_messages(family_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each family's latest few messages, newest first, by family id."""
    rows = await PlanMessage.select(
        PlanMessage.family, PlanMessage.body, PlanMessage.created_at,
        PlanMessage.member.name.as_alias("who"),
    ).where(PlanMessage.family.is_in(family_ids or [0])).order_by(
        PlanMessage.created_at, ascending=False)
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        family = r.pop("family")
        if len(out[family]) < RECENT_MESSAGES:
            out[family].append(r)
    return out


async def last_activity(family_ids: list[int]) -> dict[int, datetime]:
    """When anything about each family last changed (from the audit trail), by family id."""
    rows = await AuditEvent.select(AuditEvent.family_id, Max(AuditEvent.at, alias="last")).where(
        AuditEvent.family_id.is_in(family_ids or [0])).group_by(AuditEvent.family_id)
    out = {}
    for r in rows:
        value = r["last"]
        if isinstance(value, str):  # SQLite hands back text for an aggregate
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        out[r["family_id"]] = value
    return out
