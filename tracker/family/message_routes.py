"""JSON API for the conversation on a plan: `/api/v1/plans/{id}/messages`."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from tracker.api_responses import CHANGE, READ, error_responses, to_out
from tracker.audit import Actor
from tracker.family.api_types import PlanMessageOut, ReplyIn, WidenIn
from tracker.family.conversation import add_staff_reply, plan_messages, widen_message
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_family


class PlanMessagesController(Controller):
    """The family's messages on a plan and professionals' replies."""

    path = "/api/v1/plans/{plan_id:int}/messages"
    tags = ["plans"]

    @get(responses=error_responses(*READ))
    async def list_messages(
        self, plan_id: FromPath[int], caller: NamedDependency[Caller]
    ) -> list[PlanMessageOut]:
        """The family's messages and the replies the caller may read, oldest first."""
        await require_family(caller, await service.plan_family(plan_id))
        return to_out(await plan_messages(plan_id, reader_id=caller.id), list[PlanMessageOut])

    @post(responses=error_responses(*CHANGE))
    async def reply(
        self, plan_id: FromPath[int], data: JSONBody[ReplyIn], caller: NamedDependency[Caller],
        now: NamedDependency[datetime], windows: NamedDependency[SendWindows],
    ) -> PlanMessageOut:
        """Reply to a family member (the lead, or a professional supporting one of their
        steps); they are told by text or email that there is a reply, with only their link."""
        message_id = await add_staff_reply(
            plan_id=plan_id, member_id=data.member_id, body=data.body, caller=caller,
            actor=Actor.user(caller.id, caller.name, channel="api"), now=now, windows=windows)
        rows = await plan_messages(plan_id, reader_id=caller.id)
        return to_out(next(r for r in rows if r["id"] == message_id), PlanMessageOut)

    @post("/{message_id:int}/widen", status_code=200, responses=error_responses(*CHANGE))
    async def widen(
        self, plan_id: FromPath[int], message_id: FromPath[int], data: JSONBody[WidenIn],
        caller: NamedDependency[Caller], now: NamedDependency[datetime],
    ) -> PlanMessageOut:
        """The lead lets everyone working with the family read a family member's lead-only
        message, saying why (kept in the audit trail)."""
        await require_family(caller, await service.plan_family(plan_id))
        await widen_message(plan_id=plan_id, message_id=message_id, reason=data.reason,
                            caller=caller, actor=Actor.user(caller.id, caller.name, channel="api"),
                            now=now)
        rows = await plan_messages(plan_id, reader_id=caller.id)
        return to_out(next(r for r in rows if r["id"] == message_id), PlanMessageOut)
