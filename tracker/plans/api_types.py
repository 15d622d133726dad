"""Response bodies of the plan API (`/api/v1`): what each read view returns, field by field.

The services build plain dicts (`service.family_view`, `plan_view`, ...); the routes turn them
into these structs with `to_out`, so the OpenAPI document describes every answer and a view that
changes shape without its struct fails the API tests. Field names are the API's contract with
clients: never rename one here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from tracker.api_responses import IsoDateTime, Out
from tracker.plans.schemas import PreferredChannel
from tracker.vocabulary import ActionStatus, Category, ConferenceKind, Decision, PlanKind

FamilyStatus = Literal["open", "closed"]
PlanStatus = Literal["active", "superseded", "ended"]
SmartLetter = Literal["specific", "measurable", "achievable", "relevant", "time_bound"]


class MeOut(Out):
    """The caller behind the API token."""

    id: int
    name: str
    email: str
    roles: list[str]


# ---------------------------------------------------------------- families


class FamilySummaryOut(Out):
    """A family in a list."""

    id: int
    name: str
    status: FamilyStatus
    lead_professional_id: int | None
    reference: str = ""


class MemberOut(Out):
    """An adult in the family."""

    id: int
    name: str
    relationship: str
    mobile: str | None
    email: str | None
    preferred_channel: PreferredChannel
    sms_consent: bool
    safe_to_contact: bool
    opted_out_at: datetime | None
    language: str
    interpreter_needed: bool = False


class ChildOut(Out):
    """A child, or an unborn baby (`expected_on` instead of `date_of_birth`)."""

    id: int
    name: str
    date_of_birth: date | None
    expected_on: date | None


class FamilyConferenceOut(Out):
    """One of the family's conferences, soonest first."""

    id: int
    kind: ConferenceKind
    starts_at: datetime


class FamilyOut(Out):
    """A family with its adults, children, current plan and conferences."""

    id: int
    name: str
    lead_professional_id: int | None
    status: FamilyStatus
    members: list[MemberOut]
    children: list[ChildOut]
    current_plan_id: int | None
    conferences: list[FamilyConferenceOut]
    reference: str = ""


# ---------------------------------------------------------------- conferences


class ConferenceSummaryOut(Out):
    """A conference in a list."""

    id: int
    family_id: int
    kind: ConferenceKind
    starts_at: datetime
    chair_id: int | None
    decision: Decision | None


class ConferenceCancelledOut(Out):
    """A booked conference, now cancelled: taken off the family's record, everyone invited told."""

    id: int
    family_id: int
    kind: ConferenceKind
    was_at: datetime
    told_user_ids: list[int]


class InviteeOut(Out):
    """A professional invited to a conference, with when their report is due and when it came."""

    user_id: int
    name: str
    agency: str
    report_due_on: date | None
    report_submitted_at: datetime | None


class StepsOut(Out):
    """The seven steps of the conference record, in the order the conference takes them."""

    family_description: str
    children_views: str
    worries: str
    impact: str
    family_reflections: str
    what_better_looks_like: str
    support_and_contributions: str


class StatutoryOut(Out):
    """Dates that follow from when the conference is held (working days, review intervals)."""

    reports_due_on: date
    latest_next_review_on: date
    first_core_group_by: date | None


class ConferenceOut(Out):
    """A conference: when, who chairs, who is invited, the seven steps (also at the top level,
    one field each), the decision and its statutory dates."""

    id: int
    family_id: int
    kind: ConferenceKind
    starts_at: datetime
    chair_id: int | None
    invitee_ids: list[int]
    invitees: list[InviteeOut]
    steps: StepsOut
    family_description: str
    children_views: str
    worries: str
    impact: str
    family_reflections: str
    what_better_looks_like: str
    support_and_contributions: str
    decision: Decision | None
    categories: list[Category]
    next_review_on: date | None
    plan_id: int | None
    statutory: StatutoryOut
    # Set when the conference falls on a weekend or a bank holiday: a warning, not a refusal.
    date_warning: str | None = None
    # Marked by the chair to show on the family's page (point 3 and point 6).
    share_children_views: bool = False
    share_family_reflections: bool = False


# ---------------------------------------------------------------- plans and actions


class SmartGapOut(Out):
    """One missing SMART quality and a hint for putting it right."""

    letter: SmartLetter
    reason: str


class SmartOut(Out):
    """The SMART check of an action; a routine (its description says how often, such as
    "every Monday") has its `frequency` as written, else null."""

    is_smart: bool
    missing: list[SmartLetter]
    gaps: list[SmartGapOut]
    routine: bool
    frequency: str | None


