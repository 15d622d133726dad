"""Typed request bodies for the plan API (msgspec structs: validated, and described in OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from tracker.validate import ID_MAX
from tracker.vocabulary import (
    ACTION_STATUSES,
    OPEN_STATUSES,
    ActionStatus,
    Category,
    ConferenceKind,
    Decision,
    PlanKind,
)

__all__ = ["ACTION_STATUSES", "OPEN_STATUSES", "ActionStatus", "Category", "ConferenceKind", "Decision",
           "PlanKind"]

PreferredChannel = Literal["sms", "email", "none"]

# The conference record in the guide's own numbering and words. The guide's point 1 (this
# is the family's meeting, focused on improving outcomes for the children) introduces the
# record; points 2 to 7 are its parts, with point 6 (the family's reflections, the
# strengths, and what better would look like) kept in two fields. The field keys are the
# stored column names and do not change.
SEVEN_STEPS: tuple[tuple[str, str], ...] = (
    ("family_description", "Point 2. The children at the heart: the family describes the children "
                           "and how things are for them"),
    ("children_views", "Point 3. The children's direct views and contributions, shared directly or "
                       "through an advocate (for an unborn baby, what is important for them)"),
    ("worries", "Point 4. The issues or harm the conference needs to address, including areas the "
                "parents may not have considered"),
    ("impact", "Point 5. The impact on the children: what needs to change or improve"),
    ("family_reflections", "Point 6. How the family feel about what they have heard, and the "
                           "strengths that could be used"),
    ("what_better_looks_like", "Point 6 (continued). What better would look like"),
    ("support_and_contributions", "Point 7. The support the family requires from those in the "
                                  "meeting, and the contributions everyone can make"),
)
GUIDE_POINT_ONE = ("Point 1. This is the family's meeting: it focuses on improving outcomes for the "
                   "children, and everyone shares the responsibility for making that happen.")


# An id is a whole number a row can have in either database (PostgreSQL int4 is the smaller).
Id = Annotated[int, Meta(ge=1, le=ID_MAX, description="A record's id (1 to 2³¹-1).")]
# Lists a person picks from: long enough for any family or meeting, short enough to refuse abuse.
Ids = Annotated[list[Id], Meta(max_length=200)]


# Text held to its column's length (the services check it again, with a plain-English
# message, for the web forms; tests/test_validate_and_settings.py keeps the two in step).
PersonName = Annotated[str, Meta(max_length=200)]
Relationship = Annotated[str, Meta(max_length=100)]
TypedMobile = Annotated[str, Meta(max_length=40)]
EmailAddress = Annotated[str, Meta(max_length=254)]
LanguageCode = Annotated[str, Meta(max_length=10)]
ChildName = Annotated[str, Meta(max_length=100)]
FamilyReference = Annotated[str, Meta(max_length=50)]


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for request bodies: unknown fields are refused rather than silently dropped."""


class MemberIn(Body):
    """An adult family member. `id` names an existing member when patching a family."""

    id: Id | None = None
    name: PersonName | UnsetType = UNSET
    relationship: Relationship | UnsetType = UNSET
    mobile: TypedMobile | None | UnsetType = UNSET
    email: EmailAddress | None | UnsetType = UNSET
    preferred_channel: PreferredChannel | UnsetType = UNSET
    sms_consent: bool | UnsetType = UNSET
    safe_to_contact: bool | UnsetType = UNSET
    language: LanguageCode | UnsetType = UNSET
    interpreter_needed: bool | UnsetType = UNSET


class ChildIn(Body):
    """A child, or an unborn baby (expected_on instead of date_of_birth)."""

    id: Id | None = None
    name: ChildName | UnsetType = UNSET
    date_of_birth: date | None | UnsetType = UNSET
    expected_on: date | None | UnsetType = UNSET


class FamilyIn(Body):
    """A new family (case)."""

    name: PersonName
    reference: FamilyReference = ""
    lead_professional_id: Id | None = None
    members: Annotated[list[MemberIn], Meta(max_length=50)] = msgspec.field(default_factory=list)
    children: Annotated[list[ChildIn], Meta(max_length=50)] = msgspec.field(default_factory=list)


class FamilyPatch(Body):
    """Changes to a family; members and children with an id are updated, without one added."""

    name: PersonName | UnsetType = UNSET
    reference: FamilyReference | UnsetType = UNSET
    lead_professional_id: Id | UnsetType = UNSET
    status: Literal["open", "closed"] | UnsetType = UNSET
    members: Annotated[list[MemberIn], Meta(max_length=50)] | UnsetType = UNSET
    children: Annotated[list[ChildIn], Meta(max_length=50)] | UnsetType = UNSET


class ConferenceFields(Body):
    """Fields shared by creating and patching a conference."""

    starts_at: datetime | UnsetType = UNSET
    chair_id: Id | None | UnsetType = UNSET
    invitee_ids: Ids | UnsetType = UNSET
    family_description: str | UnsetType = UNSET
    children_views: str | UnsetType = UNSET
    worries: str | UnsetType = UNSET
    impact: str | UnsetType = UNSET
    family_reflections: str | UnsetType = UNSET
    what_better_looks_like: str | UnsetType = UNSET
    support_and_contributions: str | UnsetType = UNSET
    decision: Decision | None | UnsetType = UNSET
    categories: list[Category] | UnsetType = UNSET
    next_review_on: date | None | UnsetType = UNSET
    share_children_views: bool | UnsetType = UNSET
    share_family_reflections: bool | UnsetType = UNSET


