"""The audit trail: who changed which record, from what to what, when and through which channel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

Channel = Literal["web", "api", "family_link", "sms", "system"]


class AuditEvent(Table, tablename="audit_event"):
    """An append-only record of a change; database triggers refuse updates and deletes.

    Part of the `plans` Piccolo app (its migrations made the table and the triggers).
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    at = Timestamptz(index=True)
    actor_kind = Varchar(length=10)  # user, member, system
    actor_user_id = Integer(null=True, default=None)
    actor_member_id = Integer(null=True, default=None)
    actor_label = Varchar(length=200, default="")
    channel = Varchar(length=20)  # web, api, family_link, sms, system
    record_type = Varchar(length=40)
    record_id = Integer()
    action = Varchar(length=10)  # create, update, delete
    changes = Text(default="{}")  # JSON {field: [old, new]}
    family_id = Integer(null=True, default=None, index=True)
    plan_id = Integer(null=True, default=None, index=True)


@dataclass(frozen=True)
class Actor:
    """Whoever makes a change: a professional, a family member, or the system itself."""

    kind: Literal["user", "member", "system"]
    channel: Channel
    user_id: int | None = None
    member_id: int | None = None
    label: str = ""

    @classmethod
    def user(cls, user_id: int, label: str, channel: Channel = "api") -> Actor:
        """A signed-in professional."""
        return cls(kind="user", channel=channel, user_id=user_id, label=label)

    @classmethod
    def member(cls, member_id: int, label: str, channel: Channel = "family_link") -> Actor:
        """A family member, through their link or by text."""
        return cls(kind="member", channel=channel, member_id=member_id, label=label)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The product itself (the dispatcher, the demo seeder, a migration)."""
        return cls(kind="system", channel="system", label=label)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value changed, as {field: [old, new]}; secrets are never passed in."""
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _plain(before.get(key)), _plain(after.get(key))
        if old != new:
            changed[key] = [old, new]
    return changed


def created(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """A creation seen as a change from nothing to each value."""
    return {key: [None, _plain(value)] for key, value in sorted(values.items())}


async def record(
    *,
    actor: Actor,
    now: datetime,
    record_type: str,
    record_id: int,
    action: Literal["create", "update", "delete", "read"],
    changes: Mapping[str, list[Any]],
    family_id: int | None = None,
    plan_id: int | None = None,
) -> None:
    """Append one audit event; call inside the transaction that makes the change."""
    await AuditEvent.insert(
        AuditEvent(
            at=now,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            actor_member_id=actor.member_id,
            actor_label=actor.label,
            channel=actor.channel,
            record_type=record_type,
            record_id=record_id,
            action=action,
            changes=json.dumps(dict(changes), default=str),
            family_id=family_id,
            plan_id=plan_id,
        )
    )


def event_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """An audit event as the API shows it."""
    return {
        "id": row["id"],
        "at": _plain(row["at"]),
        "actor": {
            "kind": row["actor_kind"],
            "user_id": row["actor_user_id"],
            "member_id": row["actor_member_id"],
            "label": row["actor_label"],
        },
        "channel": row["channel"],
        "record_type": row["record_type"],
        "record_id": row["record_id"],
        "action": row["action"],
        "changes": json.loads(row["changes"] or "{}"),
    }
