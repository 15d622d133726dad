"""Core group pages: arrange a meeting from the plan, and record it once it has started."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.clock import local_date
from tracker.errors import FieldErrors
from tracker.people.caller import Caller
from tracker.plans import core_group_views, core_groups
from tracker.plans.access import require_manage
from tracker.plans.common import PlanPolicy, plan_family, working_calendar
from tracker.plans.dates import non_working_day_warning
from tracker.plans.schemas import CORE_GROUP_TEXT_FIELDS, CoreGroupIn
from tracker.staff.pages import core_group_forms as forms
from tracker.staff.pages import core_groups_queries as queries
from tracker.staff.pages import fields, pickers
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.saved_checks import saved_checks

TEXT_LABELS = {
    "better": "What has got better for the children?",
    "family_view": "What does the family think?",
    "children_view": "What do the children think?",
    "next_steps": "What happens next?",
}
TEXT_HINTS = {
    "better": "Start with what is working: what has changed for the children since the last "
              "meeting, and who helped?",
    "family_view": "In the family's own words: how do they feel things are going, and what "
                   "would help?",
    "children_view": "What have the children told us, directly or through someone they trust?",
    "next_steps": "Who will do what, by when. Add a new action or change one on the plan so "
                  "everyone is nudged.",
}


async def _arrange(plan_id: int, staff: Caller, today: date, policy: PlanPolicy, form: dict[str, Any],
                   errors: dict[str, str], status: int = 200, search: str = "",
                   **extra: Any) -> Template:
    keep = [i for i in (fields.int_or_none(v) for v in form.get("invitees", [])) if i]
    return render("core_group_new.html", status=status, form=form, errors=errors, **extra,
                  **await queries.arrange_page(plan_id, today, policy, arranger=staff.id,
                                               search=search, keep=keep))


def _date_warning(value: CoreGroupIn, kept: str) -> dict[str, str] | None:
    """The weekend or bank-holiday warning for a meeting date not yet kept (never a refusal)."""
    if not isinstance(value.starts_at, datetime):
        return None
    day = local_date(value.starts_at)
    text = non_working_day_warning(day, working_calendar(), meetings="Core group meetings")
    if text is None or kept == day.isoformat():
        return None
    return {"text": text, "day": day.isoformat()}


@get("/plans/{plan_id:int}/core-groups/new")
async def arrange_form(plan_id: FromPath[int], staff: NamedDependency[Caller],
                       today: NamedDependency[date], policy: NamedDependency[PlanPolicy]) -> Template:
    """Arrange a core group meeting: when, and which professionals to invite."""
    await require_manage(staff, await plan_family(plan_id))
    return await _arrange(plan_id, staff, today, policy, forms.arrange_echo(None, []), {})


@post("/plans/{plan_id:int}/core-groups/new")
async def arrange(plan_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                  staff: NamedDependency[Caller], now: NamedDependency[datetime],
                  today: NamedDependency[date],
                  policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Save the meeting; each professional invited is emailed an invitation."""
    await require_manage(staff, await plan_family(plan_id))
    form = forms.arrange(data)
    if (find := pickers.find_pressed(data, "find_invitees", "invitee_q", "invitee-q")) is not None:
        # "Find" beside the invitations: the same form back, with the search's finds; no save.
        return await _arrange(plan_id, staff, today, policy, form.echo, find[1],
                              status=400 if find[1] else 200, search=find[0])
    errors = form.errors
    if form.value is not None and (warning := _date_warning(form.value, fields.text(data, "non_working_ok"))):
        return await _arrange(plan_id, staff, today, policy, form.echo, {}, date_warning=warning)
    if form.value is not None:
        try:
            meeting_id = await core_groups.create_core_group(
                plan_id=plan_id, data=form.value, actor=web_actor(staff), now=now, policy=policy)
            return see_other(f"/plans/{plan_id}?saved=core-group-{meeting_id}#core-groups")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return await _arrange(plan_id, staff, today, policy, form.echo, errors, status=400)


def _record_context(context: dict[str, Any], form: dict[str, Any], errors: dict[str, str],
                    policy: PlanPolicy) -> dict[str, Any]:
    return {**context, "form": form, "errors": errors, "labels": TEXT_LABELS, "hints": TEXT_HINTS,
            "texts": CORE_GROUP_TEXT_FIELDS,
            "findings": {n: policy.check_language(form.get(n) or "") for n in CORE_GROUP_TEXT_FIELDS}}


@get("/core-groups/{meeting_id:int}/record")
async def record_form(meeting_id: FromPath[int], staff: NamedDependency[Caller],
                      now: NamedDependency[datetime], policy: NamedDependency[PlanPolicy],
                      saved: FromQuery[str | None] = None) -> Template:
    """The record: who came, each open action's status and note, what is better, the views,
    next steps; just after saving (?saved=record), what the wording checks found."""
    await require_manage(staff, await core_group_views.core_group_family(meeting_id))
    context = await queries.record_page(meeting_id, now)
    meeting = context["meeting"]
    page = _record_context(context, forms.record_echo(meeting), {}, policy)
    if saved == "record":
        page["checks"] = saved_checks(((TEXT_LABELS[n], meeting[n], False)
                                       for n in CORE_GROUP_TEXT_FIELDS), policy)
    return render("core_group_record.html", **page)


@post("/core-groups/{meeting_id:int}/record")
async def save_record(meeting_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      staff: NamedDependency[Caller], now: NamedDependency[datetime],
                      policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """Save the record (each review is a progress update); problems keep everything typed."""
    await require_manage(staff, await core_group_views.core_group_family(meeting_id))
    context = await queries.record_page(meeting_id, now)
    form = forms.record(data, open_actions={a["id"]: a["status"] for a in context["open_actions"]})
    errors = form.errors
    if form.value is not None:
        try:
            await core_groups.update_core_group(meeting_id=meeting_id, patch=form.value,
                                                actor=web_actor(staff), now=now, policy=policy)
            return see_other(f"/core-groups/{meeting_id}/record?saved=record")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return render("core_group_record.html", status=400,
                  **_record_context(context, form.echo, errors, policy))
