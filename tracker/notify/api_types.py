"""Response bodies of the message history API (`GET /api/v1/messages`)."""

from __future__ import annotations

from typing import Literal

from tracker.api_responses import IsoDateTime, Out

MessageStatus = Literal[
    "pending", "sending", "sent", "delivered", "failed", "unknown", "cancelled", "suppressed",
    "error"]


class RecipientOut(Out):
    """Who a message is for: a family member or a professional."""

    kind: Literal["member", "user"]
    id: int
    name: str


class MessageOut(Out):
    """A text or email: to whom, when it was due, sent and delivered, or why not."""

    id: int
    channel: Literal["sms", "email"]
    template: str
    rule: str
    status: MessageStatus
    why_not: str | None
    recipient: RecipientOut
    family_id: int | None
    to: str | None
    due_at: IsoDateTime
    next_attempt_at: IsoDateTime | None
    sent_at: IsoDateTime | None
    delivered_at: IsoDateTime | None
    attempts: int
    error_code: str | None
    error_text: str | None
    segments: int | None
    subject: str | None
    text: str | None