class ConferenceIn(ConferenceFields, kw_only=True):
    """A new conference for a family."""

    family_id: Id
    kind: ConferenceKind
    # Entering a conference that has already happened (bringing a live plan in): its date may
    # be in the past even before its decision is recorded.
    held: bool = False


class ConferencePatch(ConferenceFields, kw_only=True):
    """Changes to a conference: the seven-step record, the decision, the invitees."""

    kind: ConferenceKind | UnsetType = UNSET


class ConferenceMove(Body):
    """A booked conference's new date and time; everyone invited, and the chair, are told."""

    starts_at: datetime


class ConferenceCancel(Body):
    """Why a booked conference is not going ahead (kept in the audit, not put in any email)."""

    reason: Annotated[str, Meta(max_length=500)]


class PlanIn(Body):
    """A plan made (or revised) by a conference."""

    conference_id: Id
    kind: PlanKind
    # A revised plan: the new due date of each carried action (its id on the plan being revised);
    # for a carried routine step, its new review-by date.
    # Any carried action left out moves on by the review interval (see plan_versions).
    due_dates: Annotated[dict[Id, date], Meta(max_length=500)] | UnsetType = UNSET


class OutcomeIn(Body):
    """What better looks like for named children, and how everyone will know."""

    child_ids: Ids
    statement: str
    measure: str = ""


# A routine step: how often it repeats ("" for a one-off step), which weekdays, and the
# words a check-in asks about ("your mornings": no names).
Repeats = Annotated[Literal["", "each_day", "days"], Meta(
    description='"" for a one-off step; "each_day"; or "days" (on repeat_days).')]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekdays = Annotated[list[Weekday], Meta(max_length=7)]
CheckIn = Annotated[str, Meta(max_length=60, description=(
    'What a routine\'s check-in asks about, e.g. "your mornings": "How are your mornings '
    'going?" (no names).'))]


class ActionIn(Body):
    """An owned, dated, measurable action serving one outcome (or a routine step with a
    review-by date instead of a due date)."""

    outcome_id: Id
    description: str
    owner_user_id: Id | None = None
    owner_member_id: Id | None = None
    due_on: date | None = None
    success_measure: str = ""
    support_offered: str = ""
    support_by_user_id: Id | None = None
    repeats: Repeats = ""
    repeat_days: Weekdays = msgspec.field(default_factory=list)
    review_on: date | None = None
    check_in: CheckIn = ""


class ActionPatch(Body):
    """Changes to an action. A status change here is also recorded as a progress update."""

    description: str | UnsetType = UNSET
    owner_user_id: Id | None | UnsetType = UNSET
    owner_member_id: Id | None | UnsetType = UNSET
    due_on: date | None | UnsetType = UNSET
    success_measure: str | UnsetType = UNSET
    support_offered: str | UnsetType = UNSET
    support_by_user_id: Id | None | UnsetType = UNSET
    outcome_id: Id | UnsetType = UNSET
    status: ActionStatus | UnsetType = UNSET
    note: str | UnsetType = UNSET
    repeats: Repeats | UnsetType = UNSET
    repeat_days: Weekdays | UnsetType = UNSET
    review_on: date | None | UnsetType = UNSET
    check_in: CheckIn | UnsetType = UNSET


class ProgressIn(Body):
    """A progress update: a status change, a note, or both."""

    status: ActionStatus | None = None
    note: str = ""
    # Show this note to the family under the step (a professional's note; off unless chosen).
    share_with_family: bool = False


class LanguageCheckIn(Body):
    """Text to check for blaming or deficit phrasing; for a family audience also for plain
    English (jargon, reading age, long sentences, the reader in the third person)."""

    text: str
    audience: Literal["professional", "family"] = "professional"


# ---------------------------------------------------------------- core group meetings


class ActionReviewIn(Body):
    """An open action as a core group reviewed it: the status agreed and the meeting's note."""

    action_id: Id
    status: ActionStatus
    note: str = ""


class CoreGroupFields(Body):
    """Fields shared by arranging a core group meeting and recording it.

    The record (who came, the actions reviewed, the views, next steps) can be saved only
    once the meeting has started.
    """

    starts_at: datetime | UnsetType = UNSET
    invitee_ids: Ids | UnsetType = UNSET
    attended_user_ids: Ids | UnsetType = UNSET
    attended_member_ids: Ids | UnsetType = UNSET
    action_reviews: Annotated[list[ActionReviewIn], Meta(max_length=200)] | UnsetType = UNSET
    better: str | UnsetType = UNSET
    family_view: str | UnsetType = UNSET
    children_view: str | UnsetType = UNSET
    next_steps: str | UnsetType = UNSET


class CoreGroupIn(CoreGroupFields, kw_only=True):
    """A new core group meeting on a plan (starts_at is required)."""


class CoreGroupPatch(CoreGroupFields, kw_only=True):
    """Changes to a core group meeting: move it, change who is invited, or record it."""


CORE_GROUP_RECORD_FIELDS = ("attended_user_ids", "attended_member_ids", "action_reviews",
                            "better", "family_view", "children_view", "next_steps")
"""The parts of a core group's record: none can be saved before the meeting starts."""
CORE_GROUP_TEXT_FIELDS = ("better", "family_view", "children_view", "next_steps")
