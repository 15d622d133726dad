"""Piccolo tables for nudges: the outbox (one row per message) and the console backends' record."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tracker.people.tables import StaffUser
from tracker.plans.tables import FamilyMember

CHANNELS = ("sms", "email")
# pending -> sending -> sent -> delivered | failed; sending -> unknown (lease ran out after the
# message was handed to the provider); pending -> cancelled | suppressed; sending -> error (an
# unexpected failure on this one row: set aside with the reason, never resent automatically).
STATUSES = ("pending", "sending", "sent", "delivered", "failed", "unknown", "cancelled", "suppressed",
            "error")


class Outbox(Table, tablename="notify_outbox"):
    """One message to send, persisted before any attempt so none is lost and none sent twice.

    `key` is unique (a raw index in the migrations): rule, subject, recipient and occasion,
    so re-running the rules every tick never makes a second row for the same nudge.
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    key = Varchar(length=300)
    rule = Varchar(length=40, default="direct")  # the rule that made it; "direct" for enqueue()
    channel = Varchar(length=10)  # sms, email
    template = Varchar(length=100)
    context = Text(default="{}")  # JSON the message is rendered from (never a raw link token)
    recipient_user = ForeignKey(StaffUser, null=True, index=True)
    recipient_member = ForeignKey(FamilyMember, null=True, index=True)
    family_id = Integer(null=True, default=None, index=True)
    to_address = Varchar(length=254, null=True, default=None)  # E.164 or email used at send time
    sender = Varchar(length=100, null=True, default=None)  # the From number/service/address
    status = Varchar(length=12, default="pending")
    due_at = Timestamptz()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    lease_expires_at = Timestamptz(null=True, default=None)
    # Set (and committed) just before the provider is called: a lapsed lease with this set
    # means the provider may have the message, so the row becomes unknown, never resent.
    handed_at = Timestamptz(null=True, default=None)
    provider_message_id = Varchar(length=100, null=True, default=None, index=True)
    error_code = Varchar(length=40, null=True, default=None)
    error_text = Text(default="")
    reason = Varchar(length=40, null=True, default=None)  # why suppressed or cancelled
    segments = Integer(null=True, default=None)
    subject = Varchar(length=300, default="")
    body_preview = Text(default="")  # the text as sent, with any plan link masked
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)


class ConsoleMessage(Table, tablename="notify_console_message"):
    """What the console SMS/email backends "sent": shown at /dev/messages instead of a phone."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    outbox_id = Integer(null=True, default=None, index=True)
    channel = Varchar(length=10)
    to_address = Varchar(length=254)
    sender = Varchar(length=254, default="")
    subject = Varchar(length=300, default="")
    body = Text()
    html = Text(default="")
    provider_message_id = Varchar(length=100)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class InboundMessage(Table, tablename="notify_inbound"):
    """A Twilio MessageSid already acted on: a replayed webhook finds it and does nothing.

    Unique on `message_sid` (a raw index in the migrations). Holds no number and no text:
    what the message said lives, where it belongs, on the plan.
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    message_sid = Varchar(length=64)
    received_at = Timestamptz()
    outcome = Varchar(length=30, default="")


ALL_TABLES: tuple[type[Table], ...] = (Outbox, ConsoleMessage, InboundMessage)
