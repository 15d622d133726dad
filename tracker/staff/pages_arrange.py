"""Arranging a conference (and changing its date, chair or invitations) and editing an action."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.clock import LONDON, local_date
from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_arrange_conference, require_manage
from tracker.plans.schemas import ActionPatch, ConferenceIn, ConferencePatch
from tracker.staff import queries
from tracker.staff.pages_common import (
    date_fields,
    date_parts,
    int_or_none,
    parse_date,
    parse_time,
    render,
    see_other,
    text,
    values,
    web_actor,
)
from tracker.staff.pages_plans import action_coach, conference_context, owner_from

# Service field names -> the form's ids, so service errors land beside the right field.
CONFERENCE_FIELDS = {"starts_at": "starts-on", "chair_id": "chair", "invitee_ids": "invitees",
                     "kind": "kind"}
ACTION_FIELDS = {"owner_user_id": "action-owner", "owner_member_id": "action-owner",
                 "due_on": "action-due", "description": "action-description",
                 "success_measure": "action-success-measure",
                 "support_offered": "action-support-offered"}


# ---------------------------------------------------------------- the when/who form


def _arrangement_form(data: Any) -> dict[str, Any]:
    return {"kind": text(data, "kind"), "starts_on": date_fields(data, "starts-on"),
            "starts_time": text(data, "starts_time"), "chair": text(data, "chair"),
            "invitees": values(data, "invitees")}


def _read_arrangement(form: dict[str, Any], today: date, *, with_kind: bool,
                      ) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed date, time, chair and invitees as service values, or errors by field id."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if with_kind:
        if form["kind"] not in queries.CONFERENCE_KIND_WORDS:
            errors["kind"] = "Choose which kind of conference this is."
        out["kind"] = form["kind"]
    day, problem = parse_date(form["starts_on"], label="the date of the conference",
                              required=True)
    if problem:
        errors["starts-on"] = problem
    elif day is not None and day < today:
        errors["starts-on"] = "The date of the conference must be today or later."
    at, problem = parse_time(form["starts_time"], label="the start time")
    if problem:
        errors["starts-time"] = problem
    if day is not None and at is not None and not errors.get("starts-on"):
        out["starts_at"] = datetime.combine(day, at, LONDON)
    out["chair_id"] = int_or_none(form["chair"])
    if out["chair_id"] is None:
        errors["chair"] = "Choose who will chair the conference."
    ids = [int_or_none(v) for v in form["invitees"]]
    if any(i is None for i in ids):
        errors["invitees"] = "Choose professionals from the list."
    out["invitee_ids"] = [i for i in ids if i is not None]
    return out, errors


def _service_errors(exc: FieldErrors, names: dict[str, str]) -> dict[str, str]:
    return {names.get(k, k.replace("_", "-")): v for k, v in exc.errors.items()}


async def _arrange_page(family_id: int, form: dict[str, Any], errors: dict[str, str],
                        status: int = 200) -> Template:
    return render("conference_new.html", status=status, form=form, errors=errors,
                  **await queries.arrange_choices(family_id))


@get("/families/{family_id:int}/conferences/new", include_in_schema=False)
async def arrange_form(family_id: FromPath[int], staff: NamedDependency[Caller]) -> Template:
    """Arrange a conference: kind, date and time, chair, and the professionals to invite."""
    await require_arrange_conference(staff, family_id)
    form = {"kind": "", "starts_on": date_parts(None), "starts_time": "10:00",
            "chair": str(staff.id) if staff.is_chair else "", "invitees": []}
    return await _arrange_page(family_id, form, {})


@post("/families/{family_id:int}/conferences/new", include_in_schema=False)
async def arrange(family_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                  staff: NamedDependency[Caller], now: NamedDependency[datetime],
                  ) -> Template | Redirect:
    """Save the conference and invite everyone; each report's due date is set by the service."""
    await require_arrange_conference(staff, family_id)
    form = _arrangement_form(data)
    fields, errors = _read_arrangement(form, local_date(now), with_kind=True)
    if not errors:
        try:
            conference_id = await service.create_conference(
                data=ConferenceIn(family_id=family_id, **fields), actor=web_actor(staff), now=now)
            return see_other(f"/conferences/{conference_id}")
        except FieldErrors as exc:
            errors = _service_errors(exc, CONFERENCE_FIELDS)
    return await _arrange_page(family_id, form, errors, status=400)


