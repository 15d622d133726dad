"""Core group meetings: arrange one on a plan, then record who came, each action reviewed, what
has got better, the family's and the children's views, and what happens next.

Each use-case validates everything first (400 with a message per field, nothing written), then
writes the meeting, its people, the action reviews (each one a progress update on the action,
through the progress use-case) and their audit events in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from tracker import audit
from tracker.audit import Actor
from tracker.clock import local_date
from tracker.db import atomic, by_name
from tracker.errors import FieldErrors, NotFound
from tracker.people.tables import StaffUser
from tracker.plans.common import HISTORY_IS_KEPT, PlanPolicy, given, working_calendar
from tracker.plans.dates import StatutoryRules, next_core_group_by
from tracker.plans.progress import current_action, write_progress
from tracker.plans.schemas import (
    CORE_GROUP_RECORD_FIELDS,
    CORE_GROUP_TEXT_FIELDS,
    ActionReviewIn,
    CoreGroupFields,
    CoreGroupIn,
    CoreGroupPatch,
)
from tracker.plans.tables import (
    Action,
    CoreGroupActionReview,
    CoreGroupMeeting,
    CoreGroupPerson,
    FamilyMember,
    Plan,
)
from tracker.validate import DateWindow, text_problem

TEXT_MAX = 10_000
NOTE_MAX = 2000
NOT_YET = ("You can record this once the meeting has started ({when}). Until then you can change "
           "when it is and who is invited.")


# ---------------------------------------------------------------- the rhythm (pure)


@dataclass(frozen=True)
class Rhythm:
    """Where a plan stands on its core group rhythm at a moment."""

    next_by: date
    """The latest date the next core group should meet."""
    booked_at: datetime | None
    """The next meeting already arranged (starting after now), if any."""
    last_met_at: datetime | None

    def overdue(self, today: date) -> bool:
        """Past the date with none booked."""
        return self.booked_at is None and today > self.next_by


def rhythm(*, conference_kind: str, conference_at: datetime, meetings: Iterable[datetime],
           now: datetime, rules: StatutoryRules) -> Rhythm:
    """The next core group's latest date from the plan's conference and its meetings so far."""
    starts = sorted(meetings)
    held = [s for s in starts if s <= now]
    booked = [s for s in starts if s > now]
    last = held[-1] if held else None
    next_by = next_core_group_by(
        conference_kind=conference_kind, conference_on=local_date(conference_at),
        last_meeting_on=local_date(last) if last else None, cal=working_calendar(), rules=rules)
    return Rhythm(next_by=next_by, booked_at=booked[0] if booked else None, last_met_at=last)


async def plan_rhythm(plan_id: int, *, now: datetime, policy: PlanPolicy) -> Rhythm:
    """The rhythm of one plan (two queries)."""
    plan = await _plan_row(plan_id)
    starts = [r["starts_at"] for r in await CoreGroupMeeting.select(CoreGroupMeeting.starts_at).where(
        CoreGroupMeeting.plan == plan_id)]
    return rhythm(conference_kind=plan["conference_kind"], conference_at=plan["conference_at"],
                  meetings=starts, now=now, rules=policy.statutory)


# ---------------------------------------------------------------- checks


async def _plan_row(plan_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = await Plan.select(
        Plan.id, Plan.family, Plan.status, Plan.kind,
        Plan.conference.kind.as_alias("conference_kind"),
        Plan.conference.starts_at.as_alias("conference_at"),
    ).where(Plan.id == plan_id).first()
    if row is None:
        raise NotFound(f"plan {plan_id}")
    return row


def _starts_at(data: CoreGroupFields, errors: dict[str, str], window: DateWindow,
               conference_at: datetime) -> datetime | None:
    if not given(data.starts_at):
        return None
    starts_at, problem = window.instant(data.starts_at, "the date and time of the meeting")
    if problem:
        errors["starts_at"] = problem
        return None
    assert starts_at is not None
    if local_date(starts_at) < local_date(conference_at):
        errors["starts_at"] = (f"A core group for this plan meets after the conference that made it "
                               f"({local_date(conference_at):%-d %B %Y}).")
        return None
    return starts_at


def _texts(data: CoreGroupFields, errors: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in CORE_GROUP_TEXT_FIELDS:
        value = getattr(data, name)
        if not given(value):
            continue
        value = value.strip()
        if len(value) > TEXT_MAX:
            errors[name] = f"Keep this to {TEXT_MAX} characters or fewer (it has {len(value)})."
        elif problem := text_problem(value):
            errors[name] = problem
        values[name] = value
    return values


def _once(ids: Sequence[int], field: str, errors: dict[str, str], words: str) -> bool:
    if len(set(ids)) != len(ids):
        errors[field] = f"Name each {words} once."
        return False
    return True


async def _check_users(ids: Sequence[int], field: str, errors: dict[str, str]) -> None:
    if not ids or not _once(ids, field, errors, "professional"):
        return
    found = {r["id"] for r in await StaffUser.select(StaffUser.id).where(
        StaffUser.id.is_in(list(ids)) & (StaffUser.active == True))}  # noqa: E712
    missing = [i for i in ids if i not in found]
    if missing:
        errors[field] = f"Professional {missing[0]} is not an active user: choose from the list."


async def _check_members(ids: Sequence[int], family_id: int, errors: dict[str, str]) -> None:
    field = "attended_member_ids"
    if not ids or not _once(ids, field, errors, "family member"):
        return
    found = {r["id"] for r in await FamilyMember.select(FamilyMember.id).where(
        FamilyMember.id.is_in(list(ids)) & (FamilyMember.family == family_id))}
    if any(i not in found for i in ids):
        errors[field] = "Choose adults from this family."


def _review_note(i: int, review: ActionReviewIn, current: str, errors: dict[str, str]) -> None:
    note = review.note.strip()
    key = f"action_reviews[{i}].note"
    if len(note) > NOTE_MAX:
        errors[key] = f"Keep the note to {NOTE_MAX} characters or fewer."
    elif problem := text_problem(note):
        errors[key] = problem
    elif review.status == current and not note:
        errors[key] = "Add the note the meeting agreed, or choose a new status."


async def _check_reviews(reviews: Sequence[ActionReviewIn], plan_id: int, errors: dict[str, str],
                         reviewed: set[int]) -> None:
    if not reviews:
        return
    ids = [r.action_id for r in reviews]
    if not _once(ids, "action_reviews", errors, "action"):
        return
    statuses = {r["id"]: r["status"] for r in await Action.select(Action.id, Action.status).where(
        Action.id.is_in(ids) & (Action.plan == plan_id))}
    for i, review in enumerate(reviews):
        if review.action_id not in statuses:
            errors[f"action_reviews[{i}].action_id"] = "Choose an action on this plan."
        elif review.action_id in reviewed:
            errors[f"action_reviews[{i}].action_id"] = "This action has already been reviewed at this meeting."
        else:
            _review_note(i, review, statuses[review.action_id], errors)


def _check_record_time(data: CoreGroupFields, starts_at: datetime, now: datetime,
                       errors: dict[str, str]) -> None:
    """The record (who came, the reviews, the views) cannot be saved before the meeting starts."""
    if starts_at <= now:
        return
    when = f"{local_date(starts_at):%-d %B %Y}"
    for name in CORE_GROUP_RECORD_FIELDS:
        if given(getattr(data, name)) and name not in errors:
            errors[name] = NOT_YET.format(when=when)


def _record_given(data: CoreGroupFields) -> bool:
    return any(given(getattr(data, name)) for name in CORE_GROUP_RECORD_FIELDS)


async def _validate(data: CoreGroupFields, plan: dict[str, Any], *, now: datetime,
                    policy: PlanPolicy, starts_at_current: datetime | None,
                    reviewed: set[int]) -> tuple[dict[str, Any], datetime | None]:
    """Every check on a create or a change; raises FieldErrors, else the column values."""
    errors: dict[str, str] = {}
    if plan["status"] != "active":
        errors["plan"] = HISTORY_IS_KEPT
    if starts_at_current is None and not given(data.starts_at):
        errors["starts_at"] = "Enter the date and time the meeting starts."
    starts_at = _starts_at(data, errors, policy.date_window(now), plan["conference_at"])
    values: dict[str, Any] = dict(_texts(data, errors))
    if starts_at is not None:
        values["starts_at"] = starts_at
    for field in ("invitee_ids", "attended_user_ids"):
        if given(getattr(data, field)):
            await _check_users(getattr(data, field), field, errors)
    if given(data.attended_member_ids):
        await _check_members(data.attended_member_ids, plan["family"], errors)
    if given(data.action_reviews):
        await _check_reviews(data.action_reviews, plan["id"], errors, reviewed)
    effective = starts_at or starts_at_current
    if effective is not None and _record_given(data):
        _check_record_time(data, effective, now, errors)
    if errors:
        raise FieldErrors(errors)
    return values, effective


# ---------------------------------------------------------------- writing


Key = tuple[str, int]


def _wanted_people(current: dict[Key, dict[str, Any]], data: CoreGroupFields,
                   ) -> dict[Key, dict[str, bool]]:
    """Who should be on the meeting, and how, after this change."""
    wanted = {k: {"invited": bool(r["invited"]), "attended": bool(r["attended"])}
              for k, r in current.items()}
    changes = (("user", "invited", data.invitee_ids), ("user", "attended", data.attended_user_ids),
               ("member", "attended", data.attended_member_ids))
    for kind, flag, ids in changes:
        if not given(ids):
            continue
        for key in [k for k in wanted if k[0] == kind]:
            wanted[key][flag] = key[1] in ids
        for person_id in ids:
            wanted.setdefault((kind, person_id), {"invited": False, "attended": False})[flag] = True
    return wanted


async def _set_people(meeting_id: int, plan: dict[str, Any], data: CoreGroupFields, actor: Actor,
                      now: datetime) -> None:
    rows = await CoreGroupPerson.select().where(CoreGroupPerson.meeting == meeting_id)
    current: dict[Key, dict[str, Any]] = {
        ("user", r["user"]) if r["user"] else ("member", r["member"]): r for r in rows}
    for key, flags in _wanted_people(current, data).items():
        row = current.get(key)
        who = {key[0]: key[1]}
        action: Literal["create", "update", "delete"]
        if row is None:
            if not any(flags.values()):
                continue
            row_id = (await CoreGroupPerson.insert(CoreGroupPerson(
                meeting=meeting_id, user=who.get("user"), member=who.get("member"),
                invited=flags["invited"], attended=flags["attended"],
            )).returning(CoreGroupPerson.id))[0]["id"]
            changes = audit.created({"meeting": meeting_id, **who, **flags})
            action = "create"
        elif not any(flags.values()):
            row_id = row["id"]
            await CoreGroupPerson.delete().where(CoreGroupPerson.id == row_id)
            changes, action = {key[0]: [key[1], None]}, "delete"
        else:
            row_id = row["id"]
            changes = audit.diff({k: bool(row[k]) for k in flags}, flags)
            if not changes:
                continue
            await CoreGroupPerson.update(by_name(flags)).where(CoreGroupPerson.id == row_id)
            action = "update"
        await audit.record(actor=actor, now=now, record_type="core_group_person", record_id=row_id,
                           action=action, changes=changes, family_id=plan["family"],
                           plan_id=plan["id"])


async def _write_reviews(meeting_id: int, plan: dict[str, Any], reviews: Sequence[ActionReviewIn],
                         actor: Actor, now: datetime) -> None:
    """Each review is a progress update on its action (channel web, by the recorder)."""
    recorder = Actor(kind=actor.kind, channel="web", user_id=actor.user_id,
                     member_id=actor.member_id, label=actor.label)
    for review in reviews:
        action = await current_action(review.action_id)
        note = review.note.strip()
        update_id = await write_progress(action, plan["family"], review.status, note, recorder, now)
        row_id = (await CoreGroupActionReview.insert(CoreGroupActionReview(
            meeting=meeting_id, action=review.action_id, progress_update=update_id,
            status=review.status, note=note)).returning(CoreGroupActionReview.id))[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="core_group_action_review", record_id=row_id,
            action="create", changes=audit.created({"meeting": meeting_id, "action": review.action_id,
                                                    "status": review.status, "note": note}),
            family_id=plan["family"], plan_id=plan["id"])


def _recorded(values: dict[str, Any], data: CoreGroupFields, actor: Actor, now: datetime) -> None:
    if _record_given(data):
        values["recorded_at"] = now
        values["recorded_by"] = actor.user_id


async def create_core_group(*, plan_id: int, data: CoreGroupIn, actor: Actor, now: datetime,
                            policy: PlanPolicy) -> int:
    """Arrange a core group meeting on a plan (and, for one already held, its record)."""
    plan = await _plan_row(plan_id)
    values, _ = await _validate(data, plan, now=now, policy=policy, starts_at_current=None,
                                reviewed=set())
    _recorded(values, data, actor, now)
    async with atomic():
        meeting_id: int = (await CoreGroupMeeting.insert(CoreGroupMeeting(
            plan=plan_id, family=plan["family"], arranged_by=actor.user_id, created_at=now,
            **values)).returning(CoreGroupMeeting.id))[0]["id"]
        await audit.record(actor=actor, now=now, record_type="core_group_meeting",
                           record_id=meeting_id, action="create", changes=audit.created(values),
                           family_id=plan["family"], plan_id=plan_id)
        await _set_people(meeting_id, plan, data, actor, now)
        await _write_reviews(meeting_id, plan, data.action_reviews if given(data.action_reviews)
                             else [], actor, now)
    return meeting_id


async def _meeting_row(meeting_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = await CoreGroupMeeting.select().where(
        CoreGroupMeeting.id == meeting_id).first()
    if row is None:
        raise NotFound(f"core group {meeting_id}")
    return row


async def update_core_group(*, meeting_id: int, patch: CoreGroupPatch, actor: Actor, now: datetime,
                            policy: PlanPolicy) -> None:
    """Move the meeting, change who is invited, or record it (once it has started)."""
    current = await _meeting_row(meeting_id)
    plan = await _plan_row(current["plan"])
    reviewed = {r["action"] for r in await CoreGroupActionReview.select(
        CoreGroupActionReview.action).where(CoreGroupActionReview.meeting == meeting_id)}
    values, starts_at = await _validate(patch, plan, now=now, policy=policy,
                                        starts_at_current=current["starts_at"], reviewed=reviewed)
    if current["recorded_at"] and starts_at is not None and starts_at > now:
        raise FieldErrors({"starts_at": "This meeting has been recorded, so it cannot move to a "
                                        "time still to come."})
    _recorded(values, patch, actor, now)
    async with atomic():
        if values:
            await CoreGroupMeeting.update(by_name(values)).where(CoreGroupMeeting.id == meeting_id)
            delta = audit.diff({k: current[k] for k in values}, values)
            if delta:
                await audit.record(actor=actor, now=now, record_type="core_group_meeting",
                                   record_id=meeting_id, action="update", changes=delta,
                                   family_id=plan["family"], plan_id=plan["id"])
        await _set_people(meeting_id, plan, patch, actor, now)
        await _write_reviews(meeting_id, plan, patch.action_reviews if given(patch.action_reviews)
                             else [], actor, now)
