"""People leaving: what a deactivated professional still holds, and handing it on in one step.

A professional holds three kinds of work on a family's current plan: actions they own that are
still open, support they offered on an open action, and a report for a conference not yet
recorded. When their account is deactivated, that work is flagged (`flags_for_families`, one
query for many families, so the plan page, the chair's dashboard and the caseload can all show
it) until an admin or the family's lead hands it to an active professional (`hand_over`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.people.caller import parse_roles
from tracker.people.tables import StaffUser
from tracker.plans.access import active_user
from tracker.plans.tables import Action, ConferenceInvitee, Family
from tracker.vocabulary import OPEN_STATUSES

KINDS = ("action", "support", "report")

# Told inside the handover's transaction: (new holder's id, what they now hold). The caller
# passes a function that queues the email, so the email commits, or not, with the handover.
Tell = Callable[[int, dict[str, Any]], Awaitable[None]]

_OPEN = ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES))  # a fixed vocabulary, never user input

# Work held by any professional (u), by family; the flags keep only inactive holders.
# _OPEN is the fixed status vocabulary, not input: nothing a caller sends is joined into SQL.
# {plans} and {conferences} narrow each part to some families (or to all: "TRUE"), so the
# database reads only those families' plans and conferences. An action is read once for its
# owner and its supporter (the two-row `k`), which keeps the plan small enough that
# PostgreSQL does not start parallel workers for a query of a millisecond.
_HELD_SQL = f"""
SELECT p.family AS family_id, k.kind AS kind,
       CASE k.kind WHEN 'action' THEN a.owner_user ELSE a.support_by END AS user_id
  FROM plan p JOIN action a ON a.plan = p.id
  CROSS JOIN (SELECT 'action' AS kind UNION ALL SELECT 'support') AS k
 WHERE {{plans}} AND p.status = 'active' AND a.status IN ({_OPEN})
UNION ALL
SELECT c.family, 'report', ci."user"
  FROM conference c JOIN conference_invitee ci ON ci.conference = c.id
 WHERE {{conferences}} AND c.decision IS NULL AND ci.report_submitted_at IS NULL
"""  # noqa: S608


@dataclass(frozen=True)
class LeaverFlag:
    """Work on one family held by professionals who have left (deactivated accounts)."""

    actions: int = 0
    support: int = 0
    reports: int = 0
    holder_ids: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        """How many things are held in all."""
        return self.actions + self.support + self.reports


async def flags_for_families(family_ids: Collection[int] | None = None) -> dict[int, LeaverFlag]:
    """Each family (of `family_ids`, or all) with work held by a deactivated professional.

    One query, whatever the number of families: a caseload page passes its page of ids.
    """
    return (await flags_and_names_for_families(family_ids))[0]


async def flags_and_names_for_families(family_ids: Collection[int] | None = None,
                                       ) -> tuple[dict[int, LeaverFlag], dict[int, str]]:
    """`flags_for_families`, and the names of the people who have left (as `leaver_names`
    gives them), from the same one query."""
    if family_ids is not None and not family_ids:
        return {}, {}
    ids = sorted(set(family_ids)) if family_ids is not None else []
    marks = ", ".join("{}" for _ in ids)
    # Only fixed SQL and "{}" placeholders are joined here; the ids are bound parameters.
    held = _HELD_SQL.format(plans=f"p.family IN ({marks})" if ids else "TRUE",
                            conferences=f"c.family IN ({marks})" if ids else "TRUE")
    sql = f"SELECT h.family_id, h.kind, h.user_id, u.name AS user_name, COUNT(*) AS n FROM ({held}) h JOIN staff_user u ON u.id = h.user_id WHERE NOT u.active GROUP BY h.family_id, h.kind, h.user_id, u.name"  # noqa: S608, E501
    rows = await Action.raw(sql, *ids, *ids)
    counts: dict[int, dict[str, Any]] = {}
    names: dict[int, str] = {}
    for row in rows:
        entry = counts.setdefault(int(row["family_id"]), {"action": 0, "support": 0, "report": 0,
                                                          "holders": set()})
        entry[row["kind"]] += int(row["n"])
        entry["holders"].add(int(row["user_id"]))
        names[int(row["user_id"])] = row["user_name"]
    flags = {
        family_id: LeaverFlag(actions=c["action"], support=c["support"], reports=c["report"],
                              holder_ids=tuple(sorted(c["holders"])))
        for family_id, c in counts.items()
    }
    return flags, names


async def held_by(user_id: int, family_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Everything one professional holds, family by family: each item's kind, id and words."""
    items: list[dict[str, Any]] = []
    open_on_current = Action.status.is_in(sorted(OPEN_STATUSES)) & (Action.plan._.status == "active")
    columns = (Action.id, Action.description, Action.due_on, Action.plan.as_alias("plan_id"),
               Action.plan._.family.as_alias("family_id"),
               Action.plan._.family._.name.as_alias("family_name"))
    for kind, holder in (("action", Action.owner_user), ("support", Action.support_by)):
        for row in await Action.select(*columns).where(open_on_current & (holder == user_id)
                                                       ).order_by(Action.id):
            items.append({**row, "kind": kind, "conference_id": None})
    for row in await ConferenceInvitee.select(
        ConferenceInvitee.id, ConferenceInvitee.report_due_on.as_alias("due_on"),
        ConferenceInvitee.conference.as_alias("conference_id"),
        ConferenceInvitee.conference._.starts_at.as_alias("starts_at"),
        ConferenceInvitee.conference._.family.as_alias("family_id"),
        ConferenceInvitee.conference._.family._.name.as_alias("family_name"),
    ).where((ConferenceInvitee.user == user_id) & ConferenceInvitee.report_submitted_at.is_null()
            & ConferenceInvitee.conference._.decision.is_null()).order_by(ConferenceInvitee.id):
        items.append({**row, "kind": "report", "plan_id": None,
                      "description": "A report for the conference"})
    if family_ids is not None:
        allowed = set(family_ids)
        items = [i for i in items if i["family_id"] in allowed]
    return sorted(items, key=lambda i: (i["family_name"], i["family_id"], KINDS.index(i["kind"])))


