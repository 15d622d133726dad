"""Moving or cancelling a booked conference: a new date and time, or a reason; everyone invited
is told by email, in the change's own transaction."""

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
from tracker.plans.access import can_see_family, require_manage
from tracker.plans.common import PlanPolicy
from tracker.plans.conferences import ALREADY_HELD, REASON_MAX, Tell
from tracker.plans.tables import Plan
from tracker.staff.pages import forms
from tracker.staff.pages.arrange import date_warning
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.common_queries import family_row
from tracker.staff.pages.fields import text
from tracker.vocabulary import CONFERENCE_KIND_WORDS


async def _page(conference_id: int, now: datetime, policy: PlanPolicy, *, status: int = 200,
                move: dict[str, Any] | None = None, reason: str = "",
                errors: dict[str, str] | None = None, **extra: Any) -> Template:
    conference = await service.conference_view(conference_id, policy=policy)
    return render(
        "conference_move.html", status=status, conference=conference,
        family=await family_row(conference["family_id"]),
        kind_words=CONFERENCE_KIND_WORDS.get(conference["kind"], conference["kind"]),
        held=bool(conference["decision"]), started=conference["starts_at"] <= now,
        move=move or forms.arrangement_echo(conference["starts_at"], None, []),
        reason=reason, reason_max=REASON_MAX,
        report_days=policy.statutory.report_working_days_before, errors=errors or {}, **extra)


@get("/conferences/{conference_id:int}/move")
async def move_or_cancel_form(conference_id: FromPath[int], staff: NamedDependency[Caller],
                              now: NamedDependency[datetime],
                              policy: NamedDependency[PlanPolicy]) -> Template:
    """Move or cancel this conference: a new date and time, or a reason it is not going ahead."""
    await require_manage(staff, await service.conference_family(conference_id))
    return await _page(conference_id, now, policy)


@post("/conferences/{conference_id:int}/move")
async def move(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
               staff: NamedDependency[Caller], now: NamedDependency[datetime],
               policy: NamedDependency[PlanPolicy],
               conference_tell: NamedDependency[Tell]) -> Template | Redirect:
    """Move it: the weekend and bank-holiday warning first, as when arranging; then everyone's
    report due date follows, and everyone invited is told."""
    await require_manage(staff, await service.conference_family(conference_id))
    form = forms.arrangement(data, kinds=None)
    errors = {k: v for k, v in form.errors.items() if k in ("starts-on", "starts-time")}
    if not errors and form.value is not None:
        if warning := date_warning(form.value, now):
            return await _page(conference_id, now, policy, move=form.echo,
                               date_warning=warning)
        try:
            moved = await service.move_conference(
                conference_id=conference_id, starts_at=form.value.starts_at,
                actor=web_actor(staff), now=now, policy=policy, tell=conference_tell)
            return see_other(f"/conferences/{conference_id}?saved={'moved' if moved else 'unmoved'}")
        except FieldErrors as exc:
            errors = form.service_errors(exc)
    return await _page(conference_id, now, policy, status=400, move=form.echo, errors=errors)


@post("/conferences/{conference_id:int}/cancel")
async def cancel(conference_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                 staff: NamedDependency[Caller], now: NamedDependency[datetime],
                 policy: NamedDependency[PlanPolicy],
                 conference_tell: NamedDependency[Tell]) -> Template | Redirect:
    """Cancel it, with a reason (kept in the audit): its reminders stop and everyone invited is
    told; back to the family's current plan, or the family."""
    family_id = await service.conference_family(conference_id)
    await require_manage(staff, family_id)
    reason = text(data, "reason")
    try:
        await service.cancel_conference(conference_id=conference_id, reason=reason,
                                        actor=web_actor(staff), now=now,
                                        tell=conference_tell)
    except FieldErrors as exc:
        return await _page(conference_id, now, policy, status=400, reason=reason,
                           errors={"reason": exc.errors.get("reason", ALREADY_HELD)})
    if not await can_see_family(staff, family_id):
        # A chair linked to the family only by this conference no longer sees it.
        return see_other("/")
    plan = await Plan.select(Plan.id).where(
        (Plan.family == family_id) & (Plan.status == "active")).first()
    if plan:
        return see_other(f"/plans/{plan['id']}?saved=conference-cancelled")
    return see_other(f"/families/{family_id}")
