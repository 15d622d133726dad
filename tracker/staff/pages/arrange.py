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
from tracker.plans.common import PlanPolicy, working_calendar
from tracker.plans.conferences import Tell
from tracker.plans.dates import non_working_day_warning
from tracker.staff.pages import arrange_queries as queries
from tracker.staff.pages import fields, forms, pickers
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.common_queries import arranging_people
from tracker.staff.pages.conferences import conference_context
from tracker.staff.pages.plans import action_coach
from tracker.vocabulary import CONFERENCE_KIND_WORDS

# ---------------------------------------------------------------- the when/who form


def date_warning(value: forms.Arrangement, now: datetime) -> dict[str, str] | None:
    """The weekend or bank-holiday warning for a date not yet kept: the form shows it and asks
    again (the service accepts such a date: it is a warning, never a refusal). A past date not
    marked as held is the service's to refuse, so it gets no warning first."""
    day = value.starts_at.astimezone(LONDON).date()
    text = non_working_day_warning(day, working_calendar())
    if text is None or value.keeps_non_working_day() or (day < local_date(now) and not value.held):
        return None
    return {"text": text, "day": day.isoformat()}


async def _arrange_page(family_id: int, form: dict[str, Any], errors: dict[str, str],
                        policy: PlanPolicy, status: int = 200, search: str = "",
                        **extra: Any) -> Template:
    keep = [i for i in (fields.int_or_none(v) for v in form.get("invitees", [])) if i]
    return render("conference_new.html", status=status, form=form, errors=errors,
                  **await queries.arrange_choices(family_id, policy, search=search, keep=keep),
                  **extra)


@get("/families/{family_id:int}/conferences/new")
async def arrange_form(family_id: FromPath[int], staff: NamedDependency[Caller],
                       policy: NamedDependency[PlanPolicy]) -> Template:
    """Arrange a conference: kind, date and time, chair, and the professionals to invite."""
    await require_arrange_conference(staff, family_id)
    echo = forms.arrangement_echo(None, staff.id if staff.is_chair else None, [])
    return await _arrange_page(family_id, echo, {}, policy)


@post("/families/{family_id:int}/conferences/new")
async def arrange(family_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                  staff: NamedDependency[Caller], now: NamedDependency[datetime],
                  policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Save the conference and invite everyone; each report's due date is set by the service."""
    await require_arrange_conference(staff, family_id)
    form = forms.arrangement(data, kinds=CONFERENCE_KIND_WORDS)
    if (find := pickers.find_pressed(data, "find_invitees", "invitee_q", "invitee-q")) is not None:
        # "Find" beside the invitations: the same form back, with the search's finds; no save.
        return await _arrange_page(family_id, form.echo, find[1], policy,
                                   status=400 if find[1] else 200, search=find[0])
    errors = form.errors
    if form.value is not None and (warning := date_warning(form.value, now)):
        return await _arrange_page(family_id, form.echo, {}, policy, date_warning=warning)
    if form.value is not None:
        try:
            conference_id = await service.create_conference(
                data=form.value.conference_in(family_id), actor=web_actor(staff), now=now,
                policy=policy)
            # A conference entered as already held goes straight on to its record.
            return see_other(f"/conferences/{conference_id}"
                             + ("/record" if form.value.held else ""))
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return await _arrange_page(family_id, form.echo, errors, policy, status=400)


@post("/conferences/{conference_id:int}/arrangements")
async def change_arrangements(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                              staff: NamedDependency[Caller], now: NamedDependency[datetime],
                              policy: NamedDependency[PlanPolicy],
                              conference_tell: NamedDependency[Tell]) -> Template | Redirect:
    """Move the conference or change its chair or invitations; report due dates follow, and a
    new date is emailed to everyone invited."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    form = forms.arrangement(data, kinds=None)
    find = pickers.find_pressed(data, "find_invitees", "invitee_q", "invitee-q")
    if find is not None:
        # "Find" beside the invitations: the same form back, with the search's finds; no save.
        keep = [i for i in (fields.int_or_none(v) for v in form.echo["invitees"]) if i]
        return render("conference.html", status=400 if find[1] else 200,
                      **await conference_context(
                          conference_id, staff, now, policy, errors=find[1],
                          arrangement=form.echo,
                          **await arranging_people(family_id, search=find[0], keep=keep)))
    errors = form.errors
    if form.value is not None and (warning := date_warning(form.value, now)):
        return render("conference.html", **await conference_context(
            conference_id, staff, now, policy, errors={}, arrangement=form.echo,
            date_warning=warning, **await arranging_people(family_id, keep=[
                i for i in (fields.int_or_none(v) for v in form.echo["invitees"]) if i])))
    if form.value is not None:
        try:
            await service.update_conference(conference_id=conference_id,
                                            patch=form.value.patch(),
                                            actor=web_actor(staff), now=now, policy=policy,
                                            tell=conference_tell)
            return see_other(f"/conferences/{conference_id}")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return render("conference.html", status=400, **await conference_context(
        conference_id, staff, now, policy, errors=errors, arrangement=form.echo,
        **await arranging_people(family_id, keep=[i for i in (
            fields.int_or_none(v) for v in form.echo["invitees"]) if i])))


# ---------------------------------------------------------------- editing an action


async def _edit_page(action_id: int, today: date, echo: dict[str, Any] | None,
                     errors: dict[str, str], policy: PlanPolicy, status: int = 200,
                     search: str = "") -> Template:
    owner_user, _ = fields.owner_from(echo["owner"]) if echo else (None, None)
    context = await queries.action_edit(action_id, today, search=search,
                                        keep=[owner_user] if owner_user else [])
    echo = echo or forms.stored_action_echo(context["action"])
    return render("action_edit.html", status=status, form=echo, errors=errors,
                  coach=action_coach(forms.action_draft(echo), context["plan"]["next_review_on"], policy),
                  **context)


@get("/actions/{action_id:int}/edit")
async def edit_action_form(action_id: FromPath[int], staff: NamedDependency[Caller],
                           today: NamedDependency[date],
                           policy: NamedDependency[PlanPolicy]) -> Template:
    """Change what an action is: words, owner, date, how we'll know, support offered."""
    await require_manage(staff, await service.action_family(action_id))
    return await _edit_page(action_id, today, None, {}, policy)


@post("/actions/{action_id:int}/edit")
async def edit_action(action_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller], now: NamedDependency[datetime],
                      today: NamedDependency[date],
                      policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Save the changed action (the service audits each change); problems keep what was typed."""
    await require_manage(staff, await service.action_family(action_id))
    form = forms.action(data, needs_outcome=False)
    if (find := pickers.find_pressed(data, "find_owner", "owner_q", "owner-q")) is not None:
        # "Find" beside the owner list: the same form back, with the search's finds; no save.
        return await _edit_page(action_id, today, form.echo, find[1], policy,
                                status=400 if find[1] else 200, search=find[0])
    errors = form.errors
    if form.value is not None:
        try:
            await service.update_action(action_id=action_id, actor=web_actor(staff), now=now,
                                        patch=form.value.patch(), policy=policy)
            plan_id = (await service.action_view(action_id, today=today))["plan_id"]
            return see_other(f"/plans/{plan_id}?saved=action-{action_id}#action-{action_id}")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return await _edit_page(action_id, today, form.echo, errors, policy, status=400)

