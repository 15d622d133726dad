"""Outbox benchmark: the claim query at 50 thousand and millions of rows, and dispatch throughput.

Usage:
  .venv/bin/python bench/outbox_claim.py --postgres postgresql://postgres@127.0.0.1:5432/postgres \\
      [--big 5000000] [--tick-rows 1000]

Part 1 (PostgreSQL): a fresh database, migrated; the outbox is filled with one INSERT … SELECT
generate_series per size (1% pending — half of those due — and the rest sent, delivered,
cancelled or failed history), then the dispatcher's claim statement is timed (median of 30
runs, each rolled back so the table stays the same) and its EXPLAIN (ANALYZE) plan printed.
The same is done on SQLite at the small size.
Part 2: one dispatcher tick over `--tick-rows` due rows with the console backends and the
throttle off (messages a second), and idle ticks a second (materialise + sweep + empty claim)
on the demo data, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_tmp = Path(tempfile.mkdtemp(prefix="tracker-bench-outbox-"))
os.environ["VAR_DIR"] = str(_tmp)
os.environ["TRACKER_ENV"] = "test"
os.environ["PICCOLO_CONF"] = "tracker.piccolo_conf"
# Piccolo binds its engine once per process: this process uses SQLite, and runs the PostgreSQL
# half in a child process given --postgres-child URL.
_child = sys.argv[sys.argv.index("--postgres-child") + 1] if "--postgres-child" in sys.argv else ""
os.environ["DATABASE_URL"] = _child or f"sqlite:///{_tmp / 'bench.db'}"

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, inside quiet hours for texts
FILL = """
INSERT INTO notify_outbox (key, rule, channel, template, context, recipient_user, status, due_at,
    attempts, next_attempt_at, error_text, subject, body_preview, created_at, updated_at)
SELECT 'bench:' || g, 'action_due', CASE WHEN g % 3 = 0 THEN 'sms' ELSE 'email' END, 'action_due',
    '{}', $1,
    CASE WHEN g % 100 = 0 THEN 'pending' WHEN g % 100 < 80 THEN 'delivered' WHEN g % 100 < 95 THEN 'sent'
         WHEN g % 100 < 98 THEN 'cancelled' ELSE 'failed' END,
    $2::timestamptz - (g % 50000) * interval '1 minute', 1,
    CASE WHEN g % 200 = 0 THEN $2::timestamptz + interval '1 day'
         ELSE $2::timestamptz - (g % 50000) * interval '1 minute' END,
    '', '', '', $2::timestamptz, $2::timestamptz
FROM generate_series($3::bigint, $4::bigint) AS g
"""


def log(*parts: object) -> None:
    print(*parts, flush=True)


async def create_database(admin_url: str) -> str:
    import asyncpg

    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{admin_url.rpartition('/')[0]}/{name}", name


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def time_claim_postgres(url: str, label: str) -> None:
    import asyncpg

    from tracker.notify.dispatcher import CLAIM_POSTGRES

    sql = CLAIM_POSTGRES
    for n in range(1, 5):
        sql = sql.replace("{}", f"${n}", 1)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE notify_outbox")
        total = await conn.fetchval("SELECT count(*) FROM notify_outbox")
        due = await conn.fetchval(
            "SELECT count(*) FROM notify_outbox WHERE status = 'pending' AND next_attempt_at <= $1", NOW)
        times = []
        for _ in range(30):
            tx = conn.transaction()
            await tx.start()
            started = time.perf_counter()
            rows = await conn.fetch(sql, NOW, 50, NOW + timedelta(minutes=5), NOW)
            times.append((time.perf_counter() - started) * 1000)
            await tx.rollback()
        assert len(rows) == 50
        tx = conn.transaction()
        await tx.start()
        plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, NOW, 50,
                                NOW + timedelta(minutes=5), NOW)
        await tx.rollback()
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('notify_outbox'))")
    finally:
        await conn.close()
    log(f"\n== PostgreSQL claim of 50 rows, {label}: {total:,} rows ({due:,} due pending), table+indexes {size}")
    log(f"   median {statistics.median(times):.2f} ms, p95 {sorted(times)[28]:.2f} ms, max {max(times):.2f} ms")
    for r in plan:
        log("   | " + r[0])


async def fill_postgres(url: str, user_id: int, start: int, end: int) -> float:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        step = 1_000_000
        for lo in range(start, end + 1, step):
            await conn.execute(FILL, user_id, NOW, lo, min(lo + step - 1, end))
        return time.perf_counter() - started
    finally:
        await conn.close()


async def setup_schema() -> int:
    """Migrate this process's fresh database; returns a staff user id."""
    import contextlib
    import io

    from piccolo.engine import engine_finder

    from tracker import db
    from tracker.cli_support import run_migrations
    from tracker.people.tables import StaffUser
    from tracker.settings import get_settings

    with contextlib.redirect_stdout(io.StringIO()):
        assert await run_migrations()
    await db.start(engine_finder(), get_settings())
    row = await StaffUser.insert(StaffUser(name="Bench User", email=f"bench-{uuid.uuid4().hex[:6]}@example.org")
                                 ).returning(StaffUser.id)
    return int(row[0]["id"])


