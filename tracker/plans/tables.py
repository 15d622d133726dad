"""Piccolo tables for the plan domain: families, members, children, conferences, plans, actions.

ALL_TABLES is the `plans` Piccolo app; it also lists StaffUser and ApiToken (tracker.people)
and AuditEvent (tracker.audit), because this app's migrations created them.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LazyTableReference,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tracker.audit import AuditEvent
from tracker.people.tables import ApiToken, StaffUser


class Family(Table, tablename="family"):
    """A case: the family the plan is for."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    name = Varchar(length=200)
    lead_professional = ForeignKey(StaffUser, null=True, index=True)
    status = Varchar(length=20, default="open", index=True)  # open, closed
    created_at = Timestamptz(default=TimestamptzNow())
    # The authority's own case reference (searched in the caseload); "" when not given.
    reference = Varchar(length=50, default="", index=True)


class FamilyMember(Table, tablename="family_member"):
    """An adult in the family: parent, carer, relative."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    family = ForeignKey(Family, index=True)
    name = Varchar(length=200)
    relationship = Varchar(length=100, default="")
    mobile = Varchar(length=20, null=True, default=None, index=True)  # E.164
    email = Varchar(length=254, null=True, default=None)
    preferred_channel = Varchar(length=10, default="sms")  # sms, email, none
    sms_consent = Boolean(default=False)
    # False for an adult recorded as a risk: never messaged, never shown the plan.
    safe_to_contact = Boolean(default=True)
    opted_out_at = Timestamptz(null=True, default=None)
    language = Varchar(length=10, default="en")
    created_at = Timestamptz(default=TimestamptzNow())
    interpreter_needed = Boolean(default=False)


class Child(Table, tablename="child"):
    """A child (or an unborn baby) the plan is for."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    family = ForeignKey(Family, index=True)
    name = Varchar(length=100)
    date_of_birth = Date(null=True, default=None)
    expected_on = Date(null=True, default=None)


class Conference(Table, tablename="conference"):
    """A child protection or child in need conference, recorded in the seed's seven steps."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    family = ForeignKey(Family, index=True)
    kind = Varchar(length=20)  # initial_cp, review_cp, cin_review
    starts_at = Timestamptz(index=True)
    chair = ForeignKey(StaffUser, null=True, index=True)
    # The seven steps, in the order the conference takes them.
    family_description = Text(default="")
    children_views = Text(default="")
    worries = Text(default="")
    impact = Text(default="")
    family_reflections = Text(default="")
    what_better_looks_like = Text(default="")
    support_and_contributions = Text(default="")
    # The decision.
    decision = Varchar(length=20, null=True, default=None)  # cp_plan, cin_plan, no_plan
    categories = Varchar(length=100, default="")  # comma-separated: neglect, physical, ...
    next_review_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # The chair marks the children's words and the family's strengths to share on the
    # family's page (off until they do).
    share_children_views = Boolean(default=False)
    share_family_reflections = Boolean(default=False)


class ConferenceInvitee(Table, tablename="conference_invitee"):
    """A professional invited to a conference, with their report's due date and submission."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    conference = ForeignKey(Conference, index=True)
    user = ForeignKey(StaffUser, index=True)
    report_due_on = Date(null=True, default=None)
    report_submitted_at = Timestamptz(null=True, default=None)
    report_file = Varchar(length=300, null=True, default=None)


class Plan(Table, tablename="plan"):
    """A plan made by a conference; each review conference makes the next version."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    family = ForeignKey(Family, index=True)
    conference = ForeignKey(Conference, index=True)
    kind = Varchar(length=20)  # child_protection, child_in_need
    status = Varchar(length=20, default="active", index=True)  # active, superseded, ended
    version = Integer(default=1)
    previous: ForeignKey[Plan] = ForeignKey(LazyTableReference("Plan", module_path=__name__), null=True)
    started_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)


class Outcome(Table, tablename="outcome"):
    """What better looks like for named children, and how everyone will know."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    plan = ForeignKey(Plan, index=True)
    statement = Text()
    measure = Text(default="")
    position = Integer(default=0)
    carried_from: ForeignKey[Outcome] = ForeignKey(LazyTableReference("Outcome", module_path=__name__), null=True)


