"""Read models for my actions (/actions) and the family page: cards, family news, invitations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tracker.clock import local_date
from tracker.errors import NotFound
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.access import VISIBLE_FAMILY_IDS_SQL, VISIBLE_PLACEHOLDERS, can_manage_family
from tracker.plans.tables import (
    Action,
    Conference,
    ConferenceInvitee,
    Family,
    Plan,
)
from tracker.plans.visibility import CORE_GROUP, EVERYONE, can_read, readable
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


CARDS_PER_PAGE = 20
"""Action cards on one page of /actions, soonest due first; the counts cover them all."""

_OPEN = sorted(OPEN_STATUSES)

# One action card's columns, with its newest progress note anyone on the case may read
# (tracker.plans.visibility: a card is read by everyone on the family's case, so core-group
# notes only; `can_read(EVERYONE, …)` checks the chosen row again below). `mine` is a set of
# action ids (a CTE or a one-row SELECT) with the order the cards are shown in as `n`.
_CARD_SQL = """
SELECT a.id, a.description, a.status, a.due_on, a.success_measure, a.support_offered,
       a.updated_at, a.owner_user, a.plan AS plan_id, p.family AS family_id,
       f.name AS family_name, o.statement AS outcome_statement, s.name AS support_by_name,
       u.id AS update_id, u.note AS update_note, u.to_status AS update_to_status,
       u.created_at AS update_created_at, u.visibility AS update_visibility,
       uu.name AS update_user_name, um.name AS update_member_name{extra}
FROM {mine}
JOIN action a ON a.id = mine.id
JOIN plan p ON p.id = a.plan
JOIN family f ON f.id = p.family
LEFT JOIN outcome o ON o.id = a.outcome
LEFT JOIN staff_user s ON s.id = a.support_by
LEFT JOIN progress_update u ON u.id = (
    SELECT pu.id FROM progress_update pu WHERE pu.action = a.id AND pu.visibility = {{}}
    ORDER BY pu.created_at DESC, pu.id DESC LIMIT 1)
LEFT JOIN staff_user uu ON uu.id = u.author_user
LEFT JOIN family_member um ON um.id = u.author_member
ORDER BY mine.n
"""

# The caller's open actions on current plans, soonest due first (no date last), one page of
# them, with how many there are in all and in each section (window counts, before the LIMIT).
_MY_PAGE_SQL = _CARD_SQL.format(extra=", mine.total_n, mine.overdue_n, mine.soon_n", mine="""(
    SELECT a.id, ROW_NUMBER() OVER (ORDER BY a.due_on IS NULL, a.due_on, a.id) AS n,
           COUNT(*) OVER () AS total_n,
           SUM(CASE WHEN a.due_on < {} THEN 1 ELSE 0 END) OVER () AS overdue_n,
           SUM(CASE WHEN a.due_on >= {} AND a.due_on <= {} THEN 1 ELSE 0 END) OVER () AS soon_n
    FROM action a JOIN plan p ON p.id = a.plan
    WHERE a.owner_user = {} AND p.status = 'active' AND a.status IN ({}, {})
    ORDER BY a.due_on IS NULL, a.due_on, a.id LIMIT {} OFFSET {}
) AS mine""")

_ONE_CARD_SQL = _CARD_SQL.format(extra="", mine="(SELECT CAST({} AS INTEGER) AS id, 1 AS n) AS mine")

_MY_COUNTS_SQL = """
SELECT COUNT(*) AS total_n,
       SUM(CASE WHEN a.due_on < {} THEN 1 ELSE 0 END) AS overdue_n,
       SUM(CASE WHEN a.due_on >= {} AND a.due_on <= {} THEN 1 ELSE 0 END) AS soon_n
