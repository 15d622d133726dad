"""Consent to messages: a family member opts out (STOP, or Twilio says they unsubscribed) or back in.

Both are audited changes to the member; the dispatcher, delivery reports and inbound texts
all come here, so the rule lives in one place.
"""

from __future__ import annotations

from datetime import datetime

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic
from tracker.plans.tables import FamilyMember

# The actor for changes the nudge machinery makes on its own (Twilio reported an opt-out).
SYSTEM = Actor.system("nudges")
TWILIO_UNSUBSCRIBED = "Twilio 21610: the number has unsubscribed"


async def opt_out_member(member_id: int, *, now: datetime, actor: Actor, why: str) -> bool:
    """Record that a member no longer wants messages (audited); False if already opted out."""
    async with atomic():
        m = await FamilyMember.select(FamilyMember.family, FamilyMember.opted_out_at).where(
            FamilyMember.id == member_id).first()
        if m is None or m["opted_out_at"] is not None:
            return False
        await FamilyMember.update({FamilyMember.opted_out_at: now}).where(FamilyMember.id == member_id)
        await audit.record(actor=actor, now=now, record_type="family_member", record_id=member_id,
                           action="update", changes={"opted_out_at": [None, now.isoformat()],
                                                     "why": [None, why]},
                           family_id=m["family"])
    return True


async def opt_in_member(member_id: int, *, now: datetime, actor: Actor, why: str) -> bool:
    """Clear a member's opt-out (audited); False if they were not opted out."""
    async with atomic():
        m = await FamilyMember.select(FamilyMember.family, FamilyMember.opted_out_at).where(
            FamilyMember.id == member_id).first()
        if m is None or m["opted_out_at"] is None:
            return False
        await FamilyMember.update({FamilyMember.opted_out_at: None}).where(FamilyMember.id == member_id)
        await audit.record(actor=actor, now=now, record_type="family_member", record_id=member_id,
                           action="update",
                           changes={"opted_out_at": [m["opted_out_at"].isoformat(), None],
                                    "why": [None, why]},
                           family_id=m["family"])
    return True
