"""Shutting down never waits for ever on a database connection someone still holds."""

from __future__ import annotations

import asyncio
import os

import pytest
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from tracker import db

pytestmark = pytest.mark.skipif(os.environ.get("TEST_DB") != "postgres",
                                reason="the connection pool exists on PostgreSQL only")


async def test_stop_closes_the_pool_even_with_a_connection_still_borrowed():
    engine = PostgresEngine(config={"dsn": os.environ["DATABASE_URL"]})
    await engine.start_connection_pool(min_size=1, max_size=2)
    assert engine.pool is not None
    held = await engine.pool.acquire()  # never given back, like a task cut off mid-query
    assert await held.fetchval("SELECT 1") == 1
    # Without the grace period asyncpg's close would wait here for ever.
    await asyncio.wait_for(db.stop(engine, grace_seconds=0.5), timeout=10)
    assert engine.pool is None


async def test_stop_closes_an_idle_pool_at_once():
    engine = PostgresEngine(config={"dsn": os.environ["DATABASE_URL"]})
    await engine.start_connection_pool(min_size=1, max_size=2)
    await asyncio.wait_for(db.stop(engine, grace_seconds=30), timeout=5)
    assert engine.pool is None


async def test_the_engine_turns_jit_off_on_every_connection():
    """Short OLTP statements must not pay JIT compilation when a big table's estimate is high."""
    from tracker.settings import Settings

    engine = db.engine_for(Settings(database_url=os.environ["DATABASE_URL"]))
    assert isinstance(engine, PostgresEngine)
    await db.start(engine, Settings(database_url=os.environ["DATABASE_URL"]))
    try:
        assert engine.pool is not None
        async with engine.pool.acquire() as conn:
            assert await conn.fetchval("SHOW jit") == "off"
        rows = await engine.run_querystring(QueryString("SHOW jit"))
        assert [dict(r) for r in rows] == [{"jit": "off"}]
    finally:
        await db.stop(engine)
