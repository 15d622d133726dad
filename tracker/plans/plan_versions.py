"""Plan versions: the plan a conference makes, carrying a revised plan forward, ending a plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.clock import LONDON, local_date
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.plans import events
from tracker.plans.common import PlanPolicy, given
from tracker.plans.dates import moved_due, review_interval
from tracker.plans.events import PlanEnded
from tracker.plans.routines import is_routine
from tracker.plans.schemas import (
    OPEN_STATUSES,
    PlanIn,
)
from tracker.plans.tables import (
    Action,
    Conference,
    Outcome,
    OutcomeChild,
    Plan,
)
from tracker.vocabulary import PLAN_KIND_FOR

NO_DECISION = ("Record the conference's decision as a child protection plan or a child in need "
               "plan first.")


def decided_kind(decision: str | None) -> tuple[str | None, dict[str, str]]:
    """The kind of plan a conference's decision calls for, or why it calls for none."""
    if decision == "no_plan":
        return None, {"conference_id": "This conference decided that no plan is needed."}
    kind = PLAN_KIND_FOR.get(decision or "")
    return kind, ({} if kind else {"conference_id": NO_DECISION})


async def plan_kind_for(conference_id: int) -> str:
    """The kind of plan this conference decided on (FieldErrors when it decided none, or not yet)."""
    row = await Conference.select(Conference.decision).where(Conference.id == conference_id).first()
    if row is None:
        raise NotFound(f"conference {conference_id}")
    kind, errors = decided_kind(row["decision"])
    if kind is None:
        raise FieldErrors(errors)
    return kind


def due_key(action_id: int) -> str:
    """The field an error about one carried action's new due date is reported under."""
    return f"due_dates.{action_id}"


async def carried_actions(conference_id: int, *, now: datetime,
                          policy: PlanPolicy | None = None) -> dict[str, Any]:
    """What revising the plan at this conference would carry: each open action, its old due date
    and the proposed new one (moved on by the review interval, between today and the next review).

    A routine step has a review-by date instead of a due date: for one (`routine`), `due_on` and
    `proposed_due_on` are its old and proposed review-by dates, proposed the same way."""
    conference = await Conference.select().where(Conference.id == conference_id).first()
    if conference is None:
        raise NotFound(f"conference {conference_id}")
    previous = await Plan.select(Plan.id, Plan.version).where(
        (Plan.family == conference["family"]) & (Plan.status == "active")).first()
    held_on = local_date(conference["starts_at"])
    interval = review_interval(held_on, conference["next_review_on"], conference["kind"],
                               (policy or PlanPolicy()).statutory)
    actions: list[dict[str, Any]] = []
    if previous is not None:
        actions = await Action.select(
            Action.id, Action.description, Action.due_on, Action.status, Action.repeats,
            Action.review_on,
            Action.owner_user._.name.as_alias("owner_user_name"),
            Action.owner_member._.name.as_alias("owner_member_name"),
        ).where((Action.plan == previous["id"]) & Action.status.is_in(sorted(OPEN_STATUSES))
                ).order_by(Action.id)
    today = local_date(now)
    for action in actions:
        action["routine"] = is_routine(action["repeats"])
        if action["routine"]:
            action["due_on"] = action["review_on"]
        action["proposed_due_on"] = moved_due(action["due_on"], interval, today,
                                              conference["next_review_on"])
    return {"previous": previous, "interval": interval, "actions": actions,
            "held_on": held_on, "next_review_on": conference["next_review_on"]}


def _check_due_dates(given_dates: dict[int, date], carried: dict[str, Any], today: date,
                     policy: PlanPolicy, errors: dict[str, str]) -> dict[int, date | None]:
    """The new due date of every carried action: the one given, else the proposed one."""
    proposed = {a["id"]: a["proposed_due_on"] for a in carried["actions"]}
    routines = {a["id"] for a in carried["actions"] if a["routine"]}
    window = policy.date_window(datetime.combine(today, datetime.min.time(), LONDON))
    for action_id, due in sorted(given_dates.items()):
        if action_id not in proposed:
            errors[due_key(action_id)] = (f"Action {action_id} is not an open action carried "
                                          "into this plan.")
        elif due < today:
            errors[due_key(action_id)] = (f"Choose a new {_date_words(action_id, routines)} for "
                                          f"action {action_id} that is today or later, so it does "
                                          "not start overdue.")
        elif problem := window.problem(due, f"the new {_date_words(action_id, routines)} of "
                                            f"action {action_id}"):
            errors[due_key(action_id)] = problem
    return {**proposed, **given_dates}


def _date_words(action_id: int, routines: set[int]) -> str:
    return "review-by date" if action_id in routines else "due date"


