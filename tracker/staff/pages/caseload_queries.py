"""Read models for the caseload (`/families`): one page of the families the caller may see.

A page costs the same few queries however many families there are: the count, the page of
families (the access rule, the search and the filter in one SQL statement), then one query per
column for the whole page (current plans, next conferences, overdue actions, last words from the
family, core group meetings, work held by people who have left, and those people's names).
No query runs per family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Max

from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans import handover
from tracker.plans.access import VISIBLE_PLACEHOLDERS, VISIBLE_TO_CALLER_SQL
from tracker.plans.common import PlanPolicy
from tracker.plans.core_groups import rhythm
from tracker.plans.tables import (
    Action,
    Conference,
    CoreGroupMeeting,
    Family,
    Plan,
    PlanMessage,
    ProgressUpdate,
)
from tracker.vocabulary import OPEN_STATUSES

PAGE_SIZE = 25
"""Families on one page of the caseload."""
MAX_PAGE = 10_000
"""The highest page number the caseload accepts (250,000 families)."""
SEARCH_MAX = 100
"""The longest search the caseload accepts."""


@dataclass(frozen=True)
class CaseloadQuery:
    """What the caseload's GET form asked for (already checked)."""

    search: str = ""
    mine_only: bool = False
    page: int = 1


def _like(search: str) -> str:
    """A LIKE pattern matching the search anywhere, with % _ and \\ taken literally."""
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(caller: Caller, query: CaseloadQuery) -> tuple[str, list[Any]]:
    """The WHERE clause on family `f` (access rule, filter, search) and its values."""
    clauses = ["1 = 1"]
    args: list[Any] = []
    if not caller.is_admin:
        clauses.append(VISIBLE_TO_CALLER_SQL)
        args += [caller.id] * VISIBLE_PLACEHOLDERS
    if query.mine_only:
        clauses.append("f.lead_professional = {}")
        args.append(caller.id)
    if query.search:
        clauses.append(
            "(LOWER(f.name) LIKE {} ESCAPE '\\' OR LOWER(f.reference) LIKE {} ESCAPE '\\')")
        args += [_like(query.search)] * 2
    return " AND ".join(clauses), args


async def _families_page(caller: Caller, query: CaseloadQuery) -> tuple[int, list[dict[str, Any]]]:
    # `where` is built from constant clauses only; every value is a bound parameter.
    where, args = _where(caller, query)
    counted = await Family.raw(f"SELECT COUNT(*) AS n FROM family f WHERE {where}", *args)  # noqa: S608
    total = int(counted[0]["n"]) if counted else 0
    page_sql = (
        "SELECT f.id, f.name, f.reference, f.status, f.lead_professional AS lead_id, "  # noqa: S608
        "u.name AS lead_name FROM family f LEFT JOIN staff_user u ON u.id = f.lead_professional "
        f"WHERE {where} ORDER BY LOWER(f.name), f.id LIMIT {{}} OFFSET {{}}")
    rows = await Family.raw(page_sql, *args, PAGE_SIZE, (query.page - 1) * PAGE_SIZE)
    return total, list(rows)


