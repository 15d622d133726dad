"""The conversation on a plan: the family's words, professionals' replies, notes shared with them.

Who among the professionals reads which words is `tracker.plans.visibility`; who may reply is
`tracker.plans.access.can_reply`. A reply tells the family member there is one (by text or
email, through the outbox, which applies consent, safety and quiet hours when it sends): the
text carries only the plan link, never the reply's words or any name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors, NotFound
from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller
from tracker.plans.access import require_family, require_lead, require_reply
from tracker.plans.tables import FamilyMember, Plan, PlanMessage, ProgressUpdate
from tracker.plans.visibility import CORE_GROUP, LEAD, message_lead, readable
from tracker.validate import check_text, is_id

REPLY_MAX = 1000
REASON_MAX = 500
FAMILY_PAGE_MESSAGES = 10


def _author(r: dict[str, Any]) -> dict[str, Any]:
    if r["author_user"]:
        return {"kind": "user", "user_id": r["author_user"], "member_id": None,
                "name": r["author_name"] or ""}
    return {"kind": "member", "user_id": None, "member_id": r["member"],
            "name": r["member_name"] or ""}


async def plan_messages(plan_id: int, *, reader_id: int | None) -> list[dict[str, Any]]:
    """The family's messages on a plan and the replies to them that this professional may read."""
    rows = readable(reader_id, await PlanMessage.select(
        PlanMessage.id, PlanMessage.member, PlanMessage.body, PlanMessage.visibility,
        PlanMessage.channel, PlanMessage.created_at, PlanMessage.author_user,
        PlanMessage.member.name.as_alias("member_name"),
        PlanMessage.author_user.name.as_alias("author_name"), message_lead(),
    ).where(PlanMessage.plan == plan_id).order_by(PlanMessage.created_at, PlanMessage.id))
    return [{"id": r["id"], "member_id": r["member"], "author": _author(r), "body": r["body"],
             "visibility": r["visibility"], "channel": r["channel"],
             "created_at": r["created_at"]} for r in rows]


async def _plan_row(plan_id: int) -> dict[str, Any]:
    plan = await Plan.select(Plan.id, Plan.family, Plan.status).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    return plan


async def _reply_problems(plan: dict[str, Any], member_id: int, body: str) -> tuple[
        dict[str, str], dict[str, Any] | None, str]:
    errors: dict[str, str] = {}
    try:
        body = check_text(body, field_label="your reply", max_length=REPLY_MAX)
    except ValueError as exc:
        errors["body"] = str(exc)
    member = None
    if is_id(member_id):
        member = await FamilyMember.select(
            FamilyMember.id, FamilyMember.name, FamilyMember.preferred_channel,
            FamilyMember.safe_to_contact,
        ).where((FamilyMember.id == member_id) & (FamilyMember.family == plan["family"])).first()
    if member is None:
        errors["member_id"] = "Choose an adult in this family."
    elif not member["safe_to_contact"]:
        errors["member_id"] = ("This adult is recorded as not safe to contact, so they cannot "
                               "be sent a reply.")
    if plan["status"] != "active":
        errors["plan"] = "This plan has been replaced or ended: reply on the current plan."
    return errors, member, body


async def add_staff_reply(
    *, plan_id: int, member_id: int, body: str, caller: Caller, actor: Actor, now: datetime,
    windows: SendWindows,
) -> int:
    """A professional answers a family member on their plan; the member is told there is a reply.

    The reply is `lead` visibility: the member, the professional who wrote it and the lead read it.
    """
    plan = await _plan_row(plan_id)
    await require_family(caller, plan["family"])
    errors, member, body = await _reply_problems(plan, member_id, body)
    if errors or member is None:
        raise FieldErrors(errors)
    await require_reply(caller, plan["family"], member_id)
    async with atomic():
        message_id: int = (await PlanMessage.insert(PlanMessage(
            family=plan["family"], plan=plan_id, member=member_id, body=body, channel="staff",
            visibility=LEAD, author_user=caller.id, created_at=now,
        )).returning(PlanMessage.id))[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="plan_message", record_id=message_id,
            action="create", changes=audit.created({"body": body, "member": member_id,
                                                    "visibility": LEAD, "channel": "staff"}),
            family_id=plan["family"], plan_id=plan_id)
        # Only that there is a reply, and the link: a shared phone must not show the words.
        await enqueue(
            channel="email" if member["preferred_channel"] == "email" else "sms",
            template="staff_reply", due_at=now, windows=windows,
            key=f"staff_reply:plan_message:{message_id}:member:{member_id}",
            recipient_member_id=member_id, context={"name": member["name"], "needs_link": True})
    return message_id