class OutcomeChild(Table, tablename="outcome_child"):
    """Which children an outcome is for."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    outcome = ForeignKey(Outcome, index=True)
    child = ForeignKey(Child, index=True)


class Action(Table, tablename="action"):
    """One owned, dated, measurable step towards an outcome."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    plan = ForeignKey(Plan, index=True)
    outcome = ForeignKey(Outcome, index=True)
    description = Text()
    owner_user = ForeignKey(StaffUser, null=True, index=True)
    owner_member = ForeignKey(FamilyMember, null=True, index=True)
    support_offered = Text(default="")
    support_by = ForeignKey(StaffUser, null=True)
    due_on = Date(null=True, default=None, index=True)
    success_measure = Text(default="")
    # not_started, in_progress, done, not_achieved, cancelled
    status = Varchar(length=20, default="not_started", index=True)
    carried_from: ForeignKey[Action] = ForeignKey(LazyTableReference("Action", module_path=__name__), null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # A routine step: "" (a one-off step), "each_day", or "days" (on repeat_days, e.g.
    # "mon,wed"); it has a review-by date instead of a deadline, and check-ins about it ask
    # "How are <check_in> going?" (words with no names in them).
    repeats = Varchar(length=10, default="")
    repeat_days = Varchar(length=30, default="")
    review_on = Date(null=True, default=None)
    check_in = Varchar(length=60, default="")


class ProgressUpdate(Table, tablename="progress_update"):
    """An immutable entry on an action: who, what status change, what note, when."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    action = ForeignKey(Action, index=True)
    author_user = ForeignKey(StaffUser, null=True)
    author_member = ForeignKey(FamilyMember, null=True)
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20, null=True, default=None)
    note = Text(default="")
    channel = Varchar(length=20, default="api")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    # Who among the professionals may read the note (tracker.plans.visibility): a family
    # member's note is `lead` unless they chose otherwise; a professional's is `core_group`.
    visibility = Varchar(length=20, default="core_group")
    # A professional's note shown to the family under its step: off unless chosen per note.
    shared_with_family = Boolean(default=False)


class PlanMessage(Table, tablename="plan_message"):
    """Words on a plan: a family member's (family page or text reply), or a professional's reply to them."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    family = ForeignKey(Family, index=True)
    plan = ForeignKey(Plan, null=True, index=True)
    member = ForeignKey(FamilyMember, null=True)
    body = Text()
    channel = Varchar(length=20)  # family_link, sms, staff
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    # Who among the professionals may read it (tracker.plans.visibility): lead, core_group.
    visibility = Varchar(length=20, default="lead")
    # Set on a professional's reply to `member`; None for the family's own words.
    author_user = ForeignKey(StaffUser, null=True)


class CoreGroupMeeting(Table, tablename="core_group_meeting"):
    """A core group meeting between conferences: when, and what it found (once it has met)."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    plan = ForeignKey(Plan, index=True)
    family = ForeignKey(Family, index=True)
    starts_at = Timestamptz(index=True)
    arranged_by = ForeignKey(StaffUser, null=True)
    # The record, written once the meeting has started.
    better = Text(default="")
    family_view = Text(default="")
    children_view = Text(default="")
    next_steps = Text(default="")
    recorded_at = Timestamptz(null=True, default=None)
    recorded_by = ForeignKey(StaffUser, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CoreGroupPerson(Table, tablename="core_group_person"):
    """A professional or a family adult at a core group: invited, and whether they came."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    meeting = ForeignKey(CoreGroupMeeting, index=True)
    user = ForeignKey(StaffUser, null=True, index=True)
    member = ForeignKey(FamilyMember, null=True, index=True)
    invited = Boolean(default=False)
    attended = Boolean(default=False)


class CoreGroupActionReview(Table, tablename="core_group_action_review"):
    """An open action as the core group reviewed it: the status and note agreed, and the
    progress update that recorded them on the action."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    meeting = ForeignKey(CoreGroupMeeting, index=True)
    action = ForeignKey(Action, index=True)
    progress_update = ForeignKey(ProgressUpdate, null=True)
    status = Varchar(length=20)
    note = Text(default="")


ALL_TABLES: tuple[type[Table], ...] = (
    StaffUser,
    ApiToken,
    Family,
    FamilyMember,
    Child,
    Conference,
    ConferenceInvitee,
    Plan,
    Outcome,
    OutcomeChild,
    Action,
    ProgressUpdate,
    PlanMessage,
    AuditEvent,
    CoreGroupMeeting,
    CoreGroupPerson,
    CoreGroupActionReview,
)
