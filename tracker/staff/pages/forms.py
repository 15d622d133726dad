"""Staff forms: posted form data read into typed input, or field errors plus what to show again.

Each reader takes the posted data (field name -> a string, or a list of strings when the name
repeats, as Litestar hands over a URL-encoded or multipart body) and returns a `Form`: `value`
is the typed input for one service call, or None when a field is wrong, and then `errors` says
what is wrong by the field's id on the page (the error summary links to it). `echo` is always
what was typed, in the shape the template shows, so a page with problems keeps everything.

Readers check only what the form itself can know: a field filled in, a real date, a real time,
a choice from the list. Rules about the plan belong to the service, which raises FieldErrors;
`Form.service_errors` puts those beside the right field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar, cast

from tracker.clock import LONDON
from tracker.errors import FieldErrors
from tracker.plans.schemas import (
    SEVEN_STEPS,
    ActionIn,
    ActionPatch,
    ConferenceIn,
    ConferencePatch,
    OutcomeIn,
    ProgressIn,
)
from tracker.staff.pages.fields import (
    FormData,
    date_fields,
    date_parts,
    int_or_none,
    owner_from,
    parse_date,
    parse_time,
    text,
    values,
)
from tracker.vocabulary import (
    ACTION_STATUSES,
    DECISION_WORDS,
    ActionStatus,
    Category,
    ConferenceKind,
    Decision,
)

T = TypeVar("T")

DECISIONS = tuple(DECISION_WORDS.items())
CATEGORIES = (("neglect", "Neglect"), ("physical", "Physical abuse"),
              ("emotional", "Emotional abuse"), ("sexual", "Sexual abuse"))

OWNER_MISSING = "Choose who will do this: a professional or a family member."


@dataclass
class Form(Generic[T]):
    """One form as posted: typed input when it reads well, else errors by field id."""

    echo: dict[str, Any]
    """What was typed, shaped for the template (a date as its day, month and year)."""
    value: T | None = None
    """The typed input, or None exactly when there are errors."""
    errors: dict[str, str] = field(default_factory=dict)
    """A plain-English message per field id on the page."""
    field_id: Callable[[str], str] = field(default=lambda name: name.replace("_", "-"))
    """The page's field id for a service field name (where its error is shown)."""

    def service_errors(self, exc: FieldErrors) -> dict[str, str]:
        """The service's refusals, each keyed by the field id it belongs beside."""
        return {self.field_id(name): message for name, message in exc.errors.items()}


def _checked(echo: dict[str, Any], value: T, errors: dict[str, str],
             field_id: Callable[[str], str]) -> Form[T]:
    """A Form holding the value only when no field was wrong."""
    return Form(echo=echo, value=None if errors else value, errors=errors, field_id=field_id)


# ---------------------------------------------------------------- my actions


def progress(data: FormData, *, action_id: int) -> Form[ProgressIn]:
    """An action's new status (optional), note and whether the family sees it, from its card."""
    status, note = text(data, "status"), text(data, "note")
    share = text(data, "share_with_family") == "yes"
    errors: dict[str, str] = {}
    if status and status not in ACTION_STATUSES:
        errors[f"status-{action_id}"] = "Choose one of the statuses shown."
    return _checked({"status": status, "note": note, "share_with_family": share},
                    ProgressIn(status=cast(ActionStatus, status) if status else None, note=note,
                               share_with_family=share),
                    errors, field_id=lambda name: f"{name}-{action_id}")


# ---------------------------------------------------------------- arranging a conference


@dataclass(frozen=True)
class Arrangement:
    """When a conference is, who chairs it, who is invited (and, when arranging, its kind)."""

    kind: str
    starts_at: datetime
    chair_id: int | None
    invitee_ids: list[int]
    held: bool = False  # entering a conference that has already happened
    non_working_ok: str = ""  # the weekend or bank-holiday date the person chose to keep

    def conference_in(self, family_id: int) -> ConferenceIn:
        """The new conference for the service."""
        return ConferenceIn(family_id=family_id, kind=cast(ConferenceKind, self.kind),
                            starts_at=self.starts_at, chair_id=self.chair_id,
                            invitee_ids=self.invitee_ids, held=self.held)

    def keeps_non_working_day(self) -> bool:
        """True once the person has seen the weekend or bank-holiday warning for this date and kept it."""
        return self.non_working_ok == self.starts_at.astimezone(LONDON).date().isoformat()

    def patch(self) -> ConferencePatch:
        """The change to an arranged conference (its kind stays)."""
        return ConferencePatch(starts_at=self.starts_at, chair_id=self.chair_id,
                               invitee_ids=self.invitee_ids)


