"""The conference record (the seed's seven steps, then the decision), the plan, and live hints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.clock import LONDON
from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import can_manage_family, require_family, require_manage
from tracker.plans.schemas import SEVEN_STEPS, ActionIn, ConferencePatch, OutcomeIn, PlanIn
from tracker.plans.smart import ActionFacts, check_action
from tracker.staff import queries
from tracker.staff.pages_common import (
    date_fields,
    date_parts,
    int_or_none,
    parse_date,
    render,
    see_other,
    text,
    values,
    web_actor,
)
from tracker.staff.saved_checks import plan_saved_checks, record_saved_checks
from tracker.vocabulary import PLAN_KIND_FOR

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

DECISIONS = (("cp_plan", "Child protection plan"), ("cin_plan", "Child in need plan"),
             ("no_plan", "No plan needed"))
CATEGORIES = (("neglect", "Neglect"), ("physical", "Physical abuse"),
              ("emotional", "Emotional abuse"), ("sexual", "Sexual abuse"))


# ---------------------------------------------------------------- conference


@get("/conferences/{conference_id:int}", include_in_schema=False)
async def conference_page(conference_id: FromPath[int], staff: NamedDependency[Caller],
                          now: NamedDependency[datetime], saved: FromQuery[str | None] = None) -> Template:
    """A conference as recorded: the seven steps with wording hints, the decision, the plan;
    just after the record is saved (?saved=record), what the wording checks found."""
    await require_family(staff, await service.conference_family(conference_id))
    context = await conference_context(conference_id, staff, now)
    if saved == "record":
        context["checks"] = record_saved_checks(context["conference"], SEVEN_STEPS)
    return render("conference.html", **context)


async def conference_context(conference_id: int, staff: Caller, now: datetime,
                              **extra: Any) -> dict[str, Any]:
    """The conference page's context; managers also get the form to change when and who."""
    context = await queries.conference_page(conference_id, now)
    conference = context["conference"]
    can_manage = await can_manage_family(staff, conference["family_id"])
    context.update(steps=SEVEN_STEPS, decisions=dict(DECISIONS), errors={}, can_manage=can_manage,
                   arrangement=None)
    if can_manage and not context["held"]:
        starts = conference["starts_at"].astimezone(LONDON)
        context.update(await queries.arranging_people())
        context["arrangement"] = {
            "starts_on": date_parts(starts.date()), "starts_time": f"{starts:%H:%M}",
            "chair": str(conference["chair_id"] or ""),
            "invitees": [str(i) for i in conference["invitee_ids"]],
        }
    context.update(extra)
    return context


