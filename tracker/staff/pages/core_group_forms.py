"""The core group forms, read into typed input (as tracker.staff.pages.forms does for the rest).

Only what a form itself can get wrong (a real date and time, a choice from the list); every rule
about meetings (who may be invited, nothing recorded before the meeting starts, lengths) is the
service's, so the JSON API gives the same answers in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from tracker.clock import LONDON
from tracker.plans.schemas import CORE_GROUP_TEXT_FIELDS, ActionReviewIn, CoreGroupIn, CoreGroupPatch
from tracker.staff.pages.fields import (
    FormData,
    date_fields,
    date_parts,
    int_or_none,
    parse_date,
    parse_time,
    text,
    values,
)
from tracker.staff.pages.forms import Form
from tracker.vocabulary import ACTION_STATUSES, ActionStatus

ARRANGE_FIELDS = {"starts_at": "starts-on", "invitee_ids": "invitees"}


def arrange(data: FormData) -> Form[CoreGroupIn]:
    """When the meeting is, and which professionals to invite."""
    starts_on, starts_time, invitees = (date_fields(data, "starts-on"), text(data, "starts_time"),
                                        values(data, "invitees"))
    echo = {"starts_on": starts_on, "starts_time": starts_time, "invitees": invitees}
    errors: dict[str, str] = {}
    day, problem = parse_date(starts_on, label="the date of the meeting", required=True)
    if problem:
        errors["starts-on"] = problem
    at, problem = parse_time(starts_time, label="the start time")
    if problem:
        errors["starts-time"] = problem
    ids = [int_or_none(v) for v in invitees]
    if any(i is None for i in ids):
        errors["invitees"] = "Choose professionals from the list."

    def field_id(name: str) -> str:
        return ARRANGE_FIELDS.get(name, name.replace("_", "-"))

    if errors or day is None or at is None:
        return Form(echo=echo, errors=errors, field_id=field_id)
    return Form(echo=echo, field_id=field_id, value=CoreGroupIn(
        starts_at=datetime.combine(day, at, LONDON), invitee_ids=[i for i in ids if i is not None]))


def arrange_echo(starts_at: datetime | None, invitee_ids: list[int]) -> dict[str, Any]:
    """The arrange form, blank or filled from a meeting."""
    local = starts_at.astimezone(LONDON) if starts_at else None
    return {"starts_on": date_parts(local.date() if local else None),
            "starts_time": f"{local:%H:%M}" if local else "10:00",
            "invitees": [str(i) for i in invitee_ids]}


def _reviews(data: FormData, open_actions: Mapping[int, str], errors: dict[str, str],
             ) -> tuple[list[ActionReviewIn], dict[str, dict[str, str]]]:
    """Each open action with a status chosen or a note typed becomes a review."""
    reviews: list[ActionReviewIn] = []
    echo: dict[str, dict[str, str]] = {}
    for action_id, current in open_actions.items():
        status, note = text(data, f"status-{action_id}"), text(data, f"note-{action_id}")
        echo[str(action_id)] = {"status": status, "note": note}
        if status and status not in ACTION_STATUSES:
            errors[f"status-{action_id}"] = "Choose one of the statuses shown."
            continue
        if status or note.strip():
            reviews.append(ActionReviewIn(action_id=action_id,
                                          status=cast(ActionStatus, status or current), note=note))
    return reviews, echo


def record(data: FormData, *, open_actions: Mapping[int, str]) -> Form[CoreGroupPatch]:
    """Who came, each open action's status and note, what is better, the views, next steps.

    `open_actions` maps each open action on the plan to its status now (a note with no new
    status keeps it).
    """
    errors: dict[str, str] = {}
    attended = values(data, "attended")
    users = [int_or_none(v.removeprefix("user:")) for v in attended if v.startswith("user:")]
    members = [int_or_none(v.removeprefix("member:")) for v in attended if v.startswith("member:")]
    if any(i is None for i in users + members) or len(users) + len(members) != len(attended):
        errors["attended"] = "Choose people from the list."
    reviews, review_echo = _reviews(data, open_actions, errors)
    texts = {name: text(data, name) for name in CORE_GROUP_TEXT_FIELDS}
    echo: dict[str, Any] = {"attended": attended, "reviews": review_echo, **texts}
    patch = CoreGroupPatch(attended_user_ids=[i for i in users if i is not None],
                           attended_member_ids=[i for i in members if i is not None],
                           action_reviews=reviews, better=texts["better"],
                           family_view=texts["family_view"], children_view=texts["children_view"],
                           next_steps=texts["next_steps"])
    order = [r.action_id for r in reviews]

    def field_id(name: str) -> str:
        if name in ("attended_user_ids", "attended_member_ids"):
            return "attended"
        if name.startswith("action_reviews["):
            index = int(name.split("[", 1)[1].split("]", 1)[0])
            part = "status" if name.endswith(".status") else "note"
            return f"{part}-{order[index]}"
        if name == "action_reviews":
            return "reviews"
        return name.replace("_", "-")

    return Form(echo=echo, value=None if errors else patch, errors=errors, field_id=field_id)


def record_echo(meeting: dict[str, Any]) -> dict[str, Any]:
    """The record form filled from a meeting as stored (reviews already made are shown apart)."""
    attended = ([f"user:{i}" for i in meeting["attended_user_ids"]]
                + [f"member:{i}" for i in meeting["attended_member_ids"]])
    return {"attended": attended, "reviews": {},
            **{name: meeting[name] for name in CORE_GROUP_TEXT_FIELDS}}
