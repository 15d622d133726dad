"""The composition root: builds the dispatcher with its collaborators, wires jobs and domain events.

After cosmicpython's `bootstrap.py`. The packages below never reach up for each other: the
dispatcher (tracker.notify) is handed the family-link issuer (tracker.family) and the
providers here; the periodic jobs that span packages are listed here; and the plan service's
domain events (tracker.plans.events) get their handlers here. `tracker.app.create_app` and
`tracker.cli.main` call this module; nothing else does.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from tracker.audit import Actor
from tracker.clock import Clock
from tracker.family.links import LinkPolicy, end_family_links, end_member_links, issue_link
from tracker.family.sessions import prune_sessions as prune_family_sessions
from tracker.notify import scheduler
from tracker.notify.dispatcher import Dispatcher
from tracker.notify.providers import Providers, providers_for
from tracker.plans import events
from tracker.plans.events import MemberNoLongerSafe, PlanEnded
from tracker.security.ratelimit import prune as prune_rate_limits
from tracker.settings import Settings
from tracker.staff.sessions import prune_sessions as prune_staff_sessions

log = logging.getLogger("tracker")
HOUSEKEEPING_SECONDS = 3600.0


# ---------------------------------------------------------------- domain events


async def end_links_of_unsafe_member(event: MemberNoLongerSafe, actor: Actor, now: datetime) -> None:
    """Not safe to contact: their plan link and any open family page stop now."""
    await end_member_links(member_id=event.member_id, reason="not_safe_to_contact", now=now,
                           actor=actor)


async def end_links_with_plan(event: PlanEnded, actor: Actor, now: datetime) -> None:
    """The family's plan links (and open family pages) end with the plan."""
    await end_family_links(family_id=event.family_id, reason="plan_ended", now=now, actor=actor)


def wire() -> None:
    """Subscribe the handlers of the plan service's domain events (idempotent)."""
    events.subscribe(MemberNoLongerSafe, end_links_of_unsafe_member)
    events.subscribe(PlanEnded, end_links_with_plan)


# ---------------------------------------------------------------- the dispatcher and its jobs


def build_dispatcher(settings: Settings, clock: Clock, providers: Providers, **options: Any) -> Dispatcher:
    """A dispatcher that issues family links by the settings' link policy.

    `options` are the dispatcher's test seams (rng, sleep, calendar, after_send, link_issuer).
    """
    options.setdefault("link_issuer", functools.partial(issue_link, policy=LinkPolicy.from_settings(settings)))
    return Dispatcher(settings=settings, providers=providers, clock=clock, **options)


async def housekeeping(clock: Clock) -> None:
    """Delete what can never be used again: old staff and family sessions, spent rate limits."""
    now = clock.now()
    try:
        staff = await prune_staff_sessions(now=now)
        family = await prune_family_sessions(now=now)
        limits = await prune_rate_limits(now=now)
    except Exception:
        log.exception("housekeeping failed")
        return
    if staff or family or limits:
        log.info("housekeeping: %d staff sessions, %d family sessions, %d rate-limit windows deleted",
                 staff, family, limits)


def jobs(settings: Settings, clock: Clock, dispatcher: Dispatcher) -> list[scheduler.Job]:
    """Every periodic job of a serving process, in one place."""
    return [
        scheduler.Job("nudges-dispatch", functools.partial(scheduler.dispatch_tick, dispatcher),
                      settings.dispatch_interval_seconds),
        scheduler.Job("housekeeping", functools.partial(housekeeping, clock), HOUSEKEEPING_SECONDS),
    ]


def dispatcher_lifespan(settings: Settings, clock: Clock) -> Callable[[Any], Any]:
    """A Litestar lifespan that runs the jobs while the app serves."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        providers = providers_for(settings)
        dispatcher = build_dispatcher(settings, clock, providers)
        # /health reads the heartbeat: a dispatcher whose ticks fail or never come is reported.
        if app is not None:
            app.state["dispatcher_heartbeat"] = dispatcher.heartbeat
        try:
            async with scheduler.running(jobs(settings, clock, dispatcher)):
                try:
                    yield
                finally:
                    # Shutting down (SIGTERM): the tick in hand finishes the message it is
                    # sending and releases the rest of its claim before the scheduler stops.
                    dispatcher.stop()
                    await dispatcher.wait_idle(settings.shutdown_grace_seconds)
        finally:
            await providers.close()

    return lifespan
