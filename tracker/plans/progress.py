"""Progress: the immutable updates on an action, and a plan's progress and audit trail."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor, AuditEvent
from tracker.db import atomic, for_update
from tracker.errors import FieldErrors, NotFound
from tracker.plans.common import HISTORY_IS_KEPT, action_family
from tracker.plans.schemas import (
    OPEN_STATUSES,
)
from tracker.plans.tables import (
    Action,
    Outcome,
    Plan,
    ProgressUpdate,
)
from tracker.plans.visibility import CORE_GROUP, LEAD, readable, update_lead, visibility_problem
from tracker.validate import text_problem


async def current_action(action_id: int) -> dict[str, Any]:
    """Inside a transaction: the action as it is now, locked until the transaction ends.

    Two people changing one action's status at once queue here, so each progress update's
    `from_status` is the status the previous one left (never one read before it committed).
    """
    row: dict[str, Any] | None = await for_update(Action.select().where(Action.id == action_id)).first()
    if row is None:
        raise NotFound(f"action {action_id}")
    return row


async def write_progress(
    action: dict[str, Any], family_id: int, status: str | None, note: str, actor: Actor,
    now: datetime, *, visibility: str | None = None, shared_with_family: bool = False,
) -> int:
    """Inside a transaction: the immutable progress update, the new status, their audit events.

    `action` must have been read in this transaction with `current_action`. A family member's
    note is lead-only unless they chose otherwise; a professional's is read by the core group
    (tracker.plans.visibility), and shown to the family only when shared.
    """
    if visibility is None:
        visibility = LEAD if actor.kind == "member" else CORE_GROUP
    shared_with_family = shared_with_family and actor.kind == "user"
    from_status = action["status"]
    to_status = status if status is not None and status != from_status else None
    update_id: int = (
        await ProgressUpdate.insert(
            ProgressUpdate(
                action=action["id"],
                author_user=actor.user_id if actor.kind == "user" else None,
                author_member=actor.member_id if actor.kind == "member" else None,
                from_status=from_status if to_status else None,
                to_status=to_status,
                note=note,
                channel=actor.channel,
                created_at=now,
                visibility=visibility,
                shared_with_family=shared_with_family,
            )
        ).returning(ProgressUpdate.id)
    )[0]["id"]
    await audit.record(
        actor=actor, now=now, record_type="progress_update", record_id=update_id,
        action="create",
        changes=audit.created({"action": action["id"], "from_status": from_status,
                               "to_status": to_status, "note": note, "visibility": visibility,
                               "shared_with_family": shared_with_family}),
        family_id=family_id, plan_id=action["plan"],
    )
    if to_status:
        await Action.update({Action.status: to_status, Action.updated_at: now}).where(
            Action.id == action["id"])
        await audit.record(
            actor=actor, now=now, record_type="action", record_id=action["id"],
            action="update", changes={"status": [from_status, to_status]},
            family_id=family_id, plan_id=action["plan"],
        )
    else:
        await Action.update({Action.updated_at: now}).where(Action.id == action["id"])
    return update_id


async def record_progress(
    *, action_id: int, status: str | None, note: str, actor: Actor, now: datetime,
    visibility: str | None = None, shared_with_family: bool = False,
) -> int:
    """Add a progress update (a status change, a note, or both) to an action.

    `visibility` None takes the author's default (see `write_progress`); `shared_with_family`
    shows a professional's note to the family under the step (off unless chosen).
    """
    a = await Action.select().where(Action.id == action_id).first()
    if a is None:
        raise NotFound(f"action {action_id}")
    errors: dict[str, str] = {}
    if await Plan.exists().where((Plan.id == a["plan"]) & (Plan.status != "active")):
        errors["plan"] = HISTORY_IS_KEPT
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = "Keep the note to 2000 characters or fewer."
    elif problem := text_problem(note):
        errors["note"] = problem
    if (status is None or status == a["status"]) and not note:
        errors["note"] = "Add a note, or choose a new status."
    if visibility is not None and (problem := visibility_problem(visibility)):
        errors["visibility"] = problem
    if shared_with_family and not note:
        errors["share_with_family"] = "Write a note to share it with the family."
    if errors:
        raise FieldErrors(errors)
    family_id = await action_family(action_id)
    async with atomic():
        # Checked again under the lock: someone may have set this status meanwhile.
        a = await current_action(action_id)
        if (status is None or status == a["status"]) and not note:
            raise FieldErrors({"status": "This action already has that status: add a note, or "
                                         "choose another status."})
        return await write_progress(a, family_id, status, note, actor, now,
                                    visibility=visibility, shared_with_family=shared_with_family)


async def list_updates(action_id: int, *, reader_id: int | None) -> list[dict[str, Any]]:
    """An action's progress updates this professional may read, oldest first, with who wrote each."""
    rows = readable(reader_id, await ProgressUpdate.select(
        *ProgressUpdate.all_columns(),
        ProgressUpdate.author_user.name.as_alias("author_user_name"),
        ProgressUpdate.author_member.name.as_alias("author_member_name"),
        update_lead(),
    ).where(ProgressUpdate.action == action_id).order_by(ProgressUpdate.created_at,
                                                          ProgressUpdate.id))
    return [
        {
            "id": r["id"],
            "action_id": r["action"],
            "author": {
                "kind": "user" if r["author_user"] else ("member" if r["author_member"]
                                                         else "system"),
                "user_id": r["author_user"],
                "member_id": r["author_member"],
                "name": r["author_user_name"] or r["author_member_name"] or "",
            },
            "from_status": r["from_status"],
            "to_status": r["to_status"],
            "note": r["note"],
            "channel": r["channel"],
            "created_at": r["created_at"],
            "visibility": r["visibility"],
            "shared_with_family": r["shared_with_family"],
        }
        for r in rows
    ]