ARRANGEMENT_FIELDS = {"starts_at": "starts-on", "chair_id": "chair", "invitee_ids": "invitees",
                      "kind": "kind"}
"""Service field names -> the arrangement form's ids."""


def _arrangement_field(name: str) -> str:
    return ARRANGEMENT_FIELDS.get(name, name.replace("_", "-"))


def arrangement(data: FormData, *, kinds: Mapping[str, str] | None) -> Form[Arrangement]:
    """The arrange-a-conference form, or its when/who part alone when `kinds` is None.

    Only what the form itself can get wrong (a day that does not exist, a time that is not
    one); the rules about conferences (today or later, a chair who holds the chair role) are
    the service's, so the JSON API has them too.
    """
    kind, starts_on, starts_time = text(data, "kind"), date_fields(data, "starts-on"), text(
        data, "starts_time")
    chair, invitees = text(data, "chair"), values(data, "invitees")
    held = text(data, "held") == "yes"
    echo = {"kind": kind, "starts_on": starts_on, "starts_time": starts_time, "chair": chair,
            "invitees": invitees, "held": held}
    errors: dict[str, str] = {}
    if kinds is not None and kind not in kinds:
        errors["kind"] = "Choose which kind of conference this is."
    day, problem = parse_date(starts_on, label="the date of the conference", required=True)
    if problem:
        errors["starts-on"] = problem
    at, problem = parse_time(starts_time, label="the start time")
    if problem:
        errors["starts-time"] = problem
    chair_id = int_or_none(chair)
    ids = [int_or_none(v) for v in invitees]
    if any(i is None for i in ids):
        errors["invitees"] = "Choose professionals from the list."
    if errors or day is None or at is None:
        return Form(echo=echo, errors=errors, field_id=_arrangement_field)
    return Form(echo=echo, field_id=_arrangement_field, value=Arrangement(
        kind=kind, starts_at=datetime.combine(day, at, LONDON), chair_id=chair_id,
        invitee_ids=[i for i in ids if i is not None], held=held,
        non_working_ok=text(data, "non_working_ok")))


def arrangement_echo(starts_at: datetime | None, chair_id: int | None,
                     invitee_ids: list[int], *, kind: str = "",
                     starts_time: str = "10:00") -> dict[str, Any]:
    """The arrangement form filled from what is stored (or blank, for a new conference)."""
    local = starts_at.astimezone(LONDON) if starts_at else None
    return {"kind": kind, "starts_on": date_parts(local.date() if local else None),
            "starts_time": f"{local:%H:%M}" if local else starts_time,
            "chair": str(chair_id or ""), "invitees": [str(i) for i in invitee_ids]}


# ---------------------------------------------------------------- the conference record


# What the chair may mark to share on the family's page (point 3 and point 6 of the record).
SHARE_CHOICES = ("share_children_views", "share_family_reflections")


def conference_record(data: FormData) -> Form[ConferencePatch]:
    """The seven steps, the decision, the categories and the next review date."""
    echo: dict[str, Any] = {name: text(data, name) for name, _ in SEVEN_STEPS}
    echo["decision"] = text(data, "decision")
    echo["categories"] = values(data, "categories")
    echo["next_review"] = date_fields(data, "next_review")
    echo["share"] = [v for v in values(data, "share") if v in SHARE_CHOICES]
    errors: dict[str, str] = {}
    review_on, problem = parse_date(echo["next_review"], label="the next review date")
    if problem:
        errors["next_review"] = problem
    decision = echo["decision"] or None
    if decision is not None and decision not in dict(DECISIONS):
        errors["decision"] = "Choose the conference's decision."
    categories = [cast(Category, c) for c in echo["categories"] if c in dict(CATEGORIES)]
    patch = ConferencePatch(
        decision=cast("Decision | None", decision),
        categories=categories if decision == "cp_plan" else [],
        next_review_on=review_on,
        share_children_views="share_children_views" in echo["share"],
        share_family_reflections="share_family_reflections" in echo["share"],
        **{name: echo[name] for name, _ in SEVEN_STEPS},
    )
    return _checked(echo, patch, errors, field_id=lambda name: (
        "next_review" if name == "next_review_on" else name))