def _as_datetime(value: Any) -> datetime | None:
    """An aggregate's timestamp (SQLite hands back text for one), in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


async def _current_plans(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = await Plan.select(
        Plan.family.as_alias("family_id"), Plan.id, Plan.kind,
        Plan.conference.kind.as_alias("conference_kind"),
        Plan.conference.starts_at.as_alias("conference_at"),
    ).where(Plan.family.is_in(list(ids)) & (Plan.status == "active"))
    return {r["family_id"]: r for r in rows}


async def _next_conferences(ids: Sequence[int], now: datetime) -> dict[int, dict[str, Any]]:
    rows = await Conference.select(
        Conference.family.as_alias("family_id"), Conference.id, Conference.kind,
        Conference.starts_at,
    ).where(Conference.family.is_in(list(ids)) & (Conference.starts_at >= now)).order_by(
        Conference.starts_at)
    soonest: dict[int, dict[str, Any]] = {}
    for r in rows:
        soonest.setdefault(r["family_id"], r)
    return soonest


async def _overdue_counts(ids: Sequence[int], today: date) -> dict[int, int]:
    rows = await Action.select(
        Action.plan.family.as_alias("family_id"), Count(Action.id, alias="n"),
    ).where(
        Action.plan.family.is_in(list(ids)) & (Action.plan.status == "active")
        & (Action.due_on < today) & Action.status.is_in(sorted(OPEN_STATUSES))
    ).group_by(Action.plan.family)
    return {r["family_id"]: int(r["n"]) for r in rows}


async def _last_contact(ids: Sequence[int]) -> dict[int, datetime]:
    """When each family last said something: a message, or an update on one of their steps."""
    messages = await PlanMessage.select(
        PlanMessage.family.as_alias("family_id"), Max(PlanMessage.created_at, alias="at"),
    ).where(PlanMessage.family.is_in(list(ids)) & PlanMessage.member.is_not_null()).group_by(
        PlanMessage.family)
    # Two joins deep: Piccolo's stubs type the second hop loosely.
    family: Any = ProgressUpdate.action.plan.family  # type: ignore[union-attr]
    updates = await ProgressUpdate.select(
        family.as_alias("family_id"), Max(ProgressUpdate.created_at, alias="at"),
    ).where(family.is_in(list(ids)) & ProgressUpdate.author_member.is_not_null()).group_by(family)
    last: dict[int, datetime] = {}
    for r in [*messages, *updates]:
        at = _as_datetime(r["at"])
        if at is not None and (r["family_id"] not in last or at > last[r["family_id"]]):
            last[r["family_id"]] = at
    return last


async def _core_group_starts(plans: dict[int, dict[str, Any]]) -> dict[int, list[datetime]]:
    """Every core group meeting's start, by plan, for the page's current plans (one query)."""
    plan_ids = [p["id"] for p in plans.values()]
    starts: dict[int, list[datetime]] = {}
    if plan_ids:
        for r in await CoreGroupMeeting.select(CoreGroupMeeting.plan, CoreGroupMeeting.starts_at).where(
                CoreGroupMeeting.plan.is_in(plan_ids)):
            starts.setdefault(r["plan"], []).append(r["starts_at"])
    return starts


def next_core_group(plan: dict[str, Any] | None, starts: list[datetime], *, now: datetime,
                    policy: PlanPolicy) -> dict[str, Any] | None:
    """The next core group of a child protection plan: the one booked, or the latest date the
    next should meet by (the first within the statutory working days of an initial
    conference, then at most the set interval apart), and whether that date has passed."""
    if plan is None or plan["kind"] != "child_protection":
        return None
    found = rhythm(conference_kind=plan["conference_kind"], conference_at=plan["conference_at"],
                   meetings=starts, now=now, rules=policy.statutory)
    return {"booked_at": found.booked_at, "by": found.next_by,
            "overdue": found.overdue(local_date(now))}


async def caseload(caller: Caller, query: CaseloadQuery, *, now: datetime,
                   policy: PlanPolicy) -> dict[str, Any]:
    """One page of the caseload: the rows, how many families match, and how many pages."""
    total, families = await _families_page(caller, query)
    ids = [f["id"] for f in families]
    plans: dict[int, dict[str, Any]] = {}
    conferences: dict[int, dict[str, Any]] = {}
    overdue: dict[int, int] = {}
    contact: dict[int, datetime] = {}
    meetings: dict[int, list[datetime]] = {}
    leavers: dict[int, handover.LeaverFlag] = {}
    if ids:
        plans = await _current_plans(ids)
        meetings = await _core_group_starts(plans)
        conferences = await _next_conferences(ids, now)
        overdue = await _overdue_counts(ids, local_date(now))
        contact = await _last_contact(ids)
        leavers = await handover.flags_for_families(ids)
    rows = [{
        **f,
        "plan": plans.get(f["id"]),
        "next_conference": conferences.get(f["id"]),
        "next_core_group": next_core_group(
            plans.get(f["id"]), meetings.get(plans[f["id"]]["id"], []) if f["id"] in plans else [],
            now=now, policy=policy),
        "overdue": overdue.get(f["id"], 0),
        "last_contact": contact.get(f["id"]),
        "leaver_flag": leavers.get(f["id"]),
        "can_hand_over": caller.is_admin or f["lead_id"] == caller.id,
    } for f in families]
    pages = max(1, -(-total // PAGE_SIZE))
    return {"rows": rows, "total": total, "pages": pages,
            "leaver_names": await handover.leaver_names(list(leavers.values()))}
