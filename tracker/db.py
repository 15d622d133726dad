"""The database engine chosen by DATABASE_URL: embedded SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from piccolo.columns import Column
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from tracker.settings import PROJECT_ROOT, Settings


def sqlite_path(database_url: str) -> Path:
    """The file behind a sqlite:/// URL; relative paths are taken from the project folder."""
    raw = database_url.removeprefix("sqlite:///")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def engine_for(settings: Settings) -> Engine[Any]:
    """Make the Piccolo engine for the configured database URL."""
    url = settings.database_url
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A generous busy timeout: several writers (web + dispatcher) share one file.
        return SQLiteEngine(path=str(path), timeout=30)
    scheme = urlsplit(url).scheme
    if scheme in {"postgres", "postgresql", "postgresql+asyncpg"}:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        return PostgresEngine(config={"dsn": dsn})
    raise ValueError(f"DATABASE_URL must be sqlite:/// or postgresql://, not {scheme!r}")


async def start(engine: Engine[Any], settings: Settings) -> None:
    """Open what the engine needs for serving: a small pool on PostgreSQL, WAL on SQLite."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=settings.db_pool_max)
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")


POOL_CLOSE_GRACE_SECONDS = 10.0
logger = logging.getLogger(__name__)


async def stop(engine: Engine[Any], *, grace_seconds: float = POOL_CLOSE_GRACE_SECONDS) -> None:
    """Close the pool, if there is one: gracefully, then by force after `grace_seconds`.

    asyncpg's close waits for every borrowed connection to come back. One still held (a request
    or task cut off mid-query at shutdown) would otherwise keep the process from ever exiting.
    """
    if not isinstance(engine, PostgresEngine) or engine.pool is None:
        return
    pool = engine.pool
    try:
        await asyncio.wait_for(pool.close(), grace_seconds)
    except TimeoutError:
        logger.warning("database pool: connections still borrowed after %.0f s, closing them", grace_seconds)
        pool.terminate()
    engine.pool = None


async def ping(engine: Engine[Any]) -> bool:
    """True when a trivial query succeeds."""
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means unreachable for /health
        return False
    return True


def configured_engine() -> Engine[Any]:
    """The engine piccolo_conf made from settings (Piccolo's finder says it may be missing)."""
    engine = engine_finder()
    if engine is None:
        raise RuntimeError("no database engine: tracker.piccolo_conf sets DB")
    return engine


def atomic() -> AbstractAsyncContextManager[object, bool | None]:
    """One transaction on the configured engine; SQLite takes its write lock up front.

    An IMMEDIATE transaction avoids SQLite's deadlock where two readers both try to
    upgrade to writers; PostgreSQL gets an ordinary READ COMMITTED transaction.
    Typed with `bool | None` from __aexit__ (Piccolo says `bool`) because a transaction re-raises
    every exception; so a function that returns inside `async with atomic():` needs no return after it.
    """
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    if isinstance(engine, PostgresEngine):
        return engine.transaction()
    raise RuntimeError(f"atomic() needs a SQLite or PostgreSQL engine, not {engine!r}")


def by_name(values: Mapping[str, Any]) -> dict[Column | str, Any]:
    """Column values keyed by column name, as `Table.update()` takes them (its type says Column | str)."""
    return {name: value for name, value in values.items()}


def for_update(query: Any) -> Any:
    """A select whose rows stay locked until the surrounding `atomic()` transaction ends.

    PostgreSQL: SELECT … FOR UPDATE, so a concurrent writer of the same row waits for this
    transaction and then reads what it wrote. SQLite needs nothing more: `atomic()` began
    IMMEDIATE, so this transaction already holds the database's only write lock.
    """
    if isinstance(engine_finder(), PostgresEngine):
        return query.lock_rows("UPDATE")
    return query
