"""The audit trail the generated rows would have left in service (part of bench/generate.py).

Every change the app makes appends an audit event in the change's own transaction
(tracker/audit.py), and the pages read a family's version as the count of its events
(tracker/plans/read_cache.py), so the generated families carry the history they would have:
one event for each family, parent, child, conference, invitee, plan, outcome, action and
progress update created (by the family's lead professional on the web; a progress update by
whoever wrote it, through the channel they used), one for each older plan superseded, and two
for each professional (their account made, then their password chosen), which belong to no
family. `changes` is the JSON the app writes for the same change, keys in the same order.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.generate import Generator

COLUMNS = ("id, at, actor_kind, actor_user_id, actor_member_id, actor_label, channel, record_type, "
           "record_id, action, changes, family_id, plan_id")


class Expr(str):
    """SQL giving a JSON value as text (anything else handed to `created` is a constant)."""


def concat(pieces: list[Any]) -> str:
    """SQL joining constant text and Expr pieces, neighbouring constants merged."""
    parts: list[str] = []
    text = ""
    for piece in pieces:
        if isinstance(piece, Expr):
            if text:
                parts.append("'" + text.replace("'", "''") + "'")
                text = ""
            parts.append(f"({piece})")
        else:
            text += piece
    if text:
        parts.append("'" + text.replace("'", "''") + "'")
    return " || ".join(parts)


def changes(fields: dict[str, tuple[Any, Any]]) -> str:
    """SQL for {field: [old, new]} as audit.diff and audit.created write it (sorted keys)."""
    pieces: list[Any] = ["{"]
    for i, key in enumerate(sorted(fields)):
        pieces.append(("" if i == 0 else ", ") + json.dumps(key) + ": [")
        for j, value in enumerate(fields[key]):
            pieces.append("" if j == 0 else ", ")
            pieces.append(value if isinstance(value, Expr) else json.dumps(value))
        pieces.append("]")
    pieces.append("}")
    return concat(pieces)


def created(fields: dict[str, Any]) -> str:
    return changes({key: (None, value) for key, value in fields.items()})


class Trail:
    """Appends the events, ids following on from whatever the table already held."""

    def __init__(self, g: Generator) -> None:
        self.g = g
        self.next_id = g.off["audit_event"]
        self.written = 0

    def number(self, expr: str) -> Expr:
        return Expr(self.g.d.text(expr))

    def string(self, expr: str) -> Expr:
        """A JSON string of SQL text that needs no escaping (generated names, dates)."""
        return Expr(f"'\"' || {expr} || '\"'")

    def by_lead(self, f: str) -> dict[str, str]:
        """The actor columns for family f's lead professional, on the web."""
        lead = self.g.lead(f)
        return {"kind": "'user'", "user": f"{self.g.off['staff_user']} + {lead}", "member": "NULL",
                "label": f"'Bench professional ' || {self.g.d.text(lead)}", "channel": "'web'"}

    async def add(self, total: int, *, record_type: str, record_id: str, action: str, what: str,
                  actor: dict[str, str], family: str = "NULL", plan: str = "NULL",
                  at: str = "") -> None:
        """`total` events over n in 1..total; the other arguments are SQL in n."""
        select = (f"{self.next_id} + n, {at or self.g.d.moment('0')}, {actor['kind']}, "
                  f"{actor['user']}, {actor['member']}, {actor['label']}, {actor['channel']}, "
                  f"'{record_type}', {record_id}, '{action}', {what}, {family}, {plan}")
        await self.g.fill("audit_event", COLUMNS, select, total, label=f"audit: {record_type} {action}")
        self.next_id += total
        self.written += total


async def fill_audit(g: Generator) -> int:
    """Write the trail; how many events."""
    trail = Trail(g)
    await _staff(trail)
    await _families(trail)
    await _conferences(trail)
    await _plans(trail)
    await _actions(trail)
    await _progress(trail)
    return trail.written