def record_echo(conference: Mapping[str, Any]) -> dict[str, Any]:
    """The conference record form filled from what is stored."""
    echo: dict[str, Any] = {name: conference[name] for name, _ in SEVEN_STEPS}
    echo["decision"] = conference["decision"] or ""
    echo["categories"] = list(conference["categories"])
    echo["next_review"] = date_parts(conference["next_review_on"])
    echo["share"] = [name for name in SHARE_CHOICES if conference.get(name)]
    return echo


# ---------------------------------------------------------------- outcomes and actions


def outcome(data: FormData) -> Form[OutcomeIn]:
    """What better looks like for named children, and how we will know."""
    child_ids, statement, measure = values(data, "child_ids"), text(data, "statement"), text(
        data, "measure")
    return Form(echo={"child_ids": child_ids, "statement": statement, "measure": measure},
                value=OutcomeIn(child_ids=[i for i in map(int_or_none, child_ids) if i is not None],
                                statement=statement, measure=measure),
                field_id=lambda name: f"outcome-{name.replace('_', '-')}")


@dataclass(frozen=True)
class ActionDraft:
    """An action as typed on the add or change form (anything may still be missing)."""

    outcome_id: int | None
    description: str
    owner_user_id: int | None
    owner_member_id: int | None
    due_on: date | None
    success_measure: str
    support_offered: str
    # A routine step: "" (one-off), "each_day" or "days"; its days, review-by date and check-in.
    repeats: str = ""
    repeat_days: tuple[str, ...] = ()
    review_on: date | None = None
    check_in: str = ""
    routine_given: bool = False  # the form had the routine fields (older forms did not)

    @property
    def has_owner(self) -> bool:
        """One professional or one family member was chosen."""
        return self.owner_user_id is not None or self.owner_member_id is not None

    def action_in(self) -> ActionIn:
        """The new action for the service."""
        return ActionIn(outcome_id=self.outcome_id or 0, description=self.description,
                        owner_user_id=self.owner_user_id, owner_member_id=self.owner_member_id,
                        due_on=self.due_on, success_measure=self.success_measure,
                        support_offered=self.support_offered, **self._routine())

    def _routine(self) -> dict[str, Any]:
        if not self.routine_given:
            return {}
        return {"repeats": self.repeats, "repeat_days": list(self.repeat_days),
                "review_on": self.review_on, "check_in": self.check_in}

    def patch(self) -> ActionPatch:
        """The change to an action for the service (its outcome stays)."""
        return ActionPatch(description=self.description, owner_user_id=self.owner_user_id,
                           owner_member_id=self.owner_member_id, due_on=self.due_on,
                           success_measure=self.success_measure,
                           support_offered=self.support_offered, **self._routine())


ROUTINE_FIELD_IDS = {"repeats": "action-repeats", "repeat_days": "action-repeats",
                     "review_on": "action-review", "check_in": "action-check-in"}
"""The routine step's service field names -> its form ids (the same on both action forms)."""
REPEAT_CHOICES = ("", "each_day", "days")
WEEKDAY_CHOICES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

ACTION_FIELDS = {"owner_user_id": "action-owner", "owner_member_id": "action-owner",
                 "outcome_id": "action-outcome-id", "due_on": "action-due", **ROUTINE_FIELD_IDS}
"""Service field names -> the action form's ids (the rest are action-<name>)."""

EDIT_ACTION_FIELDS = {"owner_user_id": "action-owner", "owner_member_id": "action-owner",
                      "due_on": "action-due", "description": "action-description",
                      "success_measure": "action-success-measure",
                      "support_offered": "action-support-offered", **ROUTINE_FIELD_IDS}
"""Service field names -> the change-an-action form's ids (the rest keep their own names)."""

_ACTION_TEXT = ("outcome_id", "description", "owner", "success_measure", "support_offered")


def action_echo(data: FormData) -> dict[str, Any]:
    """The action form as typed."""
    echo: dict[str, Any] = {name: text(data, name) for name in _ACTION_TEXT}
    echo["due"] = date_fields(data, "action-due")
    echo["repeats"] = text(data, "repeats") if text(data, "repeats") in REPEAT_CHOICES else ""
    echo["repeat_days"] = [d for d in values(data, "repeat_days") if d in WEEKDAY_CHOICES]
    echo["review"] = date_fields(data, "action-review")
    echo["check_in"] = text(data, "check_in")
    echo["routine_given"] = "repeats" in data
    return echo


