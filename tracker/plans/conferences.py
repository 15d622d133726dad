"""Conferences: arrange one, record its seven steps and decision, invite professionals, track their reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from tracker import audit
from tracker.audit import Actor
from tracker.clock import LONDON, local_date
from tracker.db import atomic, by_name, for_update
from tracker.errors import FieldErrors, NotFound
from tracker.people.caller import Caller, parse_roles
from tracker.plans.access import active_user, visible_family_ids
from tracker.plans.common import (
    PlanPolicy,
    conference_family,
    given,
    working_calendar,
)
from tracker.plans.dates import (
    StatutoryRules,
    first_core_group_by,
    latest_review_for,
    non_working_day_warning,
    report_due_on,
)
from tracker.plans.schemas import (
    ConferenceFields,
    ConferenceIn,
    ConferencePatch,
)
from tracker.plans.tables import (
    Conference,
    ConferenceInvitee,
    Plan,
)
from tracker.validate import DateWindow, fit_columns

STEP_FIELDS = (
    "family_description",
    "children_views",
    "worries",
    "impact",
    "family_reflections",
    "what_better_looks_like",
    "support_and_contributions",
)
STEP_MAX = 20_000
# What the chair marks to share on the family's page: the children's words (point 3) and the
# family's own reflections and strengths (point 6). Off until marked; each change is audited.
SHARE_FIELDS = ("share_children_views", "share_family_reflections")
NO_CHAIR = "Choose who will chair the conference."
NOT_BEFORE_TODAY = "The date of the conference must be today or later."


# Checkable at run time: Litestar checks a dependency's value against its declared type.
@runtime_checkable
class Tell(Protocol):
    """Who is told that a booked conference moved or is not going ahead.

    Called inside the move's or the cancellation's transaction: the caller (the composition
    root: tracker.deps) passes one that queues the messages, so they commit, or not, with the
    change. The news is a dict: "news" ("moved" or "cancelled"), conference_id, family_id, kind,
    was_at; a move adds conference_at and report_due_on, a cancellation its reason (which only
    a signed-in professional may read).
    """

    async def professional(self, user_id: int, news: dict[str, Any]) -> None:
        """Tell one professional (invited, or the chair)."""

    async def family(self, news: dict[str, Any]) -> None:
        """Tell the family: it is their meeting (each adult who may be messaged, by their choice)."""


# What a conference decides and records: none of it can be saved before the conference starts.
RECORD_FIELDS = (*STEP_FIELDS, "decision", "categories", "next_review_on")


def not_started_yet(starts_at: datetime) -> str:
    """Why a conference's record cannot be saved yet."""
    return (f"The conference starts on {starts_at.astimezone(LONDON):%-d %B %Y at %H:%M}: "
            "you can record what it decided once it has started.")


def _check_arranged_date(merged: dict[str, Any], values: dict[str, Any], errors: dict[str, str],
                         now: datetime, *, held: bool = False) -> None:
    """A conference being arranged (no decision yet) is dated today or later.

    A conference entered as already held (`held`), or recorded with its decision, may be dated
    in the past: that is how live plans are brought in. Moving a conference is arranging it again.
    """
    if ("starts_at" in values and not held and not merged.get("decision")
            and local_date(values["starts_at"]) < local_date(now)):
        errors["starts_at"] = NOT_BEFORE_TODAY


def _check_record_time(merged: dict[str, Any], values: dict[str, Any], errors: dict[str, str],
                       now: datetime) -> None:
    """The record, the decision and the next review are saved only once the conference has started."""
    starts_at = merged.get("starts_at")
    if starts_at is None or starts_at <= now:
        return
    recorded = [name for name in RECORD_FIELDS if values.get(name)]
    if recorded:
        errors.setdefault("decision" if "decision" in recorded else recorded[0],
                          not_started_yet(starts_at))
    elif "starts_at" in values and merged.get("decision"):
        errors["starts_at"] = ("This conference's decision is recorded, so it has already happened: "
                               "its date cannot be moved later than now.")


