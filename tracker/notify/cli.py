"""`tracker nudges dispatch`: run the dispatcher from the command line (one tick, or a worker)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

from tracker.clock import Clock, FixedClock, parse_now
from tracker.settings import get_settings


def add_commands(sub: argparse._SubParsersAction, command: Callable[[str], Any]) -> None:  # type: ignore[type-arg]
    """Add `nudges dispatch [--once] [--now ISO]` to the tracker command.

    `command` is tracker.cli's registrar, passed in so this works under `python -m tracker.cli`.
    """
    command("nudges")(_nudges)
    nudges = sub.add_parser("nudges", help="nudges: SMS and email reminders")
    nudges_sub = nudges.add_subparsers(dest="nudges_command", required=True)
    dispatch = nudges_sub.add_parser(
        "dispatch", help="materialise due nudges, send them, record results")
    dispatch.add_argument("--once", action="store_true", help="run one tick, print it, and exit")
    dispatch.add_argument("--now", dest="nudges_now", default=None,
                          help="pretend it is this ISO-8601 time (naive = Europe/London)")
    dispatch.add_argument("--quiet", action="store_true", help="print only the summary line")


async def _nudges(args: argparse.Namespace, clock: Clock) -> int:
    from piccolo.engine import engine_finder

    from tracker import db
    from tracker.notify.dispatcher import Dispatcher
    from tracker.notify.providers import providers_for

    if args.nudges_now:
        clock = FixedClock(parse_now(args.nudges_now))
    settings = get_settings()
    engine = engine_finder()
    await db.start(engine, settings)
    providers = providers_for(settings)
    dispatcher = Dispatcher(settings=settings, providers=providers, clock=clock)
    try:
        while True:
            report = await dispatcher.tick()
            if args.once or not args.quiet:
                if not args.quiet:
                    for line in report.lines:
                        print(line)
                print(report.summary(), flush=True)
            if args.once:
                return 0
            await asyncio.sleep(settings.dispatch_interval_seconds)
    finally:
        await providers.close()
        await db.stop(engine)