@post("/conferences/{conference_id:int}/arrangements", include_in_schema=False)
async def change_arrangements(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                              staff: NamedDependency[Caller], now: NamedDependency[datetime],
                              ) -> Template | Redirect:
    """Move the conference or change its chair or invitations; report due dates follow."""
    await require_manage(staff, await service.conference_family(conference_id))
    form = _arrangement_form(data)
    fields, errors = _read_arrangement(form, local_date(now), with_kind=False)
    if not errors:
        try:
            await service.update_conference(conference_id=conference_id,
                                            patch=ConferencePatch(**fields),
                                            actor=web_actor(staff), now=now)
            return see_other(f"/conferences/{conference_id}")
        except FieldErrors as exc:
            errors = _service_errors(exc, CONFERENCE_FIELDS)
    return render("conference.html", status=400, **await conference_context(
        conference_id, staff, now, errors=errors, arrangement=form,
        **await queries.arranging_people()))


# ---------------------------------------------------------------- editing an action


def _action_form(action: dict[str, Any]) -> dict[str, Any]:
    owner = (f"user:{action['owner_user_id']}" if action["owner_user_id"]
             else f"member:{action['owner_member_id']}" if action["owner_member_id"] else "")
    return {"description": action["description"], "owner": owner,
            "due": date_parts(action["due_on"]), "success_measure": action["success_measure"],
            "support_offered": action["support_offered"],
            "outcome_id": str(action["outcome_id"] or "")}


async def _edit_page(action_id: int, today: date, form: dict[str, Any] | None,
                     errors: dict[str, str], status: int = 200) -> Template:
    context = await queries.action_edit(action_id, today)
    form = form or _action_form(context["action"])
    typed = {**form, **{f"action-due-{k}": v for k, v in form["due"].items()}}
    return render("action_edit.html", status=status, form=form, errors=errors,
                  coach=action_coach(typed, context["plan"]["next_review_on"]), **context)


@get("/actions/{action_id:int}/edit", include_in_schema=False)
async def edit_action_form(action_id: FromPath[int], staff: NamedDependency[Caller],
                           today: NamedDependency[date]) -> Template:
    """Change what an action is: words, owner, date, how we'll know, support offered."""
    await require_manage(staff, await service.action_family(action_id))
    return await _edit_page(action_id, today, None, {})


@post("/actions/{action_id:int}/edit", include_in_schema=False)
async def edit_action(action_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller], now: NamedDependency[datetime],
                      today: NamedDependency[date]) -> Template | Redirect:
    """Save the changed action (the service audits each change); problems keep what was typed."""
    await require_manage(staff, await service.action_family(action_id))
    form: dict[str, Any] = {name: text(data, name) for name in (
        "description", "owner", "success_measure", "support_offered", "outcome_id")}
    due = date_fields(data, "action-due")
    form["due"] = due
    errors: dict[str, str] = {}
    due_on, problem = parse_date(due, label="the due date", required=True)
    if problem:
        errors["action-due"] = problem
    owner_user, owner_member = owner_from(form["owner"])
    if owner_user is None and owner_member is None:
        errors["action-owner"] = "Choose who will do this: a professional or a family member."
    if not errors:
        try:
            await service.update_action(
                action_id=action_id, actor=web_actor(staff), now=now,
                patch=ActionPatch(description=form["description"], owner_user_id=owner_user,
                                  owner_member_id=owner_member, due_on=due_on,
                                  success_measure=form["success_measure"],
                                  support_offered=form["support_offered"]))
            plan_id = (await service.action_view(action_id, today=today))["plan_id"]
            return see_other(f"/plans/{plan_id}?saved=action-{action_id}#action-{action_id}")
        except FieldErrors as exc:
            errors = _service_errors(exc, ACTION_FIELDS)
    return await _edit_page(action_id, today, form, errors, status=400)


ROUTES = [arrange_form, arrange, change_arrangements, edit_action_form, edit_action]
