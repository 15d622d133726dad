"""Domain events: what the plan service announces for other packages to act on.

The plan domain sits below the family package, so it cannot call `tracker.family.links`
itself. Where a plan change must end family links (the plan ended; an adult is no longer safe
to contact) the service publishes an event *inside its own transaction*, and the handler the
composition root subscribed (`tracker.bootstrap.wire`) does the work in that same transaction:
the change and its consequences commit, or roll back, together.

Publishing an event nobody handles is a wiring mistake, not a quiet no-op: `publish` raises,
so a process that forgot `bootstrap.wire()` fails loudly instead of leaving links alive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.audit import Actor


@dataclass(frozen=True)
class PlanEnded:
    """A family's current plan ended (not superseded): its family links and pages end with it."""

    plan_id: int
    family_id: int


@dataclass(frozen=True)
class MemberNoLongerSafe:
    """An adult was recorded as not safe to contact: their link and open family page end now."""

    member_id: int
    family_id: int


Event = PlanEnded | MemberNoLongerSafe
Handler = Callable[[Any, Actor, datetime], Awaitable[None]]

_HANDLERS: dict[type[Any], list[Handler]] = {}


class UnhandledEvent(RuntimeError):
    """An event was published before the composition root subscribed a handler for it."""


def subscribe(kind: type[Any], handler: Handler) -> None:
    """Handle events of `kind` with `handler` (idempotent: subscribing twice keeps one)."""
    handlers = _HANDLERS.setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)


async def publish(event: Event, *, actor: Actor, now: datetime) -> None:
    """Run every handler of the event, in the caller's transaction."""
    handlers = _HANDLERS.get(type(event))
    if not handlers:
        raise UnhandledEvent(f"nothing handles {type(event).__name__}: call tracker.bootstrap.wire()")
    for handler in handlers:
        await handler(event, actor, now)
