"""The plan page: outcomes and actions added from the web, and the live hints beside them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_family, require_manage
from tracker.plans.common import PlanPolicy
from tracker.plans.smart import ActionFacts, check_action
from tracker.staff.pages import conversation_queries, fields, flash, forms, pickers
from tracker.staff.pages import plans_queries as queries
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.common_queries import owner_choices
from tracker.staff.pages.core_groups_queries import plan_panel as core_group_panel
from tracker.staff.saved_checks import plan_saved_checks
from tracker.vocabulary import CONFERENCE_KIND_WORDS


async def plan_context(plan_id: int, staff: Caller, today: date, policy: PlanPolicy,
                       **extra: Any) -> dict[str, Any]:
    """Everything plan.html needs, with `extra` (errors, what a failed form posted) on top."""
    context = await queries.plan_page(plan_id, staff, today)
    context.update(await conversation_queries.conversation(plan_id, staff))
    context.update(errors={}, form={}, failed=None, today=today, reply_form={}, widen_form={},
                   language={a["id"]: policy.check_language(a["description"])
                             for o in context["plan"]["outcomes"] for a in o["actions"]})
    context["core_groups"] = await core_group_panel(plan_id, today, policy)
    # The conference booked and still to be held, if any: shown (with "Move or cancel") instead
    # of "Arrange a conference", so a second one is not booked beside it by mistake.
    booked = await service.booked_conference(context["family"]["id"])
    context["booked"] = booked and {
        **booked, "kind_words": CONFERENCE_KIND_WORDS.get(booked["kind"], booked["kind"])}
    context.update(extra)
    return context


@get("/plans/{plan_id:int}")
async def plan_page(plan_id: FromPath[int], staff: NamedDependency[Caller],
                    today: NamedDependency[date], policy: NamedDependency[PlanPolicy],
                    saved: FromQuery[str | None] = None) -> Template:
    """The plan: pictures, outcomes, actions with SMART hints, what changed at the review;
    just after an outcome or action is saved (?saved=action-12), what the checks found."""
    await require_family(staff, await service.plan_family(plan_id))
    context = await plan_context(plan_id, staff, today, policy)
    context["checks"] = (plan_saved_checks(context["plan"], saved, policy)
                         or await conversation_queries.reply_checks(plan_id, saved, staff, policy))
    context["notice"] = flash.notice(saved)
    return render("plan.html", **context)


@post("/plans/{plan_id:int}/outcomes")
async def add_outcome(plan_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller], now: NamedDependency[datetime],
                      today: NamedDependency[date], policy: NamedDependency[PlanPolicy],
                      ) -> Template | Redirect:
    """Add what better looks like for named children."""
    await require_manage(staff, await service.plan_family(plan_id))
    form = forms.outcome(data)
    errors = form.errors
    if form.value is not None:
        try:
            outcome_id = await service.add_outcome(plan_id=plan_id, actor=web_actor(staff),
                                                   now=now, data=form.value)
            return see_other(f"/plans/{plan_id}?saved=outcome-{outcome_id}#outcome-{outcome_id}")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return render("plan.html", status=400, **await plan_context(
        plan_id, staff, today, policy, errors=errors, form=form.echo, failed="outcome"))


@post("/plans/{plan_id:int}/actions")
async def add_action(plan_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                     staff: NamedDependency[Caller], now: NamedDependency[datetime],
                     today: NamedDependency[date], policy: NamedDependency[PlanPolicy],
                     ) -> Template | Redirect:
    """Add a SMART action: one owner, a due date, how we'll know, the support offered."""
    family_id = await service.plan_family(plan_id)
    await require_manage(staff, family_id)
    form = forms.action(data, needs_outcome=True)
    if (find := pickers.find_pressed(data, "find_owner", "owner_q", "owner-q")) is not None:
        # "Find" beside the owner list: the same form back, with the search's finds; no save.
        owner_user, _ = fields.owner_from(form.echo["owner"])
        owners = await owner_choices(family_id, search=find[0],
                                     keep=[owner_user] if owner_user else [])
        return render("plan.html", status=400 if find[1] else 200, **await plan_context(
            plan_id, staff, today, policy, errors=find[1], form=form.echo, failed="action",
            owners=owners))
    errors = form.errors
    if form.value is not None:
        try:
            action_id = await service.add_action(plan_id=plan_id, actor=web_actor(staff),
                                                 now=now, data=form.value.action_in(), policy=policy)
            return see_other(f"/plans/{plan_id}?saved=action-{action_id}#action-{action_id}")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return render("plan.html", status=400, **await plan_context(
        plan_id, staff, today, policy, errors=errors, form=form.echo, failed="action"))


# ---------------------------------------------------------------- live hints (htmx)


@post("/hints/language")
async def language_hint(data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                        policy: NamedDependency[PlanPolicy], field: FromQuery[str] = "note",
                        ) -> Template:
    """The restorative language check on one field, as a small partial beside it."""
    del staff  # signed-in only; the text is the caller's own and nothing is stored
    return render("partials/language_hint.html",
                  findings=policy.check_language(fields.text(data, field)[:5000]))


@post("/hints/action")
async def action_hint(data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                      today: NamedDependency[date], plan_id: FromQuery[int],
                      policy: NamedDependency[PlanPolicy]) -> Template:
    """The SMART check and the language check on an action being typed."""
    await require_family(staff, await service.plan_family(plan_id))
    plan = await service.plan_view(plan_id, today=today)
    draft = forms.action_draft(forms.action_echo(data))
    return render("partials/action_hint.html", **action_coach(draft, plan["next_review_on"], policy))


def action_coach(draft: forms.ActionDraft, next_review_on: date | None,
                 policy: PlanPolicy) -> dict[str, Any]:
    """The SMART check and language check on an action form as typed (add or edit)."""
    smart = check_action(ActionFacts(
        description=draft.description, has_owner=draft.has_owner,
        success_measure=draft.success_measure, has_outcome=draft.outcome_id is not None,
        due_on=draft.due_on, next_review_on=next_review_on,
        support_offered=draft.support_offered,
        repeats=draft.repeats, repeat_days=",".join(draft.repeat_days), review_on=draft.review_on,
    )).to_dict()
    return {"smart": smart, "findings": policy.check_language(draft.description),
            "typed": bool(draft.description.strip())}

