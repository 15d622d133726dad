"""Answering the family on the plan page: a reply to a family member, and widening their words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors
from tracker.family.conversation import add_staff_reply, widen_message
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_family
from tracker.plans.common import PlanPolicy
from tracker.staff.pages import fields
from tracker.staff.pages.common import render, see_other, web_actor
from tracker.staff.pages.plans import plan_context
from tracker.validate import parse_id


@post("/plans/{plan_id:int}/messages")
async def reply(plan_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                staff: NamedDependency[Caller], now: NamedDependency[datetime],
                today: NamedDependency[date], policy: NamedDependency[PlanPolicy],
                windows: NamedDependency[SendWindows]) -> Template | Redirect:
    """A reply to a family member, shown on their page; they are told there is one."""
    await require_family(staff, await service.plan_family(plan_id))
    body = fields.text(data, "body")
    member_raw = fields.text(data, "member_id")
    member_id = parse_id(member_raw) if member_raw else None
    form = {"body": body, "member_id": member_raw}
    try:
        message_id = await add_staff_reply(
            plan_id=plan_id, member_id=member_id or 0, body=body, caller=staff,
            actor=web_actor(staff), now=now, windows=windows)
    except FieldErrors as exc:
        errors = {f"reply-{k}": v for k, v in exc.errors.items()}
        return render("plan.html", status=400, **await plan_context(
            plan_id, staff, today, policy, errors=errors, reply_form=form))
    # Post/redirect/get: the plan page says it is sent, and shows the wording checks (restorative
    # and plain English for the family, never blocking) for this reply; a refresh sends nothing.
    return see_other(f"/plans/{plan_id}?saved=reply-{message_id}#conversation")


@post("/plans/{plan_id:int}/messages/{message_id:int}/widen")
async def widen(plan_id: FromPath[int], message_id: FromPath[int],
                data: URLEncodedBody[dict[str, Any]], staff: NamedDependency[Caller],
                now: NamedDependency[datetime], today: NamedDependency[date],
                policy: NamedDependency[PlanPolicy]) -> Template | Redirect:
    """The lead lets everyone working with the family read a family member's words (with why)."""
    await require_family(staff, await service.plan_family(plan_id))
    reason = fields.text(data, "reason")
    try:
        await widen_message(plan_id=plan_id, message_id=message_id, reason=reason, caller=staff,
                            actor=web_actor(staff), now=now)
    except FieldErrors as exc:
        errors = {f"widen-{message_id}-{k}": v for k, v in exc.errors.items()}
        return render("plan.html", status=400, **await plan_context(
            plan_id, staff, today, policy, errors=errors, widen_form={message_id: reason}))
    return see_other(f"/plans/{plan_id}?saved=widened#message-{message_id}")