async def tick_throughput(rows: int, label: str) -> None:
    """One tick over `rows` due emails (console backend, no throttle), then idle ticks a second."""
    import dataclasses
    import random

    from tracker.bootstrap import build_dispatcher
    from tracker.clock import FixedClock
    from tracker.demo import seed_demo
    from tracker.notify.outbox import outbox_row, send_windows
    from tracker.notify.providers import providers_for
    from tracker.notify.sending import TickReport
    from tracker.notify.tables import ConsoleMessage, Outbox
    from tracker.people.tables import StaffUser
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    await seed_demo(now=NOW, policy=PlanPolicy.from_settings(get_settings()))
    users = [r["id"] for r in await StaffUser.select(StaffUser.id)]
    await Outbox.delete(force=True)
    await ConsoleMessage.delete(force=True)
    windows = send_windows(get_settings())
    batch = [outbox_row(channel="email", template="action_due", key=f"bench:tick:{i}", now=NOW,
                        windows=windows,
                        due_at=NOW - timedelta(minutes=1), recipient_user_id=users[i % len(users)],
                        context={"family_name": "Bench family", "description": "Phone Jess on Monday.",
                                 "due_on": "2026-11-24", "plan_id": 1, "action_id": 1})
             for i in range(rows)]
    for i in range(0, rows, 500):
        await Outbox.insert(*batch[i:i + 500])
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, dispatch_batch_size=rows,
                                   sms_backend="console", email_backend="console")
    clock = FixedClock(NOW)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(1))
    started = time.perf_counter()
    report = await dispatcher.tick(materialise=False)
    elapsed = time.perf_counter() - started
    assert report.sent == rows, report.summary()
    log(f"\n== {label}: one tick sending {rows:,} due emails (console backend, throttle off): "
        f"{elapsed:.2f} s = {rows / elapsed:,.0f} messages/s")
    # Idle ticks: the demo's rules are materialised (nothing new), the sweep and claim find nothing.
    await dispatcher.tick()
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < 5:
        r: TickReport = await dispatcher.tick()
        n += 1
    elapsed = time.perf_counter() - started
    log(f"== {label}: idle ticks (materialise the demo's rules + sweep + empty claim): "
        f"{n / elapsed:,.1f} ticks/s ({elapsed / n * 1000:.1f} ms each; last: {r.summary()})")
    await dispatcher.providers.close()


async def sqlite_claim(small: int) -> None:
    """The claim on SQLite at the small size, with its query plan."""
    import sqlite3

    from tracker.db import sqlite_path
    from tracker.notify.dispatcher import CLAIM_SQLITE
    from tracker.settings import get_settings

    path = sqlite_path(get_settings().database_url)
    con = sqlite3.connect(path)
    user = con.execute("SELECT id FROM staff_user LIMIT 1").fetchone()[0]
    now = str(NOW)
    started = time.perf_counter()
    con.executemany(
        "INSERT INTO notify_outbox (key, rule, channel, template, context, recipient_user, status, due_at, "
        "attempts, next_attempt_at, error_text, subject, body_preview, created_at, updated_at) "
        "VALUES (?, 'action_due', 'email', 'action_due', '{}', ?, ?, ?, 1, ?, '', '', '', ?, ?)",
        ((f"bench:{g}", user,
          "pending" if g % 100 == 0 else "delivered" if g % 100 < 80 else "sent",
          str(NOW - timedelta(minutes=g % 50000)),
          str(NOW + timedelta(days=1) if g % 200 == 0 else NOW - timedelta(minutes=g % 50000)),
          now, now) for g in range(1, small + 1)))
    con.commit()
    con.execute("ANALYZE")
    fill = time.perf_counter() - started
    sql = CLAIM_SQLITE.replace("{}", "?")
    lease = str(NOW + timedelta(minutes=5))
    times = []
    for _ in range(30):
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        rows = con.execute(sql, (lease, now, now, 50)).fetchall()
        times.append((time.perf_counter() - started) * 1000)
        con.execute("ROLLBACK")
    assert len(rows) == 50
    plan = con.execute("EXPLAIN QUERY PLAN " + sql, (lease, now, now, 50)).fetchall()
    con.close()
    log(f"\n== SQLite claim of 50 rows: {small:,} rows (filled in {fill:.1f} s)")
    log(f"   median {statistics.median(times):.2f} ms, max {max(times):.2f} ms")
    for r in plan:
        log(f"   | {r[3]}")


async def main(args: argparse.Namespace) -> None:
    await setup_schema()
    await tick_throughput(args.tick_rows, "SQLite")
    from tracker.notify.tables import Outbox

    await Outbox.delete(force=True)
    await sqlite_claim(args.small)
    from piccolo.engine import engine_finder

    from tracker import db

    # Close the SQLite engine's long-lived connections: their threads would keep the process alive.
    await db.stop(engine_finder())
    if not args.postgres:
        log("\n(no --postgres: PostgreSQL parts skipped)")
        return
    url, name = await create_database(args.postgres)
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--postgres-child", url, "--small", str(args.small),
            "--big", str(args.big), "--tick-rows", str(args.tick_rows))
        code = await child.wait()
        if code:
            raise SystemExit(code)
    finally:
        await drop_database(args.postgres, name)


async def postgres_child(args: argparse.Namespace) -> None:
    url = args.postgres_child
    user = await setup_schema()
    await tick_throughput(args.tick_rows, "PostgreSQL")
    from tracker.notify.tables import Outbox

    await Outbox.delete(force=True)
    took = await fill_postgres(url, user, 1, args.small)
    log(f"\nfilled {args.small:,} rows in {took:.1f} s")
    await time_claim_postgres(url, f"{args.small:,} rows")
    took = await fill_postgres(url, user, args.small + 1, args.big)
    log(f"\nfilled up to {args.big:,} rows in {took:.1f} s more")
    await time_claim_postgres(url, f"{args.big:,} rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", ""),
                        help="an admin URL; a throwaway database is created and dropped")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=5_000_000)
    parser.add_argument("--tick-rows", type=int, default=1_000)
    parser.add_argument("--postgres-child", default="", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    asyncio.run(postgres_child(ns) if ns.postgres_child else main(ns))
