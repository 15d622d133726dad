"""`tracker nudges dispatch`: run the dispatcher from the command line (one tick, or a worker).

The `tracker` command (a composition root) builds the dispatcher with its collaborators
(tracker.bootstrap) and hands it to `run_dispatcher`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from tracker.cli_support import SubParsers
from tracker.notify.dispatcher import Dispatcher


def add_commands(sub: SubParsers) -> None:
    """Add `nudges dispatch [--once] [--now ISO]` to the tracker command."""
    nudges = sub.add_parser("nudges", help="nudges: SMS and email reminders")
    nudges_sub = nudges.add_subparsers(dest="nudges_command", required=True)
    dispatch = nudges_sub.add_parser(
        "dispatch", help="materialise due nudges, send them, record results")
    dispatch.add_argument("--once", action="store_true", help="run one tick, print it, and exit")
    dispatch.add_argument("--now", dest="nudges_now", default=None,
                          help="pretend it is this ISO-8601 time (naive = Europe/London)")
    dispatch.add_argument("--quiet", action="store_true", help="print only the summary line")


async def run_dispatcher(dispatcher: Dispatcher, *, once: bool, quiet: bool,
                         interval_seconds: float) -> int:
    """Tick once (printing what happened), or every `interval_seconds` until SIGTERM or SIGINT.

    A stop signal never cuts a tick short: the message being sent is finished and recorded,
    the rows this tick claimed but has not sent are released to `pending` at once (another
    dispatcher sends them, without waiting for their lease to lapse), and the process exits 0.
    That is what a rolling restart needs.
    """
    stop = asyncio.Event()

    def stopping() -> None:
        stop.set()
        dispatcher.stop()

    _on_stop_signals(stopping)
    while True:
        report = await dispatcher.tick()
        if once or not quiet:
            if not quiet:
                for line in report.lines:
                    print(line)
            print(report.summary(), flush=True)
        if once or stop.is_set():
            return 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)
        if stop.is_set():
            return 0


def _on_stop_signals(callback: Callable[[], object]) -> None:
    """Call `callback` on SIGTERM and SIGINT (where the loop can take signals)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, callback)