FROM action a JOIN plan p ON p.id = a.plan
WHERE a.owner_user = {} AND p.status = 'active' AND a.status IN ({}, {})
"""
assert len(_OPEN) == 2, "the SQL above names two open statuses"


def _as_date(value: Any) -> date | None:
    if isinstance(value, str):  # SQLite, where a column's type is not known
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _card(row: dict[str, Any], today: date) -> dict[str, Any]:
    """A row of _CARD_SQL shaped for an action card."""
    update = None
    if row["update_id"] is not None and can_read(EVERYONE, {"visibility": row["update_visibility"]}):
        update = {"id": row["update_id"], "note": row["update_note"],
                  "to_status": row["update_to_status"], "created_at": row["update_created_at"],
                  "author": row["update_user_name"] or row["update_member_name"] or ""}
    card = {k: row[k] for k in ("id", "description", "status", "success_measure",
                                "support_offered", "updated_at", "owner_user", "plan_id",
                                "family_id", "family_name", "outcome_statement",
                                "support_by_name")}
    card["due_on"] = _as_date(row["due_on"])
    card["urgency"] = urgency(card["due_on"], card["status"], today)
    card["latest_update"] = update
    return card


async def action_card(action_id: int, today: date) -> dict[str, Any]:
    """One action card (after an update)."""
    rows = await Action.raw(_ONE_CARD_SQL, action_id, CORE_GROUP)
    if not rows:
        raise NotFound(f"action {action_id}")
    return _card(rows[0], today)


def _group_by_family(cards: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[int, dict[str, Any]] = {}
    for c in cards:
        g = groups.setdefault(c["family_id"], {"family_id": c["family_id"],
                                               "family_name": c["family_name"], "actions": []})
        g["actions"].append(c)
    return list(groups.values())


async def my_actions(caller: Caller, today: date, *, page: int = 1) -> dict[str, Any]:
    """One page of the caller's open actions on current plans, soonest due first, in sections
    (overdue, due soon, later) by family, with how many there are in each section in all.

    One query however many actions there are (a page past the end asks once more, for the
    counts: an empty first page has none)."""
    soon = today + timedelta(days=SOON_DAYS)
    rows = await Action.raw(_MY_PAGE_SQL, today, today, soon, caller.id, *_OPEN,
                            CARDS_PER_PAGE, (page - 1) * CARDS_PER_PAGE, CORE_GROUP)
    counts: dict[str, Any] = {}
    if rows:
        counts = rows[0]
    elif page > 1:
        counted = await Action.raw(_MY_COUNTS_SQL, today, today, soon, caller.id, *_OPEN)
        counts = counted[0] if counted else {}
    total = int(counts.get("total_n") or 0)
    in_section = {"overdue": int(counts.get("overdue_n") or 0),
                  "soon": int(counts.get("soon_n") or 0)}
    in_section["later"] = total - in_section["overdue"] - in_section["soon"]
    cards = [_card(r, today) for r in rows]
    sections = []
    for key, heading in (("overdue", "Overdue"),
                         ("soon", f"Due in the next {SOON_DAYS} days"),
                         ("later", "Later")):
        here = [c for c in cards if c["urgency"] == key]
        sections.append({"key": key, "heading": heading, "count": in_section[key],
                         "shown": len(here), "families": _group_by_family(here)})
    first = (page - 1) * CARDS_PER_PAGE
    return {"total": total, "sections": sections, "page": page,
            "pages": max(1, -(-total // CARDS_PER_PAGE)), "shown": len(cards),
            "first": first + 1, "last": first + len(cards), "per_page": CARDS_PER_PAGE}


# Families on the caller's desk, as the ids of those they may see (tracker.plans.access's rule);
# for an admin, who may see every family, those they lead or own actions in. Each form's
# placeholders are all the caller's id. Closed families drop out where the news is read.
_DESK_SQL = VISIBLE_FAMILY_IDS_SQL
_DESK_PLACEHOLDERS = VISIBLE_PLACEHOLDERS
_ADMIN_DESK_SQL = ("SELECT vf.id FROM family vf WHERE vf.lead_professional = {} UNION "
                   "SELECT p.family FROM action a JOIN plan p ON p.id = a.plan "
                   "WHERE a.owner_user = {}")
_ADMIN_DESK_PLACEHOLDERS = 2

# What family members said lately, on the caller's desk: progress notes they wrote and
# messages they sent, newest first, each with its family's lead (for the visibility rule).
# Read from the desk's families outwards (their actions, then each action's notes), never from
# everyone's recent notes: CROSS JOIN keeps SQLite to that order (PostgreSQL plans it as a
# join like any other), where its statistics sent it through every note of the last 4 weeks.
_NEWS_SQL = """
WITH desk_actions AS MATERIALIZED (
    SELECT a.id, a.description, p.family AS family_id
    FROM plan p JOIN action a ON a.plan = p.id WHERE p.family IN ({ids})
)
SELECT 'update' AS kind, pu.created_at AS at, pu.visibility AS visibility,
       pu.author_user AS author_user, f.lead_professional AS lead_id, f.id AS family_id,
       f.name AS family_name, m.name AS who, pu.note AS text, pu.to_status AS to_status,
       da.description AS about, '' AS channel
