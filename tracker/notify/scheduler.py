"""The clock that ticks the dispatcher: APScheduler 3.x in the app's lifespan, owning no nudge state.

The periodic jobs themselves are registered in one place, `tracker.bootstrap.jobs`; each is a
plain async function, testable without a scheduler. Nudge state lives in the outbox table,
so any number of instances can run this clock: claims never overlap (see Dispatcher.claim),
and APScheduler's `coalesce`/`max_instances=1` stop one process from piling up ticks when a
batch is slow. `shutdown(wait=False)` cancels a running tick; a tick is safe to interrupt
because every step is its own committed, guarded update (an interrupted send ends as
`unknown` or is released).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tracker.clock import SystemClock
from tracker.notify.dispatcher import Dispatcher

log = logging.getLogger("tracker.notify")


@dataclass(frozen=True)
class Job:
    """A periodic job: its id, the coroutine function to run, and seconds between runs."""

    id: str
    run: Callable[[], Awaitable[None]]
    every_seconds: float


async def dispatch_tick(dispatcher: Dispatcher) -> None:
    """One tick; a failure is logged (and on the heartbeat) and the next tick tries again."""
    try:
        report = await dispatcher.tick()
    except Exception:
        log.exception("nudge dispatcher tick failed")
        return
    if report.claimed or report.materialised or report.cancelled or report.unknown:
        log.info(report.summary())


@asynccontextmanager
async def running(jobs: list[Job]) -> AsyncIterator[None]:
    """Run the jobs on an AsyncIOScheduler while the block runs; each starts at once."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    # The first run is as soon as the app is up, then every interval (scheduler time).
    first = SystemClock().now()
    for job in jobs:
        scheduler.add_job(job.run, "interval", seconds=job.every_seconds, id=job.id, coalesce=True,
                          max_instances=1, misfire_grace_time=None, next_run_time=first)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