def stored_action_echo(action: Mapping[str, Any]) -> dict[str, Any]:
    """The action form filled from a stored action."""
    owner = (f"user:{action['owner_user_id']}" if action["owner_user_id"]
             else f"member:{action['owner_member_id']}" if action["owner_member_id"] else "")
    return {"description": action["description"], "owner": owner,
            "due": date_parts(action["due_on"]), "success_measure": action["success_measure"],
            "support_offered": action["support_offered"],
            "outcome_id": str(action["outcome_id"] or ""),
            "repeats": action.get("repeats", ""), "repeat_days": list(action.get("repeat_days", [])),
            "review": date_parts(action.get("review_on")), "check_in": action.get("check_in", "")}


def action_draft(echo: Mapping[str, Any]) -> ActionDraft:
    """What an action form says so far, read leniently (for the live SMART hints)."""
    owner_user, owner_member = owner_from(echo["owner"])
    due_on, _ = parse_date(echo["due"], label="the due date")
    review_on, _ = parse_date(echo.get("review", {}), label="the review-by date")
    return ActionDraft(outcome_id=int_or_none(echo["outcome_id"]),
                       description=echo["description"][:5000], owner_user_id=owner_user,
                       owner_member_id=owner_member, due_on=due_on,
                       success_measure=echo["success_measure"],
                       support_offered=echo["support_offered"], repeats=echo.get("repeats", ""),
                       repeat_days=tuple(echo.get("repeat_days", ())), review_on=review_on,
                       check_in=echo.get("check_in", ""))


def action(data: FormData, *, needs_outcome: bool) -> Form[ActionDraft]:
    """The add-an-action form (`needs_outcome`) or the change-an-action form."""
    echo = action_echo(data)
    errors: dict[str, str] = {}
    routine = echo["repeats"] != ""
    # A routine step has a review-by date instead of a due date (the service holds the rule).
    due_on, problem = parse_date(echo["due"], label="the due date", required=not routine)
    if problem:
        errors["action-due"] = problem
    review_on, problem = parse_date(echo["review"], label="the review-by date", required=routine)
    if problem:
        errors["action-review"] = problem
    owner_user, owner_member = owner_from(echo["owner"])
    if owner_user is None and owner_member is None:
        errors["action-owner"] = OWNER_MISSING
    outcome_id = int_or_none(echo["outcome_id"])
    if needs_outcome and outcome_id is None:
        errors["action-outcome-id"] = "Choose the outcome this action serves."
    draft = ActionDraft(outcome_id=outcome_id, description=echo["description"],
                        owner_user_id=owner_user, owner_member_id=owner_member, due_on=due_on,
                        success_measure=echo["success_measure"],
                        support_offered=echo["support_offered"], repeats=echo["repeats"],
                        repeat_days=tuple(echo["repeat_days"]), review_on=review_on,
                        check_in=echo["check_in"], routine_given=echo["routine_given"])
    if needs_outcome:
        return _checked(echo, draft, errors, field_id=lambda name: ACTION_FIELDS.get(
            name, f"action-{name.replace('_', '-')}"))
    return _checked(echo, draft, errors, field_id=lambda name: EDIT_ACTION_FIELDS.get(
        name, name.replace("_", "-")))


# ---------------------------------------------------------------- making the revised plan


def revision_dates(data: FormData, action_ids: list[int]) -> Form[dict[int, date]]:
    """The new due date of each carried action ("due-<id>"), or none when the person chose to
    move them all by the review interval (the "all" button): the service then moves each one."""
    echo: dict[str, Any] = {f"due-{i}": date_fields(data, f"due-{i}") for i in action_ids}
    errors: dict[str, str] = {}
    chosen: dict[int, date] = {}
    if text(data, "redate") != "all":
        for action_id in action_ids:
            day, problem = parse_date(echo[f"due-{action_id}"], label="the new due date")
            if problem:
                errors[f"due-{action_id}"] = problem
            elif day is not None:
                chosen[action_id] = day
    return _checked(echo, chosen, errors,
                    field_id=lambda name: name.replace("due_dates.", "due-").replace("_", "-"))
