"""Message history: what was sent to whom, when, delivered or not, and why not."""

from __future__ import annotations

from typing import Any

from piccolo.custom_types import Combinable

from tracker.errors import NotFound
from tracker.notify.tables import ConsoleMessage, Outbox
from tracker.people.caller import Caller
from tracker.plans.access import require_family, visible_family_ids
from tracker.plans.tables import FamilyMember
from tracker.settings import Settings

STATUSES = ("pending", "sending", "sent", "delivered", "failed", "unknown", "cancelled", "suppressed",
            "error")


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def message_view(row: dict[str, Any]) -> dict[str, Any]:
    """An outbox row as the API shows it."""
    recipient = ({"kind": "member", "id": row["recipient_member"], "name": row.get("member_name")}
                 if row["recipient_member"] is not None else
                 {"kind": "user", "id": row["recipient_user"], "name": row.get("user_name")})
    return {
        "id": row["id"], "channel": row["channel"], "template": row["template"], "rule": row["rule"],
        "status": row["status"], "why_not": row["reason"], "recipient": recipient,
        "family_id": row["family_id"], "to": row["to_address"], "due_at": _iso(row["due_at"]),
        "next_attempt_at": _iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "sent_at": _iso(row["sent_at"]), "delivered_at": _iso(row["delivered_at"]),
        "attempts": row["attempts"], "error_code": row["error_code"],
        "error_text": row["error_text"] or None, "segments": row["segments"],
        "subject": row["subject"] or None, "text": row["body_preview"] or None,
    }


async def list_messages(
    caller: Caller, *, family_id: int | None = None, member_id: int | None = None,
    user_id: int | None = None, status: str | None = None, limit: int = 200,
) -> list[dict[str, Any]]:
    """Messages the caller may see, newest first: their families' messages and their own."""
    where: list[Combinable] = []
    if family_id is not None:
        await require_family(caller, family_id)
        where.append(Outbox.family_id == family_id)
    if member_id is not None:
        member = await FamilyMember.select(FamilyMember.family).where(
            FamilyMember.id == member_id).first()
        if member is None:
            raise NotFound(f"member {member_id}")
        await require_family(caller, member["family"])
        where.append(Outbox.recipient_member == member_id)
    if user_id is not None:
        where.append(Outbox.recipient_user == user_id)
    if status is not None:
        where.append(Outbox.status == status)
    visible = await visible_family_ids(caller)
    if visible is not None and family_id is None and member_id is None:
        # Another professional's messages show only where they are about a family you see.
        mine = Outbox.recipient_user == caller.id
        where.append(mine | Outbox.family_id.is_in(sorted(visible)) if visible else mine)
    query = Outbox.select(
        *Outbox.all_columns(), Outbox.recipient_member.name.as_alias("member_name"),
        Outbox.recipient_user.name.as_alias("user_name"),
    ).order_by(Outbox.id, ascending=False).limit(max(1, min(limit, 1000)))
    for clause in where:
        query = query.where(clause)
    return [message_view(r) for r in await query]


def console_channels(settings: Settings) -> tuple[str, ...]:
    """The channels whose backend is the console (what /dev/messages may show)."""
    return tuple(channel for channel, backend in (("sms", settings.sms_backend),
                                                  ("email", settings.email_backend))
                 if backend == "console")


async def console_messages(caller: Caller, *, channels: tuple[str, ...] = ("sms", "email"),
                           limit: int = 100) -> list[dict[str, Any]]:
    """What the console backends recorded that the caller may see, newest first.

    The same rule as the message history: messages about families the caller may see (by
    the one access rule) and messages to the caller; a console record with no outbox row
    behind it says nothing about whom it concerns, so only admins see it.
    """
    query = ConsoleMessage.select().where(ConsoleMessage.channel.is_in(list(channels)))
    visible = await visible_family_ids(caller)
    if visible is not None:
        allowed = Outbox.select(Outbox.id).where(
            (Outbox.recipient_user == caller.id) | Outbox.family_id.is_in(sorted(visible))
            if visible else Outbox.recipient_user == caller.id)
        query = query.where(ConsoleMessage.outbox_id.is_in(allowed))
    return await query.order_by(ConsoleMessage.id, ascending=False).limit(limit)