async def create_plan(*, data: PlanIn, actor: Actor, now: datetime,
                      policy: PlanPolicy | None = None) -> int:
    """Make the plan a conference decided; a review conference revises the current plan.

    Revising keeps the old plan as history (superseded), copies its outcomes, carries
    forward every open action with a new due date (`data.due_dates`, else moved on by the
    review interval, never before today, so none starts overdue; a routine step's date is its
    review-by date, moved the same way), and leaves done, not
    achieved and cancelled ones behind. Nothing is made before the conference starts.
    """
    policy = policy or PlanPolicy()
    conference = await Conference.select().where(Conference.id == data.conference_id).first()
    if conference is None:
        raise NotFound(f"conference {data.conference_id}")
    kind, errors = decided_kind(conference["decision"])
    if kind is not None and kind != data.kind:
        errors["kind"] = f"The conference decided on a {kind.replace('_', ' ')} plan."
    if await Plan.exists().where(Plan.conference == data.conference_id):
        errors["conference_id"] = "This conference has already made its plan."
    if conference["starts_at"] > now:
        errors.setdefault("conference_id", (
            f"The conference starts on {conference['starts_at'].astimezone(LONDON):%-d %B %Y}: "
            "its plan can be made once it has started."))
    carried = await carried_actions(data.conference_id, now=now, policy=policy)
    due_dates = _check_due_dates(data.due_dates if given(data.due_dates) else {}, carried,
                                 local_date(now), policy, errors)
    if errors:
        raise FieldErrors(errors)
    family_id = conference["family"]
    async with atomic():
        previous = await Plan.select().where(
            (Plan.family == family_id) & (Plan.status == "active")
        ).first()
        version = previous["version"] + 1 if previous else 1
        plan_id: int = (
            await Plan.insert(
                Plan(family=family_id, conference=data.conference_id, kind=data.kind,
                     status="active", version=version,
                     previous=previous["id"] if previous else None, started_at=now)
            ).returning(Plan.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="plan", record_id=plan_id, action="create",
            changes=audit.created({"kind": data.kind, "version": version,
                                   "conference": data.conference_id}),
            family_id=family_id, plan_id=plan_id,
        )
        if previous:
            await _carry_forward(previous["id"], plan_id, family_id, actor, now, due_dates)
    return plan_id


async def _carry_forward(old_plan: int, new_plan: int, family_id: int, actor: Actor,
                         now: datetime, due_dates: dict[int, date | None]) -> None:
    await Plan.update({Plan.status: "superseded", Plan.ended_at: now}).where(
        Plan.id == old_plan)
    await audit.record(
        actor=actor, now=now, record_type="plan", record_id=old_plan, action="update",
        changes={"status": ["active", "superseded"]}, family_id=family_id, plan_id=old_plan,
    )
    outcome_map: dict[int, int] = {}
    for outcome in await Outcome.select().where(Outcome.plan == old_plan).order_by(
        Outcome.position
    ):
        new_id = (
            await Outcome.insert(
                Outcome(plan=new_plan, statement=outcome["statement"],
                        measure=outcome["measure"], position=outcome["position"],
                        carried_from=outcome["id"])
            ).returning(Outcome.id)
        )[0]["id"]
        outcome_map[outcome["id"]] = new_id
        for link in await OutcomeChild.select(OutcomeChild.child).where(
            OutcomeChild.outcome == outcome["id"]
        ):
            await OutcomeChild.insert(OutcomeChild(outcome=new_id, child=link["child"]))
        await audit.record(
            actor=actor, now=now, record_type="outcome", record_id=new_id, action="create",
            changes=audit.created({"statement": outcome["statement"],
                                   "carried_from": outcome["id"]}),
            family_id=family_id, plan_id=new_plan,
        )
    open_actions = await Action.select().where(
        (Action.plan == old_plan) & (Action.status.is_in(sorted(OPEN_STATUSES)))
    ).order_by(Action.id)
    for action in open_actions:
        dates = _carried_dates(action, due_dates.get(action["id"]))
        new_id = (
            await Action.insert(
                Action(plan=new_plan, outcome=outcome_map[action["outcome"]],
                       description=action["description"], owner_user=action["owner_user"],
                       owner_member=action["owner_member"],
                       support_offered=action["support_offered"],
                       support_by=action["support_by"],
                       due_on=dates.get("due_on", [None, action["due_on"]])[1],
                       success_measure=action["success_measure"], status=action["status"],
                       repeats=action["repeats"], repeat_days=action["repeat_days"],
                       review_on=dates.get("review_on", [None, action["review_on"]])[1],
                       check_in=action["check_in"],
                       carried_from=action["id"], created_at=now, updated_at=now)
            ).returning(Action.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="action", record_id=new_id, action="create",
            changes={**audit.created({"description": action["description"],
                                      "status": action["status"], "carried_from": action["id"]}),
                     **dates},
            family_id=family_id, plan_id=new_plan,
        )


def _carried_dates(action: dict[str, Any], new: date | None) -> dict[str, list[date | None]]:
    """A carried action's [old, new] due date, or a routine step's [old, new] review-by date."""
    key = "review_on" if is_routine(action["repeats"]) else "due_on"
    return {key: [action[key], new or action[key]]}


async def end_plan(*, plan_id: int, actor: Actor, now: datetime) -> None:
    """End a plan (the conference decided no plan is needed, or the case closed)."""
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    if plan["status"] != "active":
        raise FieldErrors({"status": "Only the current plan can be ended."})
    async with atomic():
        await Plan.update({Plan.status: "ended", Plan.ended_at: now}).where(Plan.id == plan_id)
        await audit.record(
            actor=actor, now=now, record_type="plan", record_id=plan_id, action="update",
            changes={"status": ["active", "ended"]}, family_id=plan["family"], plan_id=plan_id,
        )
        # The family's plan links (and open family pages) end with the plan.
        await events.publish(PlanEnded(plan_id=plan_id, family_id=plan["family"]), actor=actor,
                             now=now)
