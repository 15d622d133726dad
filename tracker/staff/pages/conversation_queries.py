"""Read model for the conversation on the plan page: the words this professional may read,
who they may reply to, and whether they may widen a family member's lead-only words."""

from __future__ import annotations

from typing import Any

from tracker.family.conversation import plan_messages
from tracker.people.caller import Caller
from tracker.plans.access import can_reply, is_lead
from tracker.plans.common import PlanPolicy
from tracker.plans.tables import FamilyMember, Plan, PlanMessage
from tracker.staff.saved_checks import saved_checks


async def conversation(plan_id: int, caller: Caller) -> dict[str, Any]:
    """What the plan page's "What the family has told us" section shows this professional."""
    plan = await Plan.select(Plan.family, Plan.status).where(Plan.id == plan_id).first()
    if plan is None:
        return {"conversation": [], "reply_members": [], "is_lead": False}
    members = await FamilyMember.select(FamilyMember.id, FamilyMember.name).where(
        (FamilyMember.family == plan["family"])
        & (FamilyMember.safe_to_contact == True)  # noqa: E712
    ).order_by(FamilyMember.id)
    reply_members = []
    if plan["status"] == "active":
        reply_members = [m for m in members if await can_reply(caller, plan["family"], m["id"])]
    return {
        "conversation": await plan_messages(plan_id, reader_id=caller.id),
        "member_names": {m["id"]: m["name"] for m in await FamilyMember.select(
            FamilyMember.id, FamilyMember.name).where(FamilyMember.family == plan["family"])},
        "reply_members": reply_members,
        "is_lead": await is_lead(caller, plan["family"]),
    }


async def reply_checks(plan_id: int, saved: str | None, staff: Caller,
                       policy: PlanPolicy) -> list[dict[str, Any]]:
    """The wording checks for a reply just sent (?saved=reply-12): only its author sees them."""
    kind, _, ident = (saved or "").partition("-")
    if kind != "reply" or not ident.isdigit():
        return []
    row = await PlanMessage.select(PlanMessage.body).where(
        (PlanMessage.id == int(ident)) & (PlanMessage.plan == plan_id)
        & (PlanMessage.author_user == staff.id)).first()
    return saved_checks([("Your reply", row["body"], True)], policy) if row else []
