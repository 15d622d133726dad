"""Delivery reports: providers' status callbacks settle rows (never backwards), and failed texts fall back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tracker.notify.consent import SYSTEM, TWILIO_UNSUBSCRIBED, opt_out_member
from tracker.notify.outbox import enqueue
from tracker.notify.providers import OPT_OUT_CODE
from tracker.notify.tables import Outbox
from tracker.notify.templates import template_exists
from tracker.plans.tables import Family, FamilyMember

# Twilio's message statuses, as outbox statuses.
TWILIO_STATUS = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
    "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "canceled": "failed",
}
# How far along a row is; a report only ever moves a row forward. `pending` is included: a
# report for a row we meant to retry (a timeout hid the provider's acceptance) proves it was
# sent, and stops the retry. `error` (set aside after an unexpected failure) may have reached
# the provider, so its report settles it.
RANK = {"pending": 0, "sending": 1, "unknown": 1, "error": 1, "sent": 2, "delivered": 3,
        "failed": 3}


async def apply_status(*, outbox_id: int | None, message_sid: str, status: str,
                       error_code: str | None, now: datetime) -> str:
    """Apply one Twilio status report; returns what happened (for logs and tests)."""
    new = TWILIO_STATUS.get(status.lower())
    if new is None:
        return f"ignored: status {status!r}"
    outcome, row = await move_row(
        outbox_id=outbox_id, provider_message_id=message_sid, new=new, channels=("sms",),
        error_code=error_code or status, error_text=f"Twilio reported {status}", now=now)
    if row is None or new != "failed":
        return outcome
    if error_code == str(OPT_OUT_CODE) and row["recipient_member"] is not None:
        await opt_out_member(row["recipient_member"], now=now, actor=SYSTEM, why=TWILIO_UNSUBSCRIBED)
    else:
        await after_failed(row, reason=f"{status} {error_code or ''}".strip(), now=now)
    return outcome


async def move_row(*, outbox_id: int | None, provider_message_id: str, new: str,
                   channels: tuple[str, ...], error_code: str | None, error_text: str,
                   now: datetime) -> tuple[str, dict[str, Any] | None]:
    """Move one outbox row forward to `new` (an outbox status) on a provider's report.

    Provider-neutral: each provider's webhook maps its own status words first. Returns what
    happened and, when the row moved, the row as it was before (None when nothing changed).
    """
    query = Outbox.select()
    if outbox_id is not None:
        row = await query.where(Outbox.id == outbox_id).first()
    else:
        row = await query.where(Outbox.provider_message_id == provider_message_id).first()
    if row is None or row["channel"] not in channels:
        return "ignored: no such message", None
    if row["provider_message_id"] and provider_message_id and row["provider_message_id"] != provider_message_id:
        return "ignored: message id does not match", None
    current = row["status"]
    if current not in RANK or RANK[new] <= RANK[current]:
        return f"ignored: {current} -> {new} would go backwards", None
    values: dict[Any, Any] = {Outbox.status: new, Outbox.updated_at: now,
                              Outbox.lease_expires_at: None}
    if provider_message_id and not row["provider_message_id"]:
        values[Outbox.provider_message_id] = provider_message_id
    if new in ("sent", "delivered") and row["sent_at"] is None:
        values[Outbox.sent_at] = now
    if new == "delivered":
        values[Outbox.delivered_at] = now
    if new == "failed":
        values[Outbox.error_code] = error_code
        values[Outbox.error_text] = error_text
    # Compare-and-set on the status we read: two reports racing cannot both apply.
    changed = await Outbox.update(values).where(
        (Outbox.id == row["id"]) & (Outbox.status == current)).returning(Outbox.id)
    if not changed:
        return "ignored: changed meanwhile", None
    return f"{current} -> {new}", row


async def after_failed(row: dict[str, Any], *, reason: str, now: datetime) -> None:
    """What follows a failed delivery: a text to a family member falls back to email, lead told."""
    if row["channel"] == "sms" and row["recipient_member"] is not None:
        await after_text_failed(row["id"], reason=reason, now=now)


async def after_text_failed(row_id: int, *, reason: str, now: datetime) -> dict[str, Any]:
    """A text to a family member did not arrive: email it instead where we can, and tell the lead."""
    row = await Outbox.select().where(Outbox.id == row_id).first()
    if row is None or row["recipient_member"] is None:
        return {}
    member = await FamilyMember.select().where(FamilyMember.id == row["recipient_member"]).first()
    if member is None:
        return {}
    family = await Family.select(Family.name, Family.lead_professional).where(
        Family.id == member["family"]).first()
    emailed = False
    if (member["email"] and member["safe_to_contact"] and member["opted_out_at"] is None
            and template_exists("email", row["template"])):
        await enqueue(channel="email", template=row["template"],
                      context=json.loads(row["context"] or "{}"), due_at=now,
                      key=f"{row['key']}:email_fallback", recipient_member_id=member["id"])
        emailed = True
    lead = family["lead_professional"] if family else None
    if lead is not None:
        await enqueue(
            channel="email", template="text_undelivered", due_at=now,
            key=f"text_undelivered:outbox:{row_id}:user:{lead}", recipient_user_id=lead,
            context={"member_name": member["name"], "family_name": family["name"] if family else "",
                     "family_id": member["family"], "reason": reason, "emailed": emailed},
        )
    return {"emailed": emailed, "lead_told": lead is not None}
