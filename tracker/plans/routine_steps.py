"""Routine steps on an action: the field rules for how often, which days, the review-by date
and the check-in words, shared by adding and changing an action."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.plans.common import given
from tracker.plans.routines import is_routine, parse_days, store_days
from tracker.plans.schemas import ActionPatch
from tracker.plans.tables import Child, Family, FamilyMember
from tracker.validate import DateWindow, text_problem

CHECK_IN_MAX = 60
# Words a text must never carry (an agency, a service or a concern), as tests/notify's SMS
# wording check holds every text to.
_NEVER_IN_A_TEXT = re.compile(
    r"\b(?:school|nursery|college|police|health|nhs|doctor|gp|hospital|social work(?:er)?|"
    r"court|safeguarding|protection|neglect|abuse|harm|risk|concerns?|worr(?:y|ied|ies)|"
    r"drink(?:ing)?|drugs?|alcohol|violence|children's services)\b", re.IGNORECASE)
ROUTINE_FIELDS = ("repeats", "repeat_days", "review_on", "check_in")
_CHECK_IN_WORDS = re.compile(r"^[A-Za-z][A-Za-z' -]*$")


@dataclass(frozen=True)
class RoutineFields:
    """A routine step's fields as sent (merged with the stored action for a change)."""

    repeats: str
    repeat_days: list[str]
    review_on: date | None
    check_in: str
    due_on: date | None


def check_routine(f: RoutineFields, window: DateWindow, errors: dict[str, str]) -> dict[str, Any]:
    """The routine's column values, with a field error for each rule it breaks.

    A routine repeats each day or on given weekdays and has a review-by date instead of a
    due date; a one-off step has none of these.
    """
    days = store_days(f.repeat_days)
    check_in = f.check_in.strip()
    if not is_routine(f.repeats):
        _one_off_problems(f, days, check_in, errors)
        return {"repeats": "", "repeat_days": "", "review_on": None, "check_in": ""}
    if f.repeats == "days" and not days:
        errors["repeat_days"] = "Choose the days this happens on."
    if f.repeats == "each_day" and days:
        errors["repeat_days"] = "Leave the days empty for a step that happens each day."
    if f.due_on is not None:
        errors["due_on"] = ("A routine step has a date to look at how it is going instead of a "
                            "due date: leave the due date empty and give a review-by date.")
    if f.review_on is None:
        errors["review_on"] = "Agree a date to look at how the routine is going (a review-by date)."
    elif problem := window.problem(f.review_on, "the review-by date"):
        errors["review_on"] = problem
    if problem := _check_in_problem(check_in):
        errors["check_in"] = problem
    return {"repeats": f.repeats, "repeat_days": days if f.repeats == "days" else "",
            "review_on": f.review_on, "check_in": check_in}


def _one_off_problems(f: RoutineFields, days: str, check_in: str, errors: dict[str, str]) -> None:
    if days:
        errors["repeat_days"] = 'Days are for a routine step: choose "days" for how often.'
    if f.review_on is not None:
        errors["review_on"] = "A review-by date is for a routine step: give a due date instead."
    if check_in:
        errors["check_in"] = "Check-ins are for a routine step."


def _check_in_problem(check_in: str) -> str | None:
    if not check_in:
        return None
    if problem := text_problem(check_in, multiline=False):
        return problem
    if len(check_in) > CHECK_IN_MAX:
        return f"Keep the check-in words to {CHECK_IN_MAX} characters or fewer."
    if not _CHECK_IN_WORDS.match(check_in):
        return 'Use a few plain words, such as "your mornings" (letters and spaces only).'
    if _NEVER_IN_A_TEXT.search(check_in):
        return ('Texts never mention a school, a service or a worry: use everyday words, such as '
                '"your mornings" or "bedtimes".')
    return None


async def check_in_names(check_in: str, family_id: int) -> str | None:
    """A problem when the check-in words name someone in the family (texts never name anyone)."""
    if not check_in:
        return None
    names: list[str] = []
    family = await Family.select(Family.name).where(Family.id == family_id).first()
    if family:
        names.append(family["name"])
    names += [c["name"] for c in await Child.select(Child.name).where(Child.family == family_id)]
    names += [m["name"] for m in await FamilyMember.select(FamilyMember.name).where(
        FamilyMember.family == family_id)]
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", check_in)}
    for name in names:
        for part in re.findall(r"[A-Za-z]+", name):
            if len(part) >= 2 and part.lower() in words and part.lower() not in _COMMON:
                return ("Texts never name anyone: describe the routine without names, such as "
                        '"your mornings".')
    return None


# Words in a family's recorded name that are not names ("Rosie's family (Taylor)").
_COMMON = frozenset({"family", "the", "and", "of", "s"})


def stored_days(value: str) -> list[str]:
    """The stored weekdays as a list for answers."""
    return list(parse_days(value))


def merged_routine(patch: ActionPatch, action: dict[str, Any]) -> RoutineFields | None:
    """The routine fields after a change (None when the change touches none of them).

    Turning a routine back into a one-off step ("repeats": "") clears its days, review-by
    date and check-in words unless the change gives them.
    """
    if not any(given(getattr(patch, name)) for name in (*ROUTINE_FIELDS, "due_on")):
        return None
    repeats = patch.repeats if given(patch.repeats) else action["repeats"]
    clearing = given(patch.repeats) and not is_routine(patch.repeats)
    stored_review = None if clearing else action["review_on"]
    return RoutineFields(
        repeats=repeats,
        repeat_days=(list(patch.repeat_days) if given(patch.repeat_days)
                     else [] if clearing else list(parse_days(action["repeat_days"]))),
        review_on=patch.review_on if given(patch.review_on) else stored_review,
        check_in=patch.check_in if given(patch.check_in) else "" if clearing else action["check_in"],
        due_on=patch.due_on if given(patch.due_on) else action["due_on"],
    )
