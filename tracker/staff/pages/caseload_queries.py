"""Read models for the caseload (`/families`): one page of the families the caller may see.

A page costs the same three queries however many families there are: the page of families
with how many match and every column but two (the access rule, the search, the filter, current
plans, next conferences, overdue actions and last words from the family in one SQL statement),
the page's core group meetings, and work held by people who have left with their names.
No query runs per family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from tracker.clock import local_date
from tracker.people.caller import Caller
from tracker.plans import handover
from tracker.plans.access import (
    VISIBLE_FAMILY_IDS_SQL,
    VISIBLE_PLACEHOLDERS,
    VISIBLE_TO_CALLER_SQL,
)
from tracker.plans.common import PlanPolicy
from tracker.plans.core_groups import rhythm
from tracker.plans.tables import (
    CoreGroupMeeting,
    Family,
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


def _visible_clause() -> str:
    """The access rule on family `f` (tracker.plans.access). On PostgreSQL as an array of the
    ids worked out first, then looked up by primary key: given `f.id IN (…)`, it guessed
    hundreds of families and read all of them (50,000, 15 ms a page, in England-sized data)."""
    engine: Any = engine_finder()
    if engine is not None and engine.engine_type == "postgres":
        return "f.id = ANY(ARRAY(" + VISIBLE_FAMILY_IDS_SQL + "))"
    return VISIBLE_TO_CALLER_SQL


def _where(caller: Caller, query: CaseloadQuery) -> tuple[str, list[Any]]:
    """The WHERE clause on family `f` (access rule, filter, search) and its values."""
    clauses = ["1 = 1"]
    args: list[Any] = []
    if not caller.is_admin:
        clauses.append(_visible_clause())
        args += [caller.id] * VISIBLE_PLACEHOLDERS
    if query.mine_only:
        clauses.append("f.lead_professional = {}")
        args.append(caller.id)
    if query.search:
        clauses.append(
            "(LOWER(f.name) LIKE {} ESCAPE '\\' OR LOWER(f.reference) LIKE {} ESCAPE '\\')")
        args += [_like(query.search)] * 2
    return " AND ".join(clauses), args


# One page of the caseload with every column but the core groups and leavers: the page of
# families (access rule, filter and search in `where`, with how many match in all as a window
# count), each with its current plan, next conference, overdue actions and when the family
# last said something (a message, or an update on one of their steps).
_PAGE_SQL = """
WITH page AS (
    SELECT f.id, COUNT(*) OVER () AS total_n,
           ROW_NUMBER() OVER (ORDER BY LOWER(f.name), f.id) AS n
    FROM family f WHERE {where}
    ORDER BY LOWER(f.name), f.id LIMIT {{}} OFFSET {{}}
)
SELECT f.id, f.name, f.reference, f.status, f.lead_professional AS lead_id,
       u.name AS lead_name, page.total_n,
       cp.id AS plan_id, cp.kind AS plan_kind,
       pc.kind AS conference_kind, pc.starts_at AS conference_at,
       nc.id AS next_id, nc.kind AS next_kind, nc.starts_at AS next_at,
       (SELECT COUNT(*) FROM action a JOIN plan ap ON ap.id = a.plan
         WHERE ap.family = f.id AND ap.status = 'active' AND a.due_on < {{}}
           AND a.status IN ({{}}, {{}})) AS overdue,
       (SELECT MAX(pm.created_at) FROM plan_message pm
         WHERE pm.family = f.id AND pm.member IS NOT NULL) AS message_at,
       (SELECT MAX(pu.created_at) FROM plan up JOIN action ua ON ua.plan = up.id
         JOIN progress_update pu ON pu.action = ua.id
         WHERE up.family = f.id AND pu.author_member IS NOT NULL) AS update_at
FROM page
JOIN family f ON f.id = page.id
LEFT JOIN staff_user u ON u.id = f.lead_professional
LEFT JOIN plan cp ON cp.id = (SELECT MAX(p.id) FROM plan p
                              WHERE p.family = f.id AND p.status = 'active')
LEFT JOIN conference pc ON pc.id = cp.conference
LEFT JOIN conference nc ON nc.id = (SELECT c.id FROM conference c
                                    WHERE c.family = f.id AND c.starts_at >= {{}}
                                    ORDER BY c.starts_at, c.id LIMIT 1)
ORDER BY page.n
"""
_OPEN = sorted(OPEN_STATUSES)
assert len(_OPEN) == 2, "the SQL above names two open statuses"


async def _families_page(caller: Caller, query: CaseloadQuery, now: datetime,
                         ) -> tuple[int, list[dict[str, Any]]]:
    # `where` is built from constant clauses only; every value is a bound parameter.
    where, args = _where(caller, query)
    rows = await Family.raw(_PAGE_SQL.format(where=where), *args, PAGE_SIZE,
                            (query.page - 1) * PAGE_SIZE, local_date(now), *_OPEN, now)
    if rows:
        return int(rows[0]["total_n"]), list(rows)
    if query.page == 1:
        return 0, []
    # Past the last page: how many there are, for the way back.
    counted = await Family.raw(f"SELECT COUNT(*) AS n FROM family f WHERE {where}", *args)  # noqa: S608
    return (int(counted[0]["n"]) if counted else 0), []


def _as_datetime(value: Any) -> datetime | None:
    """An aggregate's timestamp (SQLite hands back text for one), in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


async def _core_group_starts(family_ids: Sequence[int]) -> dict[int, list[datetime]]:
    """Every core group meeting's start, by plan, for the page's families (one query)."""
    starts: dict[int, list[datetime]] = {}
    for r in await CoreGroupMeeting.raw(
            "SELECT m.plan, m.starts_at FROM core_group_meeting m WHERE m.family IN ("  # noqa: S608
            + ", ".join("{}" for _ in family_ids) + ")", *family_ids):
        at = _as_datetime(r["starts_at"])
        if at is not None:  # starts_at is NOT NULL: always
            starts.setdefault(r["plan"], []).append(at)
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
    total, families = await _families_page(caller, query, now)
    ids = [f["id"] for f in families]
    meetings: dict[int, list[datetime]] = {}
    leavers: dict[int, handover.LeaverFlag] = {}
    names: dict[int, str] = {}
    if ids:
        meetings = await _core_group_starts(ids)
        leavers, names = await handover.flags_and_names_for_families(ids)
    rows = []
    for f in families:
        plan = None
        if f["plan_id"] is not None:
            plan = {"id": f["plan_id"], "kind": f["plan_kind"],
                    "conference_kind": f["conference_kind"],
                    "conference_at": _as_datetime(f["conference_at"])}
        contact = [at for at in (_as_datetime(f["message_at"]), _as_datetime(f["update_at"]))
                   if at is not None]
        rows.append({
            "id": f["id"], "name": f["name"], "reference": f["reference"],
            "status": f["status"], "lead_id": f["lead_id"], "lead_name": f["lead_name"],
            "plan": plan,
            "next_conference": None if f["next_id"] is None else {
                "id": f["next_id"], "kind": f["next_kind"],
                "starts_at": _as_datetime(f["next_at"])},
            "next_core_group": next_core_group(
                plan, meetings.get(plan["id"], []) if plan else [], now=now, policy=policy),
            "overdue": int(f["overdue"] or 0),
            "last_contact": max(contact) if contact else None,
            "leaver_flag": leavers.get(f["id"]),
            "can_hand_over": caller.is_admin or f["lead_id"] == caller.id,
        })
    pages = max(1, -(-total // PAGE_SIZE))
    return {"rows": rows, "total": total, "pages": pages, "leaver_names": names}