async def _conference_values(
    data: ConferenceFields, errors: dict[str, str], *, kind: str | None,
    starts_at_current: datetime | None, window: DateWindow,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if given(data.starts_at):
        starts_at, problem = window.instant(data.starts_at, "the date and time of the conference")
        if problem:
            errors["starts_at"] = problem
        else:
            values["starts_at"] = starts_at
    if given(data.chair_id):
        if data.chair_id is None:
            errors["chair_id"] = NO_CHAIR
        else:
            chair = await active_user(data.chair_id)
            if chair is None or "chair" not in parse_roles(chair["roles"]):
                errors["chair_id"] = "Choose an active chair (a QARO) for this conference."
        values["chair"] = data.chair_id
    for name in STEP_FIELDS:
        value = getattr(data, name)
        if given(value):
            if len(value) > STEP_MAX:
                errors[name] = f"Keep this step to {STEP_MAX} characters or fewer."
            values[name] = value.strip()
    for name in SHARE_FIELDS:
        flag = getattr(data, name)
        if given(flag):
            values[name] = bool(flag)
    if given(data.decision):
        values["decision"] = data.decision
    if given(data.categories):
        values["categories"] = ",".join(sorted(set(data.categories)))
    if given(data.next_review_on):
        values["next_review_on"] = data.next_review_on
        if data.next_review_on and (problem := window.problem(data.next_review_on,
                                                              "the next review date")):
            errors["next_review_on"] = problem
    fit_columns(Conference, values, errors)
    return values


def _check_decision(merged: dict[str, Any], errors: dict[str, str], rules: StatutoryRules) -> None:
    decision = merged.get("decision")
    categories = merged.get("categories") or ""
    if categories and decision != "cp_plan":
        errors["categories"] = "Categories apply only to a child protection plan."
    if decision == "cp_plan" and not categories:
        errors["categories"] = (
            "Choose at least one category for a child protection plan "
            "(neglect, physical, emotional, sexual)."
        )
    review = merged.get("next_review_on")
    starts_at = merged.get("starts_at")
    if review and starts_at:
        held_on = local_date(starts_at)
        latest = latest_review_for(merged["kind"], held_on, rules)
        if review <= held_on:
            errors["next_review_on"] = "The next review must come after this conference."
        elif review > latest:
            errors["next_review_on"] = (
                f"The next review must be on or before {latest:%-d %B %Y} "
                "(the statutory interval for this kind of conference)."
            )


async def _check_invitees(ids: list[int], errors: dict[str, str]) -> None:
    if len(set(ids)) != len(ids):
        errors["invitee_ids"] = "Each professional can be invited once."
        return
    for user_id in ids:
        if await active_user(user_id) is None:
            errors["invitee_ids"] = f"Professional {user_id} is not an active user."
            return


async def _set_invitees(
    conference_id: int, family_id: int, ids: list[int], starts_at: datetime,
    actor: Actor, now: datetime, rules: StatutoryRules,
) -> None:
    """Invite exactly these professionals; everyone's report is due 2 working days ahead."""
    due = report_due_on(local_date(starts_at), working_calendar(), rules)
    current = {
        r["user"]: r
        for r in await ConferenceInvitee.select().where(
            ConferenceInvitee.conference == conference_id
        )
    }
    for user_id in ids:
        if user_id in current:
            if current[user_id]["report_due_on"] != due:
                await ConferenceInvitee.update({ConferenceInvitee.report_due_on: due}).where(
                    ConferenceInvitee.id == current[user_id]["id"]
                )
            continue
        row_id = (
            await ConferenceInvitee.insert(
                ConferenceInvitee(conference=conference_id, user=user_id, report_due_on=due)
            ).returning(ConferenceInvitee.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="conference_invitee", record_id=row_id,
            action="create",
            changes=audit.created({"conference": conference_id, "user": user_id,
                                   "report_due_on": due}),
            family_id=family_id,
        )
    for user_id, row in current.items():
        if user_id not in ids:
            await ConferenceInvitee.delete().where(ConferenceInvitee.id == row["id"])
            await audit.record(
                actor=actor, now=now, record_type="conference_invitee", record_id=row["id"],
                action="delete", changes={"user": [user_id, None]}, family_id=family_id,
            )


async def create_conference(
    *, data: ConferenceIn, actor: Actor, now: datetime, policy: PlanPolicy
) -> int:
    """Schedule (and optionally record) a conference for a family."""
    errors: dict[str, str] = {}
    if not given(data.starts_at):
        errors["starts_at"] = "Enter the date and time the conference starts."
    if not given(data.chair_id):
        errors["chair_id"] = NO_CHAIR
    values = await _conference_values(data, errors, kind=data.kind, starts_at_current=None,
                                      window=policy.date_window(now))
    _check_arranged_date(values, values, errors, now, held=data.held)
    _check_record_time(values, values, errors, now)
    invitees = data.invitee_ids if given(data.invitee_ids) else []
    await _check_invitees(invitees, errors)
    if not errors:
        _check_decision({**values, "kind": data.kind}, errors, policy.statutory)
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        conference_id: int = (
            await Conference.insert(
                Conference(family=data.family_id, kind=data.kind, created_at=now, **values)
            ).returning(Conference.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="conference", record_id=conference_id,
            action="create", changes=audit.created({"kind": data.kind, **values}),
            family_id=data.family_id,
        )
        await _set_invitees(
            conference_id, data.family_id, invitees, values["starts_at"], actor, now,
            policy.statutory,
        )
    return conference_id


async def update_conference(
    *, conference_id: int, patch: ConferencePatch, actor: Actor, now: datetime,
    policy: PlanPolicy, tell: Tell | None = None,
) -> None:
    """Record the seven steps, the decision, or change the date, chair or invitees.

    With `tell`, moving a booked conference (no decision yet) tells the people invited both
    before and after the change, and the chair if they stay, of the new date (never the person
    making the change); and the family.
    """
    current = await Conference.select().where(Conference.id == conference_id).first()
    if current is None:
        raise NotFound(f"conference {conference_id}")
    errors: dict[str, str] = {}
    values = await _conference_values(
        patch, errors, kind=None, starts_at_current=current["starts_at"], window=policy.date_window(now)
    )
    if given(patch.kind):
        values["kind"] = patch.kind
    _check_arranged_date({**current, **values}, values, errors, now)
    _check_record_time({**current, **values}, values, errors, now)
    invitees = patch.invitee_ids if given(patch.invitee_ids) else None
    if invitees is not None:
        await _check_invitees(invitees, errors)
    if not errors:
        _check_decision({**current, **values}, errors, policy.statutory)
    if errors:
        raise FieldErrors(errors)
    moving = (tell is not None and "starts_at" in values
              and values["starts_at"] != current["starts_at"]
              and not {**current, **values}.get("decision"))
    async with atomic():
        told_before = await _people_to_tell(current, actor.user_id) if moving else []
        if values:
            before = {k: current[k] for k in values}
            await Conference.update(by_name(values)).where(Conference.id == conference_id)
            delta = audit.diff(before, values)
            if delta:
                await audit.record(
                    actor=actor, now=now, record_type="conference", record_id=conference_id,
                    action="update", changes=delta, family_id=current["family"],
                )
        starts_at = values["starts_at"] if "starts_at" in values else current["starts_at"]
        if invitees is not None:
            await _set_invitees(
                conference_id, current["family"], invitees, starts_at, actor, now,
                policy.statutory,
            )
        elif "starts_at" in values:
            ids = [
                r["user"] for r in await ConferenceInvitee.select(ConferenceInvitee.user).where(
                    ConferenceInvitee.conference == conference_id)
            ]
            await _set_invitees(conference_id, current["family"], ids, starts_at, actor, now,
                                 policy.statutory)
        if moving and tell is not None:
            still = await _people_to_tell({**current, "chair": values.get("chair", current["chair"])},
                                          actor.user_id)
            due = report_due_on(local_date(starts_at), working_calendar(), policy.statutory)
            news = {"news": "moved", "conference_id": conference_id,
                    "family_id": current["family"], "kind": current["kind"],
                    "was_at": current["starts_at"], "conference_at": starts_at,
                    "report_due_on": due}
            for user_id in (u for u in told_before if u in still):
                await tell.professional(user_id, news)
            await tell.family(news)


async def mark_report_submitted(
    *, conference_id: int, user_id: int, actor: Actor, now: datetime,
    file_path: str | None = None,
) -> str | None:
    """An invited professional says their report is in.

    Returns the stored file a newly attached one replaces (for the caller to delete once
    this has committed), else None.
    """
    family_id = await conference_family(conference_id)
    values: dict[str, Any] = {"report_submitted_at": now}
    if file_path is not None:
        values["report_file"] = file_path
    async with atomic():
        # Read under the lock: two submissions at once queue here, so each audit event's old
        # values (and the file it replaces) are what the one before left.
        row = await for_update(ConferenceInvitee.select().where(
            (ConferenceInvitee.conference == conference_id) & (ConferenceInvitee.user == user_id)
        )).first()
        if row is None:
            raise NotFound(f"invitation to conference {conference_id}")
        await ConferenceInvitee.update(by_name(values)).where(ConferenceInvitee.id == row["id"])
        await audit.record(
            actor=actor, now=now, record_type="conference_invitee", record_id=row["id"],
            action="update", changes=audit.diff({k: row[k] for k in values}, values),
            family_id=family_id,
        )
    superseded = row["report_file"] if file_path is not None else None
    return superseded if superseded and superseded != file_path else None


async def conference_view(conference_id: int, *, policy: PlanPolicy) -> dict[str, Any]:
    """A conference: when, who chairs, who is invited (reports due/in), the seven steps, decision."""
    c = await Conference.select().where(Conference.id == conference_id).first()
    if c is None:
        raise NotFound(f"conference {conference_id}")
    invitees = await ConferenceInvitee.select(
        ConferenceInvitee.user.as_alias("user_id"),
        ConferenceInvitee.user.name.as_alias("name"),
        ConferenceInvitee.user.agency.as_alias("agency"),
        ConferenceInvitee.report_due_on,
        ConferenceInvitee.report_submitted_at,
    ).where(ConferenceInvitee.conference == conference_id).order_by(ConferenceInvitee.id)
    plan = await Plan.select(Plan.id).where(Plan.conference == conference_id).first()
    held_on = local_date(c["starts_at"])
    rules = policy.statutory
    statutory = {
        "reports_due_on": report_due_on(held_on, working_calendar(), rules),
        "latest_next_review_on": latest_review_for(c["kind"], held_on, rules),
        "first_core_group_by": (
            first_core_group_by(held_on, working_calendar(), rules) if c["kind"] == "initial_cp" else None
        ),
    }
    return {
        "id": c["id"],
        "family_id": c["family"],
        "kind": c["kind"],
        "starts_at": c["starts_at"],
        "chair_id": c["chair"],
        "invitee_ids": [i["user_id"] for i in invitees],
        "invitees": invitees,
        "steps": {name: c[name] for name in STEP_FIELDS},
        **{name: c[name] for name in STEP_FIELDS},
        "decision": c["decision"],
        **{name: bool(c[name]) for name in SHARE_FIELDS},
        "categories": [x for x in (c["categories"] or "").split(",") if x],
        "next_review_on": c["next_review_on"],
        "plan_id": plan["id"] if plan else None,
        "statutory": statutory,
        "date_warning": non_working_day_warning(held_on, working_calendar()),
    }


async def list_conferences(
    caller: Caller, *, family_id: int | None = None
) -> list[dict[str, Any]]:
    """Conferences of the families the caller may see, soonest first."""
    visible = await visible_family_ids(caller)
    query = Conference.select(
        Conference.id, Conference.family.as_alias("family_id"), Conference.kind,
        Conference.starts_at, Conference.chair.as_alias("chair_id"), Conference.decision,
    ).order_by(Conference.starts_at)
    if family_id is not None:
        query = query.where(Conference.family == family_id)
    if visible is not None:
        if not visible:
            return []
        query = query.where(Conference.family.is_in(sorted(visible)))
    return await query


# ---------------------------------------------------------------- moving or cancelling a booking

REASON_MAX = 500
ALREADY_HELD = ("This conference's decision is recorded, so it has already happened: "
                "it stays on the family's record and cannot be moved or cancelled.")


async def booked_conference(family_id: int) -> dict[str, Any] | None:
    """The family's conference that is booked and not yet recorded (its decision still to come),
    the soonest first; None when there is none."""
    return await Conference.select(
        Conference.id, Conference.kind, Conference.starts_at,
    ).where(
        (Conference.family == family_id) & Conference.decision.is_null()
    ).order_by(Conference.starts_at).first()


async def _booking(conference_id: int) -> dict[str, Any]:
    row = await for_update(Conference.select().where(Conference.id == conference_id)).first()
    if row is None:
        raise NotFound(f"conference {conference_id}")
    return dict(row)


async def _people_to_tell(conference: dict[str, Any], actor_user_id: int | None) -> list[int]:
    """Everyone invited, and the chair: each once, never the person making the change."""
    ids = [r["user"] for r in await ConferenceInvitee.select(ConferenceInvitee.user).where(
        ConferenceInvitee.conference == conference["id"]).order_by(ConferenceInvitee.id)]
    if conference["chair"] is not None:
        ids.append(conference["chair"])
    seen: list[int] = []
    for user_id in ids:
        if user_id != actor_user_id and user_id not in seen:
            seen.append(user_id)
    return seen


async def move_conference(
    *, conference_id: int, starts_at: datetime, actor: Actor, now: datetime,
    policy: PlanPolicy, tell: Tell,
) -> bool:
    """Move a booked conference to a new date and time (today or later).

    Everyone's report due date follows (the reminders and report-due nudges are keyed by the
    dates, so the dispatcher re-dates them); the invitees, the chair and the family are told.
    Returns False when the conference was already at that time (nothing changed, nobody told).
    """
    async with atomic():
        current = await _booking(conference_id)
        if current["decision"]:
            raise FieldErrors({"starts_at": ALREADY_HELD})
        if current["starts_at"] == starts_at:
            return False
        await update_conference(conference_id=conference_id,
                                patch=ConferencePatch(starts_at=starts_at), actor=actor, now=now,
                                policy=policy, tell=tell)
    return True


async def cancel_conference(
    *, conference_id: int, reason: str, actor: Actor, now: datetime, tell: Tell,
) -> dict[str, Any]:
    """Cancel a booked conference: it, and its invitations, are taken off the family's record
    (the audit keeps what it was and why it was cancelled); its reminders and report-due nudges
    stop, since the dispatcher no longer finds it. The invitees, the chair and the family are told.

    A conference that has happened (its decision recorded, or a plan made from it) stays; so does
    one with a report already in, which would otherwise be lost. Returns what was cancelled
    (id, family_id, kind, was_at) and who was told (told_user_ids).
    """
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": "Say why the conference is cancelled, so everyone "
                                     "invited understands."})
    if len(reason) > REASON_MAX:
        raise FieldErrors({"reason": f"Keep the reason to {REASON_MAX} characters or fewer."})
    async with atomic():
        current = await _booking(conference_id)
        if current["decision"] or await Plan.exists().where(Plan.conference == conference_id):
            raise FieldErrors({"reason": ALREADY_HELD})
        invitations = await ConferenceInvitee.select().where(
            ConferenceInvitee.conference == conference_id).order_by(ConferenceInvitee.id)
        if any(r["report_submitted_at"] or r["report_file"] for r in invitations):
            raise FieldErrors({"reason": (
                "A report is already in for this conference, so it stays on the record: "
                "move it to a new date instead.")})
        family_id = int(current["family"])
        told = await _people_to_tell(current, actor.user_id)
        await ConferenceInvitee.delete().where(ConferenceInvitee.conference == conference_id)
        for row in invitations:
            await audit.record(
                actor=actor, now=now, record_type="conference_invitee", record_id=row["id"],
                action="delete", changes={"user": [row["user"], None],
                                          "report_due_on": [row["report_due_on"], None]},
                family_id=family_id)
        await Conference.delete().where(Conference.id == conference_id)
        kept = ("kind", "starts_at", "chair")
        await audit.record(
            actor=actor, now=now, record_type="conference", record_id=conference_id,
            action="delete",
            changes={**{name: [current[name], None] for name in kept},
                     "cancelled_because": [None, reason]},
            family_id=family_id)
        news = {"news": "cancelled", "conference_id": conference_id, "family_id": family_id,
                "kind": current["kind"], "was_at": current["starts_at"], "reason": reason}
        for user_id in told:
            await tell.professional(user_id, news)
        await tell.family(news)
    return {"id": conference_id, "family_id": family_id, "kind": current["kind"],
            "was_at": current["starts_at"], "told_user_ids": told}
