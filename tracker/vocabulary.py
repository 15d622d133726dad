"""The plan vocabulary: statuses, kinds, decisions and their words, one copy each (standard library only).

Every package reads these names from here: the API's types (tracker.plans.schemas), the
nudge rules, the staff and family pages, the calendar feed.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

# Local time for display, quiet hours and working days; everything is stored in UTC.
LONDON = ZoneInfo("Europe/London")

ConferenceKind = Literal["initial_cp", "review_cp", "cin_review"]
Decision = Literal["cp_plan", "cin_plan", "no_plan"]
Category = Literal["neglect", "physical", "emotional", "sexual"]
PlanKind = Literal["child_protection", "child_in_need"]
ActionStatus = Literal["not_started", "in_progress", "done", "not_achieved", "cancelled"]

CONFERENCE_KINDS: tuple[ConferenceKind, ...] = ("initial_cp", "review_cp", "cin_review")
REVIEW_KINDS: frozenset[str] = frozenset({"review_cp", "cin_review"})
ACTION_STATUSES: tuple[ActionStatus, ...] = (
    "not_started", "in_progress", "done", "not_achieved", "cancelled")
# An action still to do: it can be overdue, is nudged, and is carried to the next plan.
OPEN_STATUSES: frozenset[str] = frozenset({"not_started", "in_progress"})

# What a conference's decision makes (no_plan makes none).
PLAN_KIND_FOR: dict[str, PlanKind] = {"cp_plan": "child_protection", "cin_plan": "child_in_need"}

CONFERENCE_KIND_WORDS = {
    "initial_cp": "Initial child protection conference",
    "review_cp": "Review child protection conference",
    "cin_review": "Child in need review",
}
DECISION_WORDS = {
    "cp_plan": "Child protection plan",
    "cin_plan": "Child in need plan",
    "no_plan": "No plan needed",
}
PLAN_KIND_WORDS = {"child_protection": "Child protection plan",
                   "child_in_need": "Child in need plan"}
# Words for a status as people read them (pages, charts).
STATUS_WORDS = {
    "done": "Done",
    "in_progress": "In progress",
    "not_started": "Not started yet",
    "not_achieved": "Not achieved",
    "cancelled": "No longer needed",
}


def family_ref(family_id: int) -> str:
    """A family as named in staff emails and texts, as in calendar feeds: a reference, not a name.

    Emails reach school and health inboxes and texts reach lock screens; names stay behind
    sign-in, and the reference still tells one family's messages from another's.
    """
    return f"F{family_id}"
