"""Outcomes and actions: add them, change an action, and read a plan or an action with its SMART check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.clock import LONDON, local_date
from tracker.db import atomic, by_name
from tracker.errors import FieldErrors, NotFound
from tracker.plans.access import active_user
from tracker.plans.common import HISTORY_IS_KEPT, PlanPolicy, given
from tracker.plans.progress import current_action, write_progress
from tracker.plans.routine_steps import (
    RoutineFields,
    check_in_names,
    check_routine,
    merged_routine,
    stored_days,
)
from tracker.plans.schemas import (
    OPEN_STATUSES,
    ActionIn,
    ActionPatch,
    OutcomeIn,
)
from tracker.plans.smart import ActionFacts, check_action
from tracker.plans.tables import (
    Action,
    Child,
    Conference,
    FamilyMember,
    Outcome,
    OutcomeChild,
    Plan,
)
from tracker.validate import DateWindow, check_text, fit_columns, text_problem


async def _next_review_for_plan(plan: dict[str, Any], today: date) -> date | None:
    """When the plan is next reviewed: the next scheduled conference, else the decided date."""
    upcoming = await Conference.select(Conference.starts_at).where(
        (Conference.family == plan["family"])
        & (Conference.starts_at >= datetime.combine(today, datetime.min.time(), LONDON))
        & (Conference.id != plan["conference"])
    ).order_by(Conference.starts_at).first()
    if upcoming:
        return local_date(upcoming["starts_at"])
    if "decided_review_on" in plan:  # read with the plan (plan_view): no second query
        decided: date | None = plan["decided_review_on"]
        return decided
    conference = await Conference.select(Conference.next_review_on).where(
        Conference.id == plan["conference"]
    ).first()
    return conference["next_review_on"] if conference else None


def _action_view(a: dict[str, Any], *, next_review_on: date | None, today: date) -> dict[str, Any]:
    smart = check_action(
        ActionFacts(
            description=a["description"],
            has_owner=a["owner_user"] is not None or a["owner_member"] is not None,
            success_measure=a["success_measure"],
            has_outcome=a["outcome"] is not None,
            due_on=a["due_on"],
            next_review_on=next_review_on,
            support_offered=a["support_offered"],
            repeats=a["repeats"],
            repeat_days=a["repeat_days"],
            review_on=a["review_on"],
        )
    )
    overdue = bool(a["due_on"] and a["due_on"] < today and a["status"] in OPEN_STATUSES)
    return {
        "id": a["id"],
        "plan_id": a["plan"],
        "outcome_id": a["outcome"],
        "description": a["description"],
        "owner_user_id": a["owner_user"],
        "owner_member_id": a["owner_member"],
        "support_offered": a["support_offered"],
        "support_by_user_id": a["support_by"],
        "due_on": a["due_on"],
        "success_measure": a["success_measure"],
        "status": a["status"],
        "overdue": overdue,
        "carried_from": a["carried_from"],
        "updated_at": a["updated_at"],
        "smart": smart.to_dict(),
        "repeats": a["repeats"],
        "repeat_days": stored_days(a["repeat_days"]),
        "review_on": a["review_on"],
        "check_in": a["check_in"],
    }


async def plan_view(plan_id: int, *, today: date) -> dict[str, Any]:
    """A plan with its outcomes (and their children), actions and every action's SMART check."""
    plan = await Plan.select(
        *Plan.all_columns(), Plan.conference.next_review_on.as_alias("decided_review_on"),
    ).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    next_review = await _next_review_for_plan(plan, today)
    outcomes = await Outcome.select().where(Outcome.plan == plan_id).order_by(
        Outcome.position, Outcome.id)
    links = await OutcomeChild.select(OutcomeChild.outcome, OutcomeChild.child).where(
        OutcomeChild.outcome.is_in([o["id"] for o in outcomes] or [0])
    )
    actions = await Action.select().where(Action.plan == plan_id).order_by(
        Action.due_on, Action.id)
    by_outcome: dict[int, list[dict[str, Any]]] = {}
    for a in actions:
        by_outcome.setdefault(a["outcome"], []).append(
            _action_view(a, next_review_on=next_review, today=today))
    return {
        "id": plan["id"],
        "family_id": plan["family"],
        "conference_id": plan["conference"],
        "kind": plan["kind"],
        "status": plan["status"],
        "version": plan["version"],
        "previous_plan_id": plan["previous"],
        "started_at": plan["started_at"],
        "next_review_on": next_review,
        "outcomes": [
            {
                "id": o["id"],
                "statement": o["statement"],
                "measure": o["measure"],
                "child_ids": sorted(lk["child"] for lk in links if lk["outcome"] == o["id"]),
                "actions": by_outcome.get(o["id"], []),
            }
            for o in outcomes
        ],
    }


