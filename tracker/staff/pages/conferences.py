"""The conference page, its record (the seed's seven steps, then the decision), making the plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import can_manage_family, require_family, require_manage
from tracker.plans.common import PlanPolicy
from tracker.plans.schemas import SEVEN_STEPS, PlanIn
from tracker.staff.pages import conferences_queries as queries
from tracker.staff.pages import flash, forms
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.common_queries import arranging_people, family_row
from tracker.staff.saved_checks import record_saved_checks
from tracker.vocabulary import CONFERENCE_KIND_WORDS

# Short hints under each step, in the seed's restorative wording: invite and ask.
STEP_HINTS = {
    "family_description": "In the family's own words: who are the children, what are they like, "
                          "and how are things for them at the moment?",
    "children_views": "What have the children told us, directly or through an advocate? "
                      "For a baby: what matters for them, and how do we know?",
    "worries": "What has happened, or might happen, that the conference needs to think about? "
               "Be clear and specific, and ask about anything the family may not have considered.",
    "impact": "How does this affect each child, day to day? What needs to change for them?",
    "family_reflections": "How does the family feel about what they have heard? What strengths "
                          "and people around them could help?",
    "what_better_looks_like": "If things were better for the children, what would everyone see? "
                              "How would we know?",
    "support_and_contributions": "What help does the family ask for? What will each person in "
                                 "the meeting offer to do?",
}

@get("/conferences/{conference_id:int}")
async def conference_page(conference_id: FromPath[int], staff: NamedDependency[Caller],
                          now: NamedDependency[datetime], policy: NamedDependency[PlanPolicy],
                          saved: FromQuery[str | None] = None) -> Template:
    """A conference as recorded: the seven steps with wording hints, the decision, the plan;
    just after the record is saved (?saved=record), what the wording checks found."""
    await require_family(staff, await service.conference_family(conference_id))
    context = await conference_context(conference_id, staff, now, policy)
    if saved == "record":
        context["checks"] = record_saved_checks(context["conference"], SEVEN_STEPS, policy)
    context["notice"] = flash.notice(saved)
    return render("conference.html", **context)


async def conference_context(conference_id: int, staff: Caller, now: datetime, policy: PlanPolicy,
                             **extra: Any) -> dict[str, Any]:
    """The conference page's context; managers also get the form to change when and who."""
    context = await queries.conference_page(conference_id, now, policy)
    conference = context["conference"]
    can_manage = await can_manage_family(staff, conference["family_id"])
    context.update(steps=SEVEN_STEPS, decisions=dict(forms.DECISIONS), errors={},
                   can_manage=can_manage, arrangement=None)
    if can_manage and not context["held"]:
        context.update(await arranging_people(conference["family_id"],
                                              keep=conference["invitee_ids"]))
        context["arrangement"] = forms.arrangement_echo(
            conference["starts_at"], conference["chair_id"], conference["invitee_ids"])
    context.update(extra)
    return context


def _record_context(conference: dict[str, Any], family: dict[str, Any] | None,
                    form: dict[str, Any], errors: dict[str, str], policy: PlanPolicy,
                    ) -> dict[str, Any]:
    return {
        "conference": conference, "family": family, "form": form, "errors": errors,
        "steps": SEVEN_STEPS, "hints": STEP_HINTS, "decisions": forms.DECISIONS,
        "categories": forms.CATEGORIES,
        "kind_words": CONFERENCE_KIND_WORDS.get(conference["kind"], conference["kind"]),
        "findings": {name: policy.check_language(form.get(name) or "") for name, _ in SEVEN_STEPS},
    }


@get("/conferences/{conference_id:int}/record")
async def record_form(conference_id: FromPath[int], staff: NamedDependency[Caller],
                      now: NamedDependency[datetime],
                      policy: NamedDependency[PlanPolicy]) -> Template:
    """The conference record form: the seven steps in the seed's order, then the decision."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    conference = await service.conference_view(conference_id, policy=policy)
    return render("conference_record.html", not_started=conference["starts_at"] > now,
                  **_record_context(conference, await family_row(family_id),
                                    forms.record_echo(conference), {}, policy))


@post("/conferences/{conference_id:int}/record")
async def save_record(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller], now: NamedDependency[datetime],
                      policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Save the seven steps and the decision; problems come back with everything typed kept."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    form = forms.conference_record(data)
    errors = form.errors
    if form.value is not None:
        try:
            await service.update_conference(conference_id=conference_id, patch=form.value,
                                            actor=web_actor(staff), now=now, policy=policy)
            return see_other(f"/conferences/{conference_id}?saved=record")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    conference = await service.conference_view(conference_id, policy=policy)
    return render("conference_record.html", status=400, **_record_context(
        conference, await family_row(family_id), form.echo, errors, policy))


@post("/conferences/{conference_id:int}/plan")
async def make_plan(conference_id: FromPath[int], staff: NamedDependency[Caller],
                    now: NamedDependency[datetime], policy: NamedDependency[PlanPolicy],
                    ) -> Template | Redirect:
    """Make the plan this conference decided; a review revises the current plan."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    errors: dict[str, str] = {}
    try:
        kind = await service.plan_kind_for(conference_id)
        plan_id = await service.create_plan(
            data=PlanIn(conference_id=conference_id, kind=kind),  # type: ignore[arg-type]
            actor=web_actor(staff), now=now, policy=policy)
        return see_other(f"/plans/{plan_id}")
    except FieldErrors as exc:
        errors["make-plan"] = " ".join(exc.errors.values())
    return render("conference.html", status=400,
                  **await conference_context(conference_id, staff, now, policy, errors=errors))

