"""The clock that ticks the dispatcher: APScheduler 3.x in the app's lifespan, owning no nudge state.

All periodic jobs are registered here, in JOBS; each is a plain async function of a Dispatcher,
testable without a scheduler. Nudge state lives in the outbox table, so any number of
instances can run this clock: claims never overlap (see Dispatcher.claim), and APScheduler's
`coalesce`/`max_instances=1` stop one process from piling up ticks when a batch is slow.
`shutdown(wait=False)` cancels a running tick; a tick is safe to interrupt because every step
is its own committed, guarded update (an interrupted send ends as `unknown` or is released).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from tracker.clock import Clock, SystemClock
from tracker.notify.dispatcher import Dispatcher
from tracker.notify.providers import providers_for
from tracker.settings import Settings

log = logging.getLogger("tracker.notify")


async def dispatch_tick(dispatcher: Dispatcher) -> None:
    """One tick; a failure is logged (and on the heartbeat) and the next tick tries again."""
    try:
        report = await dispatcher.tick()
    except Exception:
        log.exception("nudge dispatcher tick failed")
        return
    if report.claimed or report.materialised or report.cancelled or report.unknown:
        log.info(report.summary())


async def housekeeping(dispatcher: Dispatcher) -> None:
    """Delete what can never be used again: old staff and family sessions, spent rate limits."""
    from tracker.family.sessions import prune_sessions as prune_family_sessions
    from tracker.security.ratelimit import prune as prune_rate_limits
    from tracker.staff.sessions import prune_sessions as prune_staff_sessions

    now = dispatcher.clock.now()
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


# (job id, function, seconds between runs from settings)
JOBS: list[tuple[str, Callable[[Dispatcher], Awaitable[None]], Callable[[Settings], float]]] = [
    ("nudges-dispatch", dispatch_tick, lambda s: s.dispatch_interval_seconds),
    ("housekeeping", housekeeping, lambda s: 3600.0),
]


def dispatcher_lifespan(settings: Settings, clock: Clock) -> Callable[[Any], Any]:
    """A Litestar lifespan that runs JOBS while the app serves."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        providers = providers_for(settings)
        dispatcher = Dispatcher(settings=settings, providers=providers, clock=clock)
        # /health reads the heartbeat: a dispatcher whose ticks fail or never come is reported.
        if app is not None:
            app.state["dispatcher_heartbeat"] = dispatcher.heartbeat
        scheduler = AsyncIOScheduler(timezone="UTC")
        # The first tick runs as soon as the app is up, then every interval (scheduler time).
        first = SystemClock().now()
        for job_id, fn, every in JOBS:
            scheduler.add_job(fn, "interval", seconds=every(settings), args=[dispatcher],
                              id=job_id, coalesce=True, max_instances=1, misfire_grace_time=None,
                              next_run_time=first)
        scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)
            await providers.close()

    return lifespan