async def add_outcome(*, plan_id: int, data: OutcomeIn, actor: Actor, now: datetime) -> int:
    """Add what better looks like for named children of the plan's family."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    errors: dict[str, str] = {}
    try:
        statement = check_text(data.statement, field_label="what better looks like",
                               max_length=2000)
    except ValueError as exc:
        errors["statement"] = str(exc)
    try:
        measure = check_text(data.measure, field_label="how everyone will know",
                             required=False, max_length=2000)
    except ValueError as exc:
        errors["measure"] = str(exc)
    if plan["status"] != "active":
        errors["plan"] = "This plan has been replaced or ended: add outcomes to the current plan."
    family_children = {
        c["id"] for c in await Child.select(Child.id).where(Child.family == plan["family"])
    }
    if not data.child_ids:
        errors["child_ids"] = "Name the children this outcome is for."
    elif not set(data.child_ids) <= family_children:
        errors["child_ids"] = "Choose children from this family."
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        position = await Outcome.count().where(Outcome.plan == plan_id)
        outcome_id: int = (
            await Outcome.insert(
                Outcome(plan=plan_id, statement=statement, measure=measure, position=position)
            ).returning(Outcome.id)
        )[0]["id"]
        for child_id in sorted(set(data.child_ids)):
            await OutcomeChild.insert(OutcomeChild(outcome=outcome_id, child=child_id))
        await audit.record(
            actor=actor, now=now, record_type="outcome", record_id=outcome_id, action="create",
            changes=audit.created({"statement": statement, "measure": measure,
                                   "child_ids": sorted(set(data.child_ids))}),
            family_id=plan["family"], plan_id=plan_id,
        )
    return outcome_id


async def _check_owner(
    plan: dict[str, Any], user_id: int | None, member_id: int | None,
    errors: dict[str, str], *, field_prefix: str = "owner",
) -> None:
    if user_id is not None and member_id is not None:
        errors[f"{field_prefix}_member_id"] = (
            "An action has one owner: a professional or a family member, not both."
        )
        return
    if user_id is not None and await active_user(user_id) is None:
        errors[f"{field_prefix}_user_id"] = "Choose an active professional."
    if member_id is not None:
        member = await FamilyMember.select().where(FamilyMember.id == member_id).first()
        if member is None or member["family"] != plan["family"]:
            errors[f"{field_prefix}_member_id"] = "Choose an adult from this family."
        elif not member["safe_to_contact"]:
            errors[f"{field_prefix}_member_id"] = (
                "This adult is recorded as not safe to contact, so they cannot be sent or "
                "shown the plan: agree their part through the lead professional instead."
            )


async def add_action(
    *, plan_id: int, data: ActionIn, actor: Actor, now: datetime, policy: PlanPolicy
) -> int:
    """Add an action to one outcome, with one owner, a due date and a success measure."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    errors: dict[str, str] = {}
    if plan["status"] != "active":
        errors["plan"] = "This plan has been replaced or ended: add actions to the current plan."
    try:
        description = check_text(data.description, field_label="what will be done",
                                 max_length=1000)
    except ValueError as exc:
        errors["description"] = str(exc)
    outcome = await Outcome.select().where(Outcome.id == data.outcome_id).first()
    if outcome is None or outcome["plan"] != plan_id:
        errors["outcome_id"] = "Choose an outcome from this plan."
    if data.owner_user_id is None and data.owner_member_id is None:
        errors["owner_user_id"] = "Name one owner: a professional or a family member."
    await _check_owner(plan, data.owner_user_id, data.owner_member_id, errors)
    if data.support_by_user_id is not None and await active_user(data.support_by_user_id) is None:
        errors["support_by_user_id"] = "Choose an active professional."
    for name, label in (("success_measure", "how we'll know it is done"),
                        ("support_offered", "the support offered")):
        try:
            check_text(getattr(data, name), field_label=label, required=False, max_length=1000)
        except ValueError as exc:
            errors[name] = str(exc)
    if data.due_on is not None and (problem := policy.date_window(now).problem(data.due_on, "the due date")):
        errors["due_on"] = problem
    routine = check_routine(RoutineFields(data.repeats, list(data.repeat_days), data.review_on,
                                          data.check_in, data.due_on),
                            policy.date_window(now), errors)
    if problem := await check_in_names(routine["check_in"], plan["family"]):
        errors["check_in"] = problem
    if errors:
        raise FieldErrors(errors)
    values: dict[str, Any] = {
        "description": description,
        "owner_user": data.owner_user_id,
        "owner_member": data.owner_member_id,
        "support_offered": data.support_offered.strip(),
        "support_by": data.support_by_user_id,
        "due_on": data.due_on,
        "success_measure": data.success_measure.strip(),
        "status": "not_started",
        **routine,
    }
    async with atomic():
        action_id: int = (
            await Action.insert(
                Action(plan=plan_id, outcome=data.outcome_id, created_at=now, updated_at=now,
                       **values)
            ).returning(Action.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="action", record_id=action_id, action="create",
            changes=audit.created({**values, "outcome": data.outcome_id}),
            family_id=plan["family"], plan_id=plan_id,
        )
    return action_id


async def action_view(action_id: int, *, today: date) -> dict[str, Any]:
    """One action with its SMART check."""
    a = await Action.select().where(Action.id == action_id).first()
    if a is None:
        raise NotFound(f"action {action_id}")
    plan = await Plan.select().where(Plan.id == a["plan"]).first()
    next_review = await _next_review_for_plan(plan, today) if plan else None
    return _action_view(a, next_review_on=next_review, today=today)


# Column names -> the API's field names, so a column check names the field the caller sent.
ACTION_FIELD_NAMES = {"owner_user": "owner_user_id", "owner_member": "owner_member_id",
                      "outcome": "outcome_id", "support_by": "support_by_user_id"}


@dataclass
class ActionChange:
    """What an action patch changes, and what is wrong with it so far."""

    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    status: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def plan_action_change(patch: ActionPatch, action: dict[str, Any], *, plan_active: bool,
                       window: DateWindow) -> ActionChange:
    """The pure step of update_action: the field rules that need no database."""
    out = ActionChange()
    errors, values = out.errors, out.values
    if not plan_active:
        errors["plan"] = HISTORY_IS_KEPT
    if given(patch.description):
        try:
            values["description"] = check_text(patch.description,
                                               field_label="what will be done", max_length=1000)
        except ValueError as exc:
            errors["description"] = str(exc)
    if given(patch.owner_user_id) or given(patch.owner_member_id):
        values["owner_user"] = patch.owner_user_id if given(patch.owner_user_id) else action["owner_user"]
        values["owner_member"] = (patch.owner_member_id if given(patch.owner_member_id)
                                  else action["owner_member"])
    if given(patch.outcome_id):
        values["outcome"] = patch.outcome_id
    if given(patch.support_by_user_id):
        values["support_by"] = patch.support_by_user_id
    for name in ("due_on", "success_measure", "support_offered"):
        value = getattr(patch, name)
        if given(value):
            if isinstance(value, str):
                if len(value) > 1000:
                    errors[name] = "Keep this to 1000 characters or fewer."
                value = value.strip()
            values[name] = value
    if values.get("due_on") is not None and (
            problem := window.problem(values["due_on"], "the due date")):
        errors["due_on"] = problem
    fit_columns(Action, values, errors, names=ACTION_FIELD_NAMES)
    out.note = patch.note.strip() if given(patch.note) else ""
    if len(out.note) > 2000:
        errors["note"] = "Keep the note to 2000 characters or fewer."
    elif problem := text_problem(out.note):
        errors["note"] = problem
    out.status = patch.status if given(patch.status) else None
    return out


async def _check_action_refs(change: ActionChange, action: dict[str, Any], plan: dict[str, Any]) -> None:
    """The checks that need the database: the owner, the outcome and the supporter exist and fit."""
    values, errors = change.values, change.errors
    if "owner_user" in values:
        owner_user, owner_member = values["owner_user"], values["owner_member"]
        if owner_user is None and owner_member is None:
            errors["owner_user_id"] = "Name one owner: a professional or a family member."
        await _check_owner(plan, owner_user, owner_member, errors)
    if "outcome" in values:
        outcome = await Outcome.select().where(Outcome.id == values["outcome"]).first()
        if outcome is None or outcome["plan"] != action["plan"]:
            errors["outcome_id"] = "Choose an outcome from this plan."
    supporter = values.get("support_by")
    if supporter is not None and await active_user(supporter) is None:
        errors["support_by_user_id"] = "Choose an active professional."


async def update_action(
    *, action_id: int, patch: ActionPatch, actor: Actor, now: datetime, policy: PlanPolicy
) -> None:
    """Change an action; a status change is also written as a progress update."""
    a = await Action.select().where(Action.id == action_id).first()
    if a is None:
        raise NotFound(f"action {action_id}")
    plan = await Plan.select().where(Plan.id == a["plan"]).first()
    if plan is None:  # the foreign key keeps it; checked so the type is a row
        raise NotFound(f"plan {a['plan']}")
    change = plan_action_change(patch, a, plan_active=plan["status"] == "active",
                                window=policy.date_window(now))
    await _check_action_refs(change, a, plan)
    if (merged := merged_routine(patch, a)) is not None:
        change.values.update(check_routine(merged, policy.date_window(now), change.errors))
        if problem := await check_in_names(change.values["check_in"], plan["family"]):
            change.errors["check_in"] = problem
    if change.errors:
        raise FieldErrors(change.errors)
    values, note, status = change.values, change.note, change.status
    async with atomic():
        # What the audit trail says it was is read under the lock, not before it.
        a = await current_action(action_id)
        if values:
            before = {k: a[k] for k in values}
            await Action.update(by_name({**values, "updated_at": now})).where(Action.id == action_id)
            delta = audit.diff(before, values)
            if delta:
                await audit.record(
                    actor=actor, now=now, record_type="action", record_id=action_id,
                    action="update", changes=delta, family_id=plan["family"],
                    plan_id=a["plan"],
                )
        if status is not None or note:
            await write_progress(a, plan["family"], status, note, actor, now)