async def _staff(t: Trail) -> None:
    g, o, d = t.g, t.g.off, t.g.d
    staff_id = f"{o['staff_user']} + n"
    name = f"'Bench professional ' || {d.text('n')}"
    await t.add(g.sizes.staff, record_type="staff_user", record_id=staff_id, action="create",
                actor={"kind": "'system'", "user": "NULL", "member": "NULL", "label": "'bench'",
                       "channel": "'system'"},
                what=created({"agency": "Bench agency", "email": t.string(
                    f"'bench' || {d.text(staff_id)} || '@bench.example'"), "name": t.string(name),
                    "phone": None, "role_title": "Social worker", "roles": t.string(
                    "CASE WHEN n % 10 = 2 THEN 'professional,chair' ELSE 'professional' END")}))
    await t.add(g.sizes.staff, record_type="staff_user", record_id=staff_id, action="update",
                actor={"kind": "'user'", "user": staff_id, "member": "NULL", "label": name,
                       "channel": "'web'"},
                what=changes({"password": ("(not shown)", "changed by reset link")}),
                at=d.moment("1"))


async def _families(t: Trail) -> None:
    g, o, d, fam = t.g, t.g.off, t.g.d, t.g.sizes.families
    await t.add(fam, record_type="family", record_id=f"{o['family']} + n", action="create",
                actor=t.by_lead("n"), family=f"{o['family']} + n",
                what=created({"lead_professional": t.number(f"{o['staff_user']} + {g.lead('n')}"),
                              "name": t.string(f"'Bench family ' || {d.text('n')}"), "reference": ""}))
    f = "((n + 1) / 2)"  # parents 2f - 1 and 2f belong to family f
    await t.add(2 * fam, record_type="family_member", record_id=f"{o['family_member']} + n",
                action="create", actor=t.by_lead(f), family=f"{o['family']} + {f}",
                what=created({"language": "en", "mobile": t.string(
                    f"'+447700' || substr('000000' || {d.text('n')}, -6, 6)"),
                    "name": t.string("CASE WHEN n % 2 = 1 THEN 'Parent one' ELSE 'Parent two' END"),
                    "preferred_channel": "sms", "relationship": "Parent", "safe_to_contact": True,
                    "sms_consent": True}))
    await t.add(fam, record_type="child", record_id=f"{o['child']} + n", action="create",
                actor=t.by_lead("n"), family=f"{o['family']} + n",
                what=created({"date_of_birth": t.string(d.text(d.day("-3000 - n % 4000"))),
                              "name": "Child"}))


async def _conferences(t: Trail) -> None:
    """Conference n as bench/generate.py makes it: the first fam + older made the plans, the
    last fam are the reviews to come; invitees 2r - 1 and 2r are invited to review r."""
    g, o, d = t.g, t.g.off, t.g.d
    fam, older = g.sizes.families, g.sizes.older
    f = f"(CASE WHEN n <= {fam} THEN n WHEN n <= {fam + older} THEN n - {fam} ELSE n - {fam + older} END)"
    held = f"n <= {fam + older}"
    await t.add(2 * fam + older, record_type="conference", record_id=f"{o['conference']} + n",
                action="create", actor=t.by_lead(f), family=f"{o['family']} + {f}",
                what=created({
                    "categories": "neglect",
                    "chair": t.number(f"{o['staff_user']} + 2 + 10 * (n % ({g.sizes.staff} / 10))"),
                    "decision": Expr(f"CASE WHEN {held} THEN '\"cp_plan\"' ELSE 'null' END"),
                    "kind": t.string(f"CASE WHEN {held} THEN 'initial_cp' ELSE 'review_cp' END"),
                    "next_review_on": t.string(d.text(d.day("90"))),
                    "starts_at": t.string(f"CASE WHEN {held} THEN {d.iso('-1440 * (30 + n % 200)')} "
                                          f"ELSE {d.iso('1440 * (1 + n % 182)')} END")}))
    r = "((n + 1) / 2)"
    await t.add(2 * fam, record_type="conference_invitee", record_id=f"{o['conference_invitee']} + n",
                action="create", actor=t.by_lead(r), family=f"{o['family']} + {r}",
                what=created({"conference": t.number(f"{o['conference']} + {fam + older} + {r}"),
                              "report_due_on": t.string(d.text(d.day("n % 180"))),
                              "user": t.number(f"{o['staff_user']} + 1 + (n % {g.sizes.staff})")}))