async def plan_progress(plan_id: int, *, today: date) -> dict[str, Any]:
    """Counts by status, what is overdue, and progress per outcome."""
    plan = await Plan.select(Plan.id).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    return (await plans_progress([plan_id], today=today))[plan_id]


async def plans_progress(plan_ids: list[int], *, today: date) -> dict[int, dict[str, Any]]:
    """plan_progress for several plans in two queries (pages that list many plans use this)."""
    if not plan_ids:
        return {}
    outcomes = await Outcome.select(Outcome.id, Outcome.plan, Outcome.statement).where(
        Outcome.plan.is_in(plan_ids)).order_by(Outcome.position, Outcome.id)
    actions = await Action.select(
        Action.id, Action.plan, Action.outcome, Action.status, Action.due_on
    ).where(Action.plan.is_in(plan_ids))
    return {pid: _progress(pid, [o for o in outcomes if o["plan"] == pid],
                           [a for a in actions if a["plan"] == pid], today)
            for pid in plan_ids}


def _progress(plan_id: int, outcomes: list[dict[str, Any]], actions: list[dict[str, Any]],
              today: date) -> dict[str, Any]:
    counts = Counter(a["status"] for a in actions)
    overdue = [a["id"] for a in actions
               if a["due_on"] and a["due_on"] < today and a["status"] in OPEN_STATUSES]
    late = set(overdue)
    by_outcome: dict[int, list[dict[str, Any]]] = {}
    for a in actions:
        by_outcome.setdefault(a["outcome"], []).append(a)
    per_outcome = []
    for o in outcomes:
        mine = by_outcome.get(o["id"], [])
        counted = [a for a in mine if a["status"] != "cancelled"]
        done = sum(1 for a in counted if a["status"] == "done")
        per_outcome.append({
            "outcome_id": o["id"],
            "statement": o["statement"],
            "total": len(counted),
            "done": done,
            "in_progress": sum(1 for a in counted if a["status"] == "in_progress"),
            "not_started": sum(1 for a in counted if a["status"] == "not_started"),
            "not_achieved": sum(1 for a in counted if a["status"] == "not_achieved"),
            "overdue": sum(1 for a in mine if a["id"] in late),
            "percent_done": round(100 * done / len(counted)) if counted else 0,
        })
    return {
        "plan_id": plan_id,
        "as_of": today,
        "total": len(actions),
        "by_status": {s: counts.get(s, 0) for s in
                      ("not_started", "in_progress", "done", "not_achieved", "cancelled")},
        "overdue": len(overdue),
        "overdue_action_ids": sorted(overdue),
        "outcomes": per_outcome,
    }


async def plan_audit(plan_id: int) -> list[dict[str, Any]]:
    """Every audit event about the plan and its family, oldest first."""
    plan = await Plan.select(Plan.family).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    rows = await AuditEvent.select().where(
        (AuditEvent.plan_id == plan_id) | (AuditEvent.family_id == plan["family"])
    ).order_by(AuditEvent.at, AuditEvent.id)
    return [audit.event_view(r) for r in rows]