def _record_form(conference: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {name: conference[name] for name, _ in SEVEN_STEPS}
    form["decision"] = conference["decision"] or ""
    form["categories"] = list(conference["categories"])
    form["next_review"] = date_parts(conference["next_review_on"])
    return form


def _record_context(conference: dict[str, Any], family: dict[str, Any] | None,
                    form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "conference": conference, "family": family, "form": form, "errors": errors,
        "steps": SEVEN_STEPS, "hints": STEP_HINTS, "decisions": DECISIONS,
        "categories": CATEGORIES,
        "kind_words": queries.CONFERENCE_KIND_WORDS.get(conference["kind"], conference["kind"]),
        "findings": {name: service.check_language(form.get(name) or "") for name, _ in SEVEN_STEPS},
    }


@get("/conferences/{conference_id:int}/record", include_in_schema=False)
async def record_form(conference_id: FromPath[int], staff: NamedDependency[Caller]) -> Template:
    """The conference record form: the seven steps in the seed's order, then the decision."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    conference = await service.conference_view(conference_id)
    family = await queries.family_row(family_id)
    return render("conference_record.html",
                  **_record_context(conference, family, _record_form(conference), {}))


@post("/conferences/{conference_id:int}/record", include_in_schema=False)
async def save_record(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller],
                      now: NamedDependency[datetime]) -> Template | Redirect:
    """Save the seven steps and the decision; problems come back with everything typed kept."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    form: dict[str, Any] = {name: text(data, name) for name, _ in SEVEN_STEPS}
    form["decision"] = text(data, "decision")
    form["categories"] = values(data, "categories")
    form["next_review"] = date_fields(data, "next_review")
    errors: dict[str, str] = {}
    review_on, problem = parse_date(form["next_review"], label="the next review date")
    if problem:
        errors["next_review"] = problem
    decision = form["decision"] or None
    if decision is not None and decision not in dict(DECISIONS):
        errors["decision"] = "Choose the conference's decision."
    categories = [c for c in form["categories"] if c in dict(CATEGORIES)]
    if not errors:
        patch = ConferencePatch(
            decision=decision,
            categories=categories if decision == "cp_plan" else [],
            next_review_on=review_on,
            **{name: form[name] for name, _ in SEVEN_STEPS},
        )
        if decision == "cp_plan" and not categories:
            errors["categories"] = ("Choose at least one category for a child protection plan.")
        else:
            try:
                await service.update_conference(conference_id=conference_id, patch=patch,
                                                actor=web_actor(staff), now=now)
                return see_other(f"/conferences/{conference_id}?saved=record")
            except FieldErrors as exc:
                errors = {("next_review" if k == "next_review_on" else k): v
                          for k, v in exc.errors.items()}
    conference = await service.conference_view(conference_id)
    family = await queries.family_row(family_id)
    return render("conference_record.html", status=400,
                  **_record_context(conference, family, form, errors))


@post("/conferences/{conference_id:int}/plan", include_in_schema=False)
async def make_plan(conference_id: FromPath[int], staff: NamedDependency[Caller],
                    now: NamedDependency[datetime]) -> Template | Redirect:
    """Make the plan this conference decided; a review revises the current plan."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    conference = await service.conference_view(conference_id)
    kind = PLAN_KIND_FOR.get(conference["decision"] or "")
    errors: dict[str, str] = {}
    if kind is None:
        errors["make-plan"] = ("Record the conference's decision as a child protection plan or a "
                               "child in need plan first.")
    else:
        try:
            plan_id = await service.create_plan(
                data=PlanIn(conference_id=conference_id, kind=kind),
                actor=web_actor(staff), now=now)
            return see_other(f"/plans/{plan_id}")
        except FieldErrors as exc:
            errors["make-plan"] = " ".join(exc.errors.values())
    return render("conference.html", status=400,
                  **await conference_context(conference_id, staff, now, errors=errors))


# ---------------------------------------------------------------- plan


async def _plan_context(plan_id: int, staff: Caller, today: date, **extra: Any) -> dict[str, Any]:
    context = await queries.plan_page(plan_id, staff, today)
    context.update(errors={}, form={}, failed=None, today=today,
                   language={a["id"]: service.check_language(a["description"])
                             for o in context["plan"]["outcomes"] for a in o["actions"]})
    context.update(extra)
    return context


@get("/plans/{plan_id:int}", include_in_schema=False)
async def plan_page(plan_id: FromPath[int], staff: NamedDependency[Caller],
                    today: NamedDependency[date], saved: FromQuery[str | None] = None) -> Template:
    """The plan: pictures, outcomes, actions with SMART hints, what changed at the review;
    just after an outcome or action is saved (?saved=action-12), what the checks found."""
    await require_family(staff, await service.plan_family(plan_id))
    context = await _plan_context(plan_id, staff, today)
    context["checks"] = plan_saved_checks(context["plan"], saved)
    return render("plan.html", **context)


@post("/plans/{plan_id:int}/outcomes", include_in_schema=False)
async def add_outcome(plan_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller], now: NamedDependency[datetime],
                      today: NamedDependency[date]) -> Template | Redirect:
    """Add what better looks like for named children."""
    await require_manage(staff, await service.plan_family(plan_id))
    form: dict[str, Any] = {"child_ids": values(data, "child_ids"), "statement": text(data, "statement"),
            "measure": text(data, "measure")}
    child_ids = [i for i in (int_or_none(c) for c in form["child_ids"]) if i is not None]
    try:
        outcome_id = await service.add_outcome(
            plan_id=plan_id, actor=web_actor(staff), now=now,
            data=OutcomeIn(child_ids=child_ids, statement=form["statement"],
                           measure=form["measure"]))
    except FieldErrors as exc:
        errors = {f"outcome-{k.replace('_', '-')}": v for k, v in exc.errors.items()}
        return render("plan.html", status=400, **await _plan_context(
            plan_id, staff, today, errors=errors, form=form, failed="outcome"))
    return see_other(f"/plans/{plan_id}?saved=outcome-{outcome_id}#outcome-{outcome_id}")


def owner_from(raw: str) -> tuple[int | None, int | None]:
    """The owner picker's value (user:ID or member:ID) as (user id, member id)."""
    kind, _, ident = raw.partition(":")
    number = int_or_none(ident)
    if kind == "user":
        return number, None
    if kind == "member":
        return None, number
    return None, None


@post("/plans/{plan_id:int}/actions", include_in_schema=False)
async def add_action(plan_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                     staff: NamedDependency[Caller], now: NamedDependency[datetime],
                     today: NamedDependency[date]) -> Template | Redirect:
    """Add a SMART action: one owner, a due date, how we'll know, the support offered."""
    await require_manage(staff, await service.plan_family(plan_id))
    form: dict[str, Any] = {name: text(data, name) for name in ("outcome_id", "description", "owner",
                                                            "success_measure", "support_offered")}
    form["due"] = date_fields(data, "action-due")
    errors: dict[str, str] = {}
    due_on, problem = parse_date(form["due"], label="the due date", required=True)
    if problem:
        errors["action-due"] = problem
    owner_user, owner_member = owner_from(form["owner"])
    if owner_user is None and owner_member is None:
        errors["action-owner"] = "Choose who will do this: a professional or a family member."
    outcome_id = int_or_none(form["outcome_id"])
    if outcome_id is None:
        errors["action-outcome-id"] = "Choose the outcome this action serves."
    if not errors:
        try:
            action_id = await service.add_action(
                plan_id=plan_id, actor=web_actor(staff), now=now,
                data=ActionIn(outcome_id=outcome_id or 0, description=form["description"],
                              owner_user_id=owner_user, owner_member_id=owner_member,
                              due_on=due_on, success_measure=form["success_measure"],
                              support_offered=form["support_offered"]))
            return see_other(f"/plans/{plan_id}?saved=action-{action_id}#action-{action_id}")
        except FieldErrors as exc:
            names = {"owner_user_id": "action-owner", "owner_member_id": "action-owner",
                     "outcome_id": "action-outcome-id", "due_on": "action-due"}
            errors = {names.get(k, f"action-{k.replace('_', '-')}"): v
                      for k, v in exc.errors.items()}
    return render("plan.html", status=400, **await _plan_context(
        plan_id, staff, today, errors=errors, form=form, failed="action"))


# ---------------------------------------------------------------- live hints (htmx)


@post("/hints/language", include_in_schema=False)
async def language_hint(data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                        field: FromQuery[str] = "note") -> Template:
    """The restorative language check on one field, as a small partial beside it."""
    del staff  # signed-in only; the text is the caller's own and nothing is stored
    return render("partials/language_hint.html",
                  findings=service.check_language(text(data, field)[:5000]))


@post("/hints/action", include_in_schema=False)
async def action_hint(data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                      today: NamedDependency[date], plan_id: FromQuery[int]) -> Template:
    """The SMART check and the language check on an action being typed."""
    await require_family(staff, await service.plan_family(plan_id))
    plan = await service.plan_view(plan_id, today=today)
    return render("partials/action_hint.html", **action_coach(data, plan["next_review_on"]))


def action_coach(data: Any, next_review_on: date | None) -> dict[str, Any]:
    """The SMART check and language check on an action form as typed (add or edit)."""
    owner_user, owner_member = owner_from(text(data, "owner"))
    due_on, _ = parse_date(date_fields(data, "action-due"), label="the due date")
    description = text(data, "description")[:5000]
    smart = check_action(ActionFacts(
        description=description, has_owner=owner_user is not None or owner_member is not None,
        success_measure=text(data, "success_measure"),
        has_outcome=int_or_none(text(data, "outcome_id")) is not None, due_on=due_on,
        next_review_on=next_review_on, support_offered=text(data, "support_offered"),
    )).to_dict()
    return {"smart": smart, "findings": service.check_language(description),
            "typed": bool(description.strip())}


ROUTES = [conference_page, record_form, save_record, make_plan, plan_page, add_outcome,
          add_action, language_hint, action_hint]