async def lead_family_ids(user_id: int) -> set[int]:
    """The families this professional leads (a lead may hand over work on these)."""
    return {r["id"] for r in await Family.select(Family.id).where(
        Family.lead_professional == user_id)}


async def _check_new_holder(from_user_id: int, to_user_id: int | None,
                            errors: dict[str, str]) -> None:
    if to_user_id is None:
        errors["to_user_id"] = "Choose who will take this work on."
        return
    holder = await active_user(to_user_id)
    if holder is None or to_user_id == from_user_id:
        errors["to_user_id"] = "Choose an active professional to take this work on."
    elif "professional" not in parse_roles(holder["roles"]):
        errors["to_user_id"] = "Choose a professional (not an admin-only account) to take this work on."


async def hand_over(*, from_user_id: int, to_user_id: int | None, actor: Actor, now: datetime,
                    family_ids: Collection[int] | None = None, tell: Tell | None = None) -> int:
    """Give everything `from_user_id` holds (in `family_ids`, or everywhere) to `to_user_id`.

    One transaction: every action, offer of support and report invitation moves, each change is
    audited, and the new holder is told (`tell`) with the rest. Returns how many things moved.
    """
    leaver = await StaffUser.select(StaffUser.id, StaffUser.name).where(
        StaffUser.id == from_user_id).first()
    if leaver is None:
        raise NotFound(f"user {from_user_id}")
    errors: dict[str, str] = {}
    await _check_new_holder(from_user_id, to_user_id, errors)
    items = await held_by(from_user_id, family_ids)
    if not items:
        errors["from_user_id"] = f"{leaver['name']} holds nothing to hand over."
    if errors:
        raise FieldErrors(errors)
    assert to_user_id is not None
    async with atomic():
        for item in items:
            await _move(item, from_user_id, to_user_id, actor, now)
        if tell is not None:
            await tell(to_user_id, {"from_name": leaver["name"], "count": len(items),
                                    "families": sorted({i["family_id"] for i in items})})
    return len(items)


async def _move(item: dict[str, Any], from_id: int, to_id: int, actor: Actor,
                now: datetime) -> None:
    """Move one held thing to its new holder, with its audit event."""
    family_id = item["family_id"]
    if item["kind"] == "report":
        already = await ConferenceInvitee.exists().where(
            (ConferenceInvitee.conference == item["conference_id"])
            & (ConferenceInvitee.user == to_id))
        if already:  # the new holder is invited already: one report, theirs
            await ConferenceInvitee.delete().where(ConferenceInvitee.id == item["id"])
            changes: dict[str, list[Any]] = {"user": [from_id, None], "handed_to": [None, to_id]}
            what: Literal["delete", "update"] = "delete"
        else:
            await ConferenceInvitee.update({ConferenceInvitee.user: to_id}).where(
                ConferenceInvitee.id == item["id"])
            changes, what = {"user": [from_id, to_id]}, "update"
        await audit.record(actor=actor, now=now, record_type="conference_invitee",
                           record_id=item["id"], action=what, changes=changes, family_id=family_id)
        return
    column = Action.owner_user if item["kind"] == "action" else Action.support_by
    # updated_at stays: a handover is not progress, so an overdue action's nudges carry on.
    await Action.update({column: to_id}).where(Action.id == item["id"])
    await audit.record(actor=actor, now=now, record_type="action", record_id=item["id"],
                       action="update", changes={column._meta.name: [from_id, to_id]},
                       family_id=family_id, plan_id=item["plan_id"])




async def leaver_names(flags: Collection[LeaverFlag]) -> dict[int, str]:
    """The names of the people the flags say have left, for showing beside them."""
    ids = sorted({i for f in flags for i in f.holder_ids})
    if not ids:
        return {}
    return {r["id"]: r["name"] for r in await StaffUser.select(StaffUser.id, StaffUser.name).where(
        StaffUser.id.is_in(ids))}