FROM desk_actions da
CROSS JOIN progress_update pu
JOIN family f ON f.id = da.family_id
LEFT JOIN family_member m ON m.id = pu.author_member
WHERE pu.action = da.id AND pu.author_member IS NOT NULL AND pu.created_at >= {{}}
  AND f.status = 'open'
UNION ALL
SELECT 'message', pm.created_at, pm.visibility, pm.author_user, f.lead_professional, f.id,
       f.name, m.name, pm.body, NULL, '', pm.channel
FROM plan_message pm
JOIN family f ON f.id = pm.family
LEFT JOIN family_member m ON m.id = pm.member
WHERE pm.family IN ({ids}) AND pm.author_user IS NULL AND pm.created_at >= {{}}
  AND f.status = 'open'
ORDER BY at DESC
"""


def needs_help(note: str) -> bool:
    """A family update asking for help (the family page's 'I need help with this')."""
    return "need help" in (note or "").lower() or "needs help" in (note or "").lower()


async def desk_family_ids(caller: Caller) -> list[int]:
    """The ids of the families on the caller's desk (open or not: the news drops closed ones)."""
    if caller.is_admin:
        rows = await Family.raw(_ADMIN_DESK_SQL, *[caller.id] * _ADMIN_DESK_PLACEHOLDERS)
    else:
        rows = await Family.raw(_DESK_SQL, *[caller.id] * _DESK_PLACEHOLDERS)
    return sorted(int(r["id"]) for r in rows)


async def family_news(caller: Caller, now: datetime, *, days: int = NEWS_DAYS,
                      per_family: int = 8) -> list[dict[str, Any]]:
    """Recent progress updates by family members and family messages, per family, newest first
    (two queries: the desk's family ids, then the news; given as ids, the families' number is
    known to PostgreSQL, which otherwise guessed hundreds and compiled the query (JIT, 80 ms))."""
    since = now - timedelta(days=days)
    ids = await desk_family_ids(caller) or [0]  # no family has id 0
    marks = ", ".join("{}" for _ in ids)
    # Constant text and "{}" placeholders only; the ids are bound parameters.
    rows = await Family.raw(_NEWS_SQL.format(ids=marks), *ids, since, *ids, since)
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    names: dict[int, str] = {}
    for r in readable(caller.id, rows):
        names[r["family_id"]] = r["family_name"]
        is_update = r["kind"] == "update"
        items[r["family_id"]].append({
            "kind": r["kind"], "at": _as_instant(r["at"]), "who": r["who"] or "",
            "text": r["text"], "to_status": r["to_status"] if is_update else None,
            "about": r["about"] if is_update else "", "needs_help": needs_help(r["text"]),
            "channel": r["channel"],
        })
    out = []
    for family_id in sorted(items, key=lambda f: max(i["at"] for i in items[f]), reverse=True):
        rows_ = sorted(items[family_id], key=lambda i: i["at"], reverse=True)[:per_family]
        out.append({"family_id": family_id, "family_name": names[family_id],
                    "items": rows_, "help_count": sum(1 for i in rows_ if i["needs_help"])})
    return out


def _as_instant(value: Any) -> datetime:
    """A timestamp from a UNION (SQLite may hand back text), in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


_INVITATIONS_SQL = """
SELECT ci.id, ci.report_due_on, ci.report_submitted_at, ci.report_file,
       c.id AS conference_id, c.kind, c.starts_at, c.family AS family_id, f.name AS family_name
FROM conference_invitee ci
JOIN conference c ON c.id = ci.conference
JOIN family f ON f.id = c.family
WHERE ci."user" = {} AND c.starts_at >= {}
ORDER BY c.starts_at, ci.id
"""


async def my_invitations(caller: Caller, now: datetime) -> list[dict[str, Any]]:
    """Conferences ahead that the caller is invited to, with their report's state."""
    today = local_date(now)
    rows = await ConferenceInvitee.raw(_INVITATIONS_SQL, caller.id, start_of_day(today))
    for r in rows:
        r["report_due_on"] = _as_date(r["report_due_on"])
        r["state"] = report_state(r["report_due_on"], r["report_submitted_at"], today)
        r["kind_words"] = CONFERENCE_KIND_WORDS.get(r["kind"], r["kind"])
    return list(rows)


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
