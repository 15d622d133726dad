"""Making the revised plan at a review: each carried action with its old due date and a new one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_manage
from tracker.plans.common import PlanPolicy
from tracker.plans.plan_versions import carried_actions
from tracker.plans.schemas import PlanIn
from tracker.staff.pages import forms
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.common_queries import family_row
from tracker.staff.pages.fields import date_parts
from tracker.vocabulary import CONFERENCE_KIND_WORDS


async def _revise_page(conference_id: int, now: datetime, policy: PlanPolicy,
                       echo: dict[str, Any] | None, errors: dict[str, str],
                       status: int = 200) -> Template:
    conference = await service.conference_view(conference_id, policy=policy)
    carried = await carried_actions(conference_id, now=now, policy=policy)
    form = echo or {f"due-{a['id']}": date_parts(a["proposed_due_on"]) for a in carried["actions"]}
    return render("plan_revise.html", status=status, conference=conference, carried=carried,
                  form=form, errors=errors, family=await family_row(conference["family_id"]),
                  kind_words=CONFERENCE_KIND_WORDS.get(conference["kind"], conference["kind"]),
                  months=round(carried["interval"].days / 30.44))


@get("/conferences/{conference_id:int}/revise")
async def revise_form(conference_id: FromPath[int], staff: NamedDependency[Caller],
                      now: NamedDependency[datetime],
                      policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Each action the revised plan carries, its old due date and a new one (moved on by the
    review interval until changed)."""
    await require_manage(staff, await service.conference_family(conference_id))
    conference = await service.conference_view(conference_id, policy=policy)
    if conference["plan_id"]:
        return see_other(f"/plans/{conference['plan_id']}")
    return await _revise_page(conference_id, now, policy, None, {})


@post("/conferences/{conference_id:int}/revise")
async def revise(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                 staff: NamedDependency[Caller], now: NamedDependency[datetime],
                 policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Make the revised plan with the chosen due dates (or all moved by the review interval)."""
    await require_manage(staff, await service.conference_family(conference_id))
    carried = await carried_actions(conference_id, now=now, policy=policy)
    form = forms.revision_dates(data, [a["id"] for a in carried["actions"]])
    errors = form.errors
    if form.value is not None:
        try:
            kind = await service.plan_kind_for(conference_id)
            plan_id = await service.create_plan(
                data=PlanIn(conference_id=conference_id, kind=kind,  # type: ignore[arg-type]
                            due_dates=form.value),
                actor=web_actor(staff), now=now, policy=policy)
            return see_other(f"/plans/{plan_id}?saved=revised")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return await _revise_page(conference_id, now, policy, form.echo, errors, status=400)