async def _plans(t: Trail) -> None:
    g, o = t.g, t.g.off
    fam, older, plans = g.sizes.families, g.sizes.older, g.sizes.plans
    f = g.plan_family("n")
    await t.add(plans, record_type="plan", record_id=f"{o['plan']} + n", action="create",
                actor=t.by_lead(f), family=f"{o['family']} + {f}", plan=f"{o['plan']} + n",
                what=created({"conference": t.number(f"{o['conference']} + n"),
                              "kind": "child_protection",
                              "version": Expr(f"CASE WHEN n <= {older} THEN '2' ELSE '1' END")}))
    # The older plans (fam + 1 .. plans) were superseded when the current one was made.
    await t.add(older, record_type="plan", record_id=f"{o['plan']} + {fam} + n", action="update",
                actor=t.by_lead("n"), family=f"{o['family']} + n", plan=f"{o['plan']} + {fam} + n",
                what=changes({"status": ("active", "superseded")}))
    p = "((n + 2) / 3)"
    f = g.plan_family(p)
    child = f"{o['child']} + 1 + ({p} - 1) % {fam}"
    await t.add(3 * plans, record_type="outcome", record_id=f"{o['outcome']} + n", action="create",
                actor=t.by_lead(f), family=f"{o['family']} + {f}", plan=f"{o['plan']} + {p}",
                what=created({"child_ids": Expr(f"'[' || {g.d.text(child)} || ']'"),
                              "measure": "Seen and heard at each visit.",
                              "statement": t.string(f"'The children are safe and well at home, part ' "
                                                    f"|| {g.d.text('n % 3')}")}))


async def _actions(t: Trail) -> None:
    g, o, d = t.g, t.g.off, t.g.d
    plans, fam = g.sizes.plans, g.sizes.families
    p = g.action_plan("n")
    f = g.plan_family(p)
    member = f"{o['family_member']} + 2 * (1 + ((n - 1) % {plans}) % {fam}) - 1"
    owner = f"{o['staff_user']} + {g.lead('n')}"
    await t.add(g.sizes.actions, record_type="action", record_id=f"{o['action']} + n",
                action="create", actor=t.by_lead(f), family=f"{o['family']} + {f}",
                plan=f"{o['plan']} + {p}",
                what=created({
                    "check_in": "",
                    "description": t.string("'Meet at the school gate each Monday to plan the week, "
                                            f"step ' || {d.text('n')}"),
                    "due_on": t.string(d.text(d.day("(n % 120) - 30"))),
                    "outcome": t.number(f"{o['outcome']} + 3 * ({p} - 1) + 1 + (n / {plans}) % 3"),
                    "owner_member": Expr(f"CASE WHEN n % 2 = 1 THEN {d.text(member)} ELSE 'null' END"),
                    "owner_user": Expr(f"CASE WHEN n % 2 = 0 THEN {d.text(owner)} ELSE 'null' END"),
                    "repeat_days": "", "repeats": "", "review_on": None,
                    "status": "not_started",
                    "success_measure": "Four Monday meetings noted by the school.",
                    "support_by": None, "support_offered": ""}))


async def _progress(t: Trail) -> None:
    g, o = t.g, t.g.off
    by, f = g.progress_by("n"), g.progress_family("n")
    k = g.progress_action("n")
    member, user = g.progress_member("n"), g.progress_user("n")
    actor = {"kind": f"CASE {by} WHEN 'web' THEN 'user' ELSE 'member' END",
             "user": f"{o['staff_user']} + {user}", "member": f"{o['family_member']} + {member}",
             "label": (f"CASE {by} WHEN 'web' THEN 'Bench professional ' || {g.d.text(user)} "
                       "WHEN 'link' THEN 'Parent one' ELSE 'Parent two' END"),
             "channel": f"CASE {by} WHEN 'link' THEN 'family_link' ELSE {by} END"}
    await t.add(g.sizes.progress, record_type="progress_update",
                record_id=f"{o['progress_update']} + n", action="create", actor=actor,
                family=f"{o['family']} + {f}", plan=f"{o['plan']} + {g.action_plan(k)}",
                at=g.d.moment("-(n % 100000)"),
                what=created({"action": t.number(f"{o['action']} + {k}"), "from_status": "not_started",
                              "note": "Went well this week.",
                              "shared_with_family": False, "to_status": "in_progress",
                              "visibility": Expr(f"CASE {by} WHEN 'web' THEN '\"core_group\"' "
                                                 "ELSE '\"lead\"' END")}))
