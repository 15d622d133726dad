"""The database engine chosen by DATABASE_URL: embedded SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosqlite
import asyncpg
from piccolo.columns import Column
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

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
        return ReadReusingSQLiteEngine(path=str(path), timeout=30)
    scheme = urlsplit(url).scheme
    if scheme in {"postgres", "postgresql", "postgresql+asyncpg"}:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        # JIT off: our statements are short OLTP reads, but PostgreSQL compiles any whose
        # estimated cost passes jit_above_cost (100,000), which a big table's estimate can reach;
        # measured at England's size, that added tens of milliseconds to a 1 ms page query.
        return PostgresEngine(config={"dsn": dsn, "server_settings": {"jit": "off"}})
    raise ValueError(f"DATABASE_URL must be sqlite:/// or postgresql://, not {scheme!r}")


class ReadReusingSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, with one long-lived connection for reads outside transactions.

    Piccolo opens a new aiosqlite connection (a new thread and file open) for every query that
    runs outside a transaction: that alone caps `/health` at about 1,200 requests a second.
    Between `start()` and `stop()` this engine keeps one connection open and runs every SELECT
    outside a transaction on it. In WAL mode a reader sees the last committed state at each
    statement and never blocks (or is blocked by) the writer, and the connection is in
    autocommit mode (`isolation_level=None`), so no read transaction is held between statements.
    Single-statement writes outside a transaction (the dispatcher's guarded updates, session
    touches, rate-limit counts) go the same way on a second long-lived connection of their own:
    SQLite has one writer at a time anyway, and a write waiting on the busy lock then holds up
    only other writes, never the readers.
    Transactions (`atomic()`) keep Piccolo's behaviour: a connection of their own for their life.
    Each statement is one trip to its connection's thread (`_one_trip`: execute, fetch every
    row, close the cursor), not three (execute, fetchall, close), which Piccolo's
    `async with connection.execute(...)` takes.
    """

    __slots__ = ("reader", "writer", "users")

    def __init__(self, path: str = "piccolo.sqlite", **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self.reader: aiosqlite.Connection | None = None
        self.writer: aiosqlite.Connection | None = None
        self.users = 0

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]  # Piccolo's, as it does
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def open_reader(self) -> None:
        """Open the shared connections (counted: tests and the app may both start them)."""
        self.users += 1
        if self.reader is None:
            self.reader = await self._connect()
            self.writer = await self._connect()

    async def close_reader(self) -> None:
        """Close the shared connections when their last user stops."""
        self.users = max(0, self.users - 1)
        if self.users == 0 and self.reader is not None:
            shared = (self.reader, self.writer)
            self.reader = self.writer = None
            for connection in shared:
                if connection is not None:
                    await connection.close()

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        shared = self.reader if _is_read(query, query_type) else self.writer
        if shared is None:
            return await super()._run_in_new_connection(
                query=query, args=args, query_type=query_type, table=table)
        return await _one_trip(shared, query, args)

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: list[Any] | None = None,
        query_type: str = "generic", table: Any = None,
    ) -> Any:
        # Piccolo re-sends "PRAGMA foreign_keys = 1" before every statement in a transaction:
        # a wasted trip to the connection's thread each time. The connection got it when opened.
        return await _one_trip(connection, query, args)


def _fetch_all_and_close(conn: sqlite3.Connection, query: str, args: list[Any]) -> list[Any]:
    """In the connection's thread: run the statement, fetch every row, and always let the
    statement go. aiosqlite's execute_fetchall leaves the cursor to the garbage collector: a
    row that fails to convert (an unreadable date) then kept the statement, and with it the
    shared reader's snapshot, alive as long as the error was, so every later read on that
    connection saw the database as it was then (new professionals "did not exist")."""
    cursor = conn.execute(query, args)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


async def _one_trip(connection: aiosqlite.Connection, query: str, args: list[Any] | None) -> Any:
    """One statement in one trip to the connection's thread (Piccolo's `async with
    connection.execute(...)` takes three: execute, fetchall, close). `_execute` is how aiosqlite
    runs its own helpers there (version pinned in requirements.lock)."""
    return await connection._execute(  # noqa: SLF001
        _fetch_all_and_close, connection._conn, query, args or [])  # noqa: SLF001


def _is_read(query: str, query_type: str) -> bool:
    """A single statement that only reads: Piccolo's selects, counts and exists, a bare SELECT.

    Piccolo marks only inserts with a query type; everything else is "generic", so the SQL is
    what tells (its arguments are bound separately, so a ';' here means two statements).
    """
    if query_type != "generic" or ";" in query:
        return False
    return query.lstrip()[:7].upper() == "SELECT "


async def _no_reset(connection: asyncpg.Connection) -> None:
    """asyncpg's pool reset, made free: nothing to undo, so no round trip.

    By default asyncpg runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL;` each time a connection goes back to the pool: one more round trip per query,
    since Piccolo borrows a connection for each query outside a transaction. None of it has
    anything to undo here: the tracker takes no advisory locks, declares no cursors, never
    LISTENs and never SETs a session variable (`tests/db/test_round_trips.py` checks the source
    for each). asyncpg itself still rolls back a transaction left open before calling this, and
    throws away a connection that broke, so a failed request cannot leak its state.
    """
    del connection


async def start(engine: Engine[Any], settings: Settings) -> None:
    """Open what the engine needs for serving: a small pool on PostgreSQL, WAL on SQLite.

    SQLite also opens the engine's shared read connection (see `ReadReusingSQLiteEngine`).
    """
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(
            min_size=1, max_size=settings.db_pool_max, reset=_no_reset)
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")
        if isinstance(engine, ReadReusingSQLiteEngine):
            await engine.open_reader()


POOL_CLOSE_GRACE_SECONDS = 10.0
logger = logging.getLogger(__name__)


async def stop(engine: Engine[Any], *, grace_seconds: float = POOL_CLOSE_GRACE_SECONDS) -> None:
    """Close the pool, if there is one: gracefully, then by force after `grace_seconds`.

    asyncpg's close waits for every borrowed connection to come back. One still held (a request
    or task cut off mid-query at shutdown) would otherwise keep the process from ever exiting.
    """
    if isinstance(engine, ReadReusingSQLiteEngine):
        await engine.close_reader()
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