class ActionOut(Out):
    """An owned, dated, measurable action with its SMART check."""

    id: int
    plan_id: int
    outcome_id: int
    description: str
    owner_user_id: int | None
    owner_member_id: int | None
    support_offered: str
    support_by_user_id: int | None
    due_on: date | None
    success_measure: str
    status: ActionStatus
    overdue: bool
    carried_from: int | None
    updated_at: datetime
    smart: SmartOut
    # A routine step: how often ("" for a one-off step), which weekdays, its review-by date,
    # and what its check-ins ask about.
    repeats: str = ""
    repeat_days: list[str] = msgspec.field(default_factory=list)
    review_on: date | None = None
    check_in: str = ""


class PlanOutcomeOut(Out):
    """An outcome of a plan, the children it is for, and its actions."""

    id: int
    statement: str
    measure: str
    child_ids: list[int]
    actions: list[ActionOut]


class PlanOut(Out):
    """A plan with its outcomes and actions."""

    id: int
    family_id: int
    conference_id: int
    kind: PlanKind
    status: PlanStatus
    version: int
    previous_plan_id: int | None
    started_at: datetime
    next_review_on: date | None
    outcomes: list[PlanOutcomeOut]


class OutcomeOut(Out):
    """An outcome just added to a plan."""

    id: int
    plan_id: int
    statement: str
    measure: str
    child_ids: list[int]


class AuthorOut(Out):
    """Who wrote a progress update."""

    kind: Literal["user", "member", "system"]
    user_id: int | None
    member_id: int | None
    name: str


class ProgressUpdateOut(Out):
    """A progress update on an action: a status change, a note, or both."""

    id: int
    action_id: int
    author: AuthorOut
    from_status: ActionStatus | None
    to_status: ActionStatus | None
    note: str
    channel: str
    created_at: datetime
    # Who among the professionals may read it: `lead` (the lead professional) or `core_group`.
    visibility: Literal["lead", "core_group"]
    # A professional's note the family sees under the step.
    shared_with_family: bool


class StatusCountsOut(Out):
    """How many of the plan's actions have each status."""

    not_started: int
    in_progress: int
    done: int
    not_achieved: int
    cancelled: int


class OutcomeProgressOut(Out):
    """Progress on one outcome (cancelled actions are not counted in the totals)."""

    outcome_id: int
    statement: str
    total: int
    done: int
    in_progress: int
    not_started: int
    not_achieved: int
    overdue: int
    percent_done: int


class ProgressOut(Out):
    """A plan's progress: counts by status, what is overdue, progress per outcome."""

    plan_id: int
    as_of: date
    total: int
    by_status: StatusCountsOut
    overdue: int
    overdue_action_ids: list[int]
    outcomes: list[OutcomeProgressOut]


class AuditActorOut(Out):
    """Who made a change."""

    kind: Literal["user", "member", "system"]
    user_id: int | None
    member_id: int | None
    label: str


class AuditEventOut(Out):
    """One change: who, which record, from what to what (`changes`: field → [old, new]), when,
    and through which channel."""

    id: int
    at: IsoDateTime
    actor: AuditActorOut
    channel: str
    record_type: str
    record_id: int
    action: Literal["create", "update", "delete"]
    changes: dict[str, list[Any]]


# ---------------------------------------------------------------- language


class FindingOut(Out):
    """A phrase to look at again: its offsets into the checked text, why, and what to write
    instead. `kind` says which check found it; `construct` names the pattern of a restorative
    finding (`tone` when the tone model read the whole sentence as blame and no rule explains
    it; `plain_english` for a plain-English one)."""

    start: int
    end: int
    phrase: str
    why: str
    suggestion: str
    rule_id: str
    kind: Literal["restorative", "jargon", "plain_english"]
    construct: str


class LanguageCheckOut(Out):
    """What the wording checks found (nothing is an empty list); for a family audience also the
    reading age (absent for a professional audience; null when the text is too short to tell)."""

    findings: list[FindingOut]
    reading_age: int | None | UnsetType = UNSET


# ---------------------------------------------------------------- core group meetings


class CoreGroupPersonOut(Out):
    """A professional (`user_id`) or a family adult (`member_id`) at a core group meeting."""

    user_id: int | None
    member_id: int | None
    name: str
    invited: bool
    attended: bool


class ActionReviewOut(Out):
    """An action as the core group reviewed it; `progress_update_id` is the update it made."""

    action_id: int
    description: str
    status: ActionStatus
    note: str
    progress_update_id: int | None


class CoreGroupOut(Out):
    """A core group meeting: when, who was invited and came, and its record once held."""

    id: int
    plan_id: int
    family_id: int
    starts_at: datetime
    arranged_by_id: int | None
    invitee_ids: list[int]
    attended_user_ids: list[int]
    attended_member_ids: list[int]
    people: list[CoreGroupPersonOut]
    action_reviews: list[ActionReviewOut]
    better: str
    family_view: str
    children_view: str
    next_steps: str
    recorded_at: datetime | None
    recorded_by_id: int | None
