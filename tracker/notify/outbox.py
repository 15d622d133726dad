"""The outbox: persist a message first (one row per unique key), send it later by id."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any, Literal

from tracker.notify.providers import Attachment
from tracker.notify.quiet import SendWindows, parse_hours
from tracker.notify.tables import Outbox
from tracker.plans.dates import england_calendar
from tracker.plans.tables import FamilyMember
from tracker.settings import Settings

Channel = Literal["sms", "email"]


def send_windows(settings: Settings) -> SendWindows:
    """Quiet-hours settings as a SendWindows value (built by whoever holds the settings)."""
    sms_start, sms_end = parse_hours(settings.sms_hours)
    email_start, email_end = parse_hours(settings.email_hours)
    return SendWindows(sms_start=sms_start, sms_end=sms_end, email_start=email_start,
                       email_end=email_end, sms_on_sundays=settings.sms_on_sundays,
                       sms_on_bank_holidays=settings.sms_on_bank_holidays)


def is_bank_holiday(day: date) -> bool:
    """An England bank holiday on a weekday (weekend substitutes fall on the Monday)."""
    return day.weekday() < 5 and not england_calendar().is_working_day(day)


# Emails a person has just asked for and is waiting on: their links expire in minutes (a reset)
# or hours (an invitation), so quiet hours must not hold them back. Texts always wait.
IMMEDIATE_EMAIL_TEMPLATES = frozenset({"password_reset", "account_invite"})
# The one text that does not wait: the plan link a member has just texted LINK to ask for.
IMMEDIATE_SMS_TEMPLATES = frozenset({"family_link_asked"})

# Context keys that carry a live secret (a reset link) or a family's personal file (a copy of
# their plan); blanked once the message has gone.
SECRET_CONTEXT_KEYS = ("link", "attachment")


def attachment_context(filename: str, content_type: str, data: bytes) -> dict[str, str]:
    """A file for an email's context (kept in the row only until the email has gone)."""
    return {"filename": filename, "content_type": content_type,
            "base64": base64.b64encode(data).decode("ascii")}


def attachments_of(row: dict[str, Any]) -> tuple[Attachment, ...]:
    """The file a queued email carries, if any."""
    found = json.loads(row["context"] or "{}").get("attachment")
    if not isinstance(found, dict):
        return ()
    return (Attachment(filename=str(found["filename"]), content_type=str(found["content_type"]),
                       data=base64.b64decode(found["base64"])),)


def ignores_quiet_hours(channel: str, template: str) -> bool:
    """True for a message the recipient is waiting for right now (see IMMEDIATE_*_TEMPLATES)."""
    if channel == "sms":
        return template in IMMEDIATE_SMS_TEMPLATES
    return channel == "email" and template in IMMEDIATE_EMAIL_TEMPLATES


def first_send_at(channel: str, due_at: datetime, template: str = "", *,
                  windows: SendWindows) -> datetime:
    """When a message due at `due_at` may first go out: quiet hours defer it, never drop it."""
    if ignores_quiet_hours(channel, template):
        return due_at
    return windows.next_allowed(channel, due_at, is_bank_holiday)


def dump_context(context: dict[str, Any]) -> str:
    """JSON for the context column; dates and datetimes become ISO strings."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    return json.dumps(context, default=plain, sort_keys=True)


def outbox_values(
    *, channel: str, template: str, context: dict[str, Any], due_at: datetime, key: str,
    windows: SendWindows, now: datetime | None = None, rule: str = "direct", recipient_user_id: int | None = None,
    recipient_member_id: int | None = None, family_id: int | None = None,
) -> dict[str, Any]:
    """A new pending outbox row's values by column name, checked (the rules and enqueue() share this).

    Plain values, so the dispatcher can insert thousands of rules' rows without building a
    table object for each.
    """
    if channel not in ("sms", "email"):
        raise ValueError(f"channel must be sms or email, not {channel!r}")
    if (recipient_user_id is None) == (recipient_member_id is None):
        raise ValueError("give exactly one of recipient_user_id and recipient_member_id")
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    stamp = now or due_at
    return {
        "key": key, "rule": rule, "channel": channel, "template": template,
        "context": dump_context(context), "recipient_user": recipient_user_id,
        "recipient_member": recipient_member_id, "family_id": family_id, "status": "pending",
        "due_at": due_at,
        "next_attempt_at": first_send_at(channel, max(due_at, stamp), template, windows=windows),
        "attempts": 0, "created_at": stamp, "updated_at": stamp,
    }


def outbox_row(
    *, channel: str, template: str, context: dict[str, Any], due_at: datetime, key: str,
    windows: SendWindows, now: datetime | None = None, rule: str = "direct", recipient_user_id: int | None = None,
    recipient_member_id: int | None = None, family_id: int | None = None,
) -> Outbox:
    """An unsaved pending outbox row (see `outbox_values`)."""
    return Outbox(**outbox_values(
        channel=channel, template=template, context=context, due_at=due_at, key=key,
        windows=windows, now=now, rule=rule, recipient_user_id=recipient_user_id,
        recipient_member_id=recipient_member_id, family_id=family_id))


async def enqueue(
    *,
    channel: Channel,
    template: str,
    context: dict[str, Any],
    due_at: datetime,
    key: str,
    windows: SendWindows,
    recipient_user_id: int | None = None,
    recipient_member_id: int | None = None,
) -> int | None:
    """Add a pending message; returns its id, or None when a row with this key already exists.

    One INSERT … ON CONFLICT DO NOTHING, so it joins the caller's `atomic()` transaction when
    there is one (the message commits, or rolls back, with the change that caused it) and
    opens none of its own. The key must be unique per intended message, e.g.
    ``f"password_reset:user:{user_id}:{token_id}"``. Suitability of the recipient (safe to
    contact, consent, opted out) and quiet hours are applied when it is sent; `windows` (the
    caller's quiet hours, from its settings) only places the first try.
    """
    family_id = None
    if recipient_member_id is not None:
        member = await FamilyMember.select(FamilyMember.family).where(
            FamilyMember.id == recipient_member_id).first()
        family_id = member["family"] if member else None
    row = outbox_row(channel=channel, template=template, context=context, due_at=due_at, key=key,
                     windows=windows, recipient_user_id=recipient_user_id, recipient_member_id=recipient_member_id,
                     family_id=family_id)
    result = await Outbox.insert(row).on_conflict(target=Outbox.key, action="DO NOTHING").returning(
        Outbox.id)
    return int(result[0]["id"]) if result else None
