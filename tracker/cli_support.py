"""What every package's `cli.py` shares: the command registry, a database for one command, errors.

`tracker.cli` builds the parser and runs the handler; a package's `cli.py` registers its
handlers here with `@command(...)` and adds its arguments in `add_commands(sub)`. Keeping the
registry in this module (not in `tracker.cli`) means a package's CLI never imports the
`tracker` command itself, so there is no import loop, and `python -m tracker.cli` works.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeAlias

from piccolo.apps.migrations.commands.forwards import run_forwards

from tracker import db
from tracker.clock import Clock
from tracker.settings import Settings

Handler = Callable[[argparse.Namespace, Clock, Settings], Coroutine[Any, Any, int]]
# argparse exposes no public name for it; quoted because the class is not subscriptable at run time.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
HANDLERS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register an async command handler under a sub-command name."""

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


async def with_db(settings: Settings, fn: Callable[[], Awaitable[int]]) -> int:
    """Run `fn` with the database open (a pool on PostgreSQL), and close it afterwards."""
    engine = db.configured_engine()
    await db.start(engine, settings)
    try:
        return await fn()
    finally:
        await db.stop(engine)


async def run_migrations() -> bool:
    """Bring the database schema up to date (idempotent)."""
    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    return bool(result.success)


def print_errors(errors: Mapping[str, str], *, with_field: bool = True) -> int:
    """Print field errors to stderr, one a line; returns the exit status for bad input (2)."""
    for field, message in errors.items():
        print(f"{field}: {message}" if with_field else message, file=sys.stderr)
    return 2
