"""Texts families send us: replies are conversation, and only exact keywords act.

A text is a keyword only when the WHOLE message, trimmed and in any case, is the keyword
(Twilio's own rule for its opt-out handling, so our record and Twilio's block always agree):
"Stop" opts out, "Please stop texting on Sundays" is a message for the lead. START/UNSTOP opt
back in only a member who has opted out; from anyone else they are conversation. "Yes",
"Help", "Help please" and every other reply are saved on the plan (visibility `lead`: only the
lead and managers read them) and the lead is
told; a lone HELP also gets the contact reply. LINK, "new link" or "link please" texts the
member their plan link back, when they are safe to contact and have agreed to texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker import audit
from tracker.audit import Actor
from tracker.db import atomic
from tracker.notify.consent import opt_in_member, opt_out_member
from tracker.notify.outbox import enqueue
from tracker.notify.quiet import SendWindows
from tracker.notify.tables import InboundMessage
from tracker.notify.templates import first_name
from tracker.people.tables import StaffUser
from tracker.plans.tables import Family, FamilyMember, Plan, PlanMessage
from tracker.plans.visibility import LEAD
from tracker.validate import strip_controls

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
# Not "YES": here "Yes" answers "Need a hand? Reply here." and is conversation.
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})
# Exact phrases (case and spacing aside) asking for the plan link again.
LINK_PHRASES = frozenset({"LINK", "NEW LINK", "LINK PLEASE"})
# The reply text carrying the link: the member is waiting for it, so quiet hours do not hold it.
LINK_ASKED_TEMPLATE = "family_link_asked"
MAX_BODY = 1600  # Twilio's longest concatenated message
# SM… for SMS, MM… for MMS; 34 characters in practice, a little slack either way.
MESSAGE_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{16,62}")


@dataclass(frozen=True)
class InboundResult:
    """What we did with a text, and the reply to send back (None: no reply)."""

    outcome: str
    reply: str | None = None


def keyword(body: str) -> str:
    """The whole message as a keyword: trimmed, upper case, runs of spaces made one.

    Nothing else is taken off: "Stop." or "stop it" are not STOP (nor are they for Twilio).
    """
    return " ".join(body.split()).upper()


def valid_message_sid(value: str) -> bool:
    """True for what a Twilio message SID looks like: two letters and 32 hex digits (or close)."""
    return bool(MESSAGE_SID.fullmatch(value or ""))


async def handle_inbound(*, message_sid: str, from_number: str, body: str,
                         now: datetime, authority_name: str, windows: SendWindows) -> InboundResult:
    """Act on a text from `from_number` (E.164, as Twilio sends it) exactly once per MessageSid.

    Twilio retries a webhook whose answer it did not get (a timeout, a 5xx, a dropped
    connection), and anyone holding a signed request can replay it. The SID is claimed in
    the same transaction as everything the text causes, so either both commit or neither
    does, and a replay finds the claim and does nothing: no second message on the plan, no
    second email to the lead, no second reply text. `authority_name` and `windows` (quiet
    hours for the lead's email) come from the settings of the app that received the text.
    """
    async with atomic():
        claimed = await InboundMessage.insert(
            InboundMessage(message_sid=message_sid, received_at=now)
        ).on_conflict(target=InboundMessage.message_sid, action="DO NOTHING").returning(
            InboundMessage.id)
        if not claimed:
            return InboundResult("replay")
        result = await _act_on(from_number=from_number, body=body, now=now, inbound_id=claimed[0]["id"],
                               authority_name=authority_name, windows=windows)
        await InboundMessage.update({InboundMessage.outcome: result.outcome}).where(
            InboundMessage.id == claimed[0]["id"])
    return result


async def _act_on(*, from_number: str, body: str, now: datetime, inbound_id: int,  # noqa: C901 - one branch per keyword
                  authority_name: str, windows: SendWindows) -> InboundResult:
    # Twilio signed it, but a text can still carry characters no database column can hold.
    from_number, body = strip_controls(from_number), strip_controls(body)
    members = await FamilyMember.select(
        FamilyMember.id, FamilyMember.name, FamilyMember.family, FamilyMember.safe_to_contact,
        FamilyMember.sms_consent, FamilyMember.opted_out_at,
        FamilyMember.family.status.as_alias("family_status"),
        FamilyMember.family.lead_professional.as_alias("lead"),
    ).where(FamilyMember.mobile == from_number.strip()).order_by(FamilyMember.id, ascending=False)
    if not members:
        # Nothing is stored about a number we don't know.
        return InboundResult("unknown_number", (
            f"Sorry, we don't recognise this number. If you are part of a family plan with "
            f"{authority_name}, please contact the person who leads your plan."))
    word = keyword(body)
    if word in STOP_WORDS:
        for m in members:
            await opt_out_member(m["id"], now=now, why=f"texted {word}",
                                 actor=Actor.member(m["id"], m["name"], channel="sms"))
        return InboundResult("opted_out")  # Twilio sends its own confirmation
    if word in START_WORDS:
        opted_in = [m for m in members if await opt_in_member(
            m["id"], now=now, why=f"texted {word}", actor=Actor.member(m["id"], m["name"], channel="sms"))]
        if opted_in:
            return InboundResult("opted_in")
        # Nobody here had opted out: START is just words, saved like any reply.
    safe = [m for m in members if m["safe_to_contact"]]
    if not safe:
        # An adult recorded as not safe to contact is never messaged and never shown the plan.
        return InboundResult("not_safe_to_contact")
    open_members = [m for m in safe if m["family_status"] == "open"] or safe
    member = open_members[0]
    if word in LINK_PHRASES and _may_text(member):
        return await _send_link(member, inbound_id, now, windows)
    lead = None
    if member["lead"] is not None:
        lead = await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.phone).where(
            StaffUser.id == member["lead"]).first()
    saved = await _save_reply(member, lead, body, now, windows)
    if word in HELP_WORDS:
        return InboundResult("help", _help_reply(lead, authority_name))
    return saved


def _may_text(member: dict[str, Any]) -> bool:
    """Safe to contact, agreed to texts and not opted out: the dispatcher checks again on sending."""
    return bool(member["safe_to_contact"] and member["sms_consent"] and member["opted_out_at"] is None)


async def _send_link(member: dict[str, Any], inbound_id: int, now: datetime,
                     windows: SendWindows) -> InboundResult:
    """Text the member's plan link back, through the outbox (the dispatcher puts the link in)."""
    await enqueue(channel="sms", template=LINK_ASKED_TEMPLATE, due_at=now, windows=windows,
                  key=f"{LINK_ASKED_TEMPLATE}:inbound:{inbound_id}:member:{member['id']}",
                  recipient_member_id=member["id"],
                  context={"name": member["name"], "needs_link": True})
    return InboundResult("link_sent")


def _help_reply(lead: dict[str, Any] | None, authority_name: str) -> str:
    if lead:
        contact = f"{lead['name']}" + (f" on {lead['phone']}" if lead["phone"] else "")
    else:
        contact = "the person who leads your plan"
    return (f"This number sends reminders about your family's plan from {authority_name}. "
            f"For help, please contact {contact}. Reply STOP to stop these texts.")


async def _save_reply(member: dict[str, Any], lead: dict[str, Any] | None, body: str, now: datetime,
                      windows: SendWindows) -> InboundResult:
    text = body.strip()[:MAX_BODY]
    plan = await Plan.select(Plan.id).where(
        (Plan.family == member["family"]) & (Plan.status == "active")).first()
    plan_id = plan["id"] if plan else None
    family = await Family.select(Family.name).where(Family.id == member["family"]).first()
    actor = Actor.member(member["id"], member["name"], channel="sms")
    async with atomic():
        message_id = (await PlanMessage.insert(PlanMessage(
            family=member["family"], plan=plan_id, member=member["id"], body=text, channel="sms",
            visibility=LEAD, created_at=now)).returning(PlanMessage.id))[0]["id"]
        await audit.record(actor=actor, now=now, record_type="plan_message", record_id=message_id,
                           action="create", changes=audit.created({"body": text, "channel": "sms", "visibility": LEAD}),
                           family_id=member["family"], plan_id=plan_id)
        if lead is not None:
            await enqueue(
                channel="email", template="family_replied", due_at=now,
                key=f"family_replied:plan_message:{message_id}:user:{lead['id']}",
                recipient_user_id=lead["id"], windows=windows,
                context={"member_name": member["name"], "family_name": family["name"] if family else "",
                         "body": text, "plan_id": plan_id, "family_id": member["family"]},
            )
    who = first_name(lead["name"]) if lead else "the person who leads your plan"
    return InboundResult("saved", (
        f"Thank you, {first_name(member['name'])}. Your message has been added to your plan "
        f"and {who} will see it."))