async def widen_message(
    *, plan_id: int, message_id: int, reason: str, caller: Caller, actor: Actor, now: datetime
) -> None:
    """The lead lets everyone working with the family read a family member's lead-only words."""
    m = await PlanMessage.select(
        PlanMessage.id, PlanMessage.family, PlanMessage.plan, PlanMessage.visibility,
        PlanMessage.author_user,
    ).where(PlanMessage.id == message_id).first()
    if m is None or m["plan"] != plan_id:
        raise NotFound(f"message {message_id}")
    await require_lead(caller, m["family"])
    errors: dict[str, str] = {}
    try:
        reason = check_text(reason, field_label="why everyone working with the family should "
                            "read it", max_length=REASON_MAX)
    except ValueError as exc:
        errors["reason"] = str(exc)
    if m["author_user"] is not None:
        errors["message"] = "Only the family's own words can be shared more widely."
    elif m["visibility"] == CORE_GROUP:
        errors["message"] = "Everyone working with the family can already read this."
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        await PlanMessage.update({PlanMessage.visibility: CORE_GROUP}).where(
            PlanMessage.id == message_id)
        await audit.record(
            actor=actor, now=now, record_type="plan_message", record_id=message_id,
            action="update", changes={"visibility": [LEAD, CORE_GROUP], "reason": [None, reason]},
            family_id=m["family"], plan_id=m["plan"])


async def family_conversation(
    member_id: int, plan_id: int, redact: Callable[[str | None], str]
) -> list[dict[str, Any]]:
    """What a member sees of the conversation: their own words and the replies to them."""
    rows = await PlanMessage.select(
        PlanMessage.body, PlanMessage.created_at, PlanMessage.author_user,
        PlanMessage.author_user.name.as_alias("author_name"),
        PlanMessage.author_user.role_title.as_alias("author_role"),
    ).where((PlanMessage.member == member_id) & (PlanMessage.plan == plan_id)).order_by(
        PlanMessage.created_at, PlanMessage.id)
    return [{"body": redact(r["body"]) if r["author_user"] else r["body"],
             "created_at": r["created_at"], "from_us": r["author_user"] is not None,
             "author_user": r["author_user"],
             "author_name": r["author_name"] or "", "author_role": r["author_role"] or ""}
            for r in rows[-FAMILY_PAGE_MESSAGES:]]


async def shared_notes(
    action_ids: list[int], redact: Callable[[str | None], str]
) -> dict[int, list[dict[str, Any]]]:
    """Professionals' notes marked to share with the family, by step, oldest first."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not action_ids:
        return out
    rows = await ProgressUpdate.select(
        ProgressUpdate.action, ProgressUpdate.note, ProgressUpdate.created_at,
        ProgressUpdate.author_user, ProgressUpdate.author_user.name.as_alias("author_name"),
        ProgressUpdate.author_user.role_title.as_alias("author_role"),
    ).where(ProgressUpdate.action.is_in(action_ids)
            & (ProgressUpdate.shared_with_family == True)  # noqa: E712
            & ProgressUpdate.author_user.is_not_null()).order_by(
        ProgressUpdate.created_at, ProgressUpdate.id)
    for r in rows:
        out[r["action"]].append({"note": redact(r["note"]), "created_at": r["created_at"],
                                 "author_user": r["author_user"],
                                 "author_name": r["author_name"] or "",
                                 "author_role": r["author_role"] or ""})
    return out
