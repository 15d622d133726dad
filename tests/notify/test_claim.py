"""Claiming due rows: never the same row twice, on SQLite (guarded update) and PostgreSQL (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories import WINDOWS, make_user, make_world
from tracker.bootstrap import build_dispatcher
from tracker.notify.dispatcher import CLAIM_POSTGRES, Dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.tables import Outbox
from tracker.settings import PROJECT_ROOT, get_settings

pytestmark = pytest.mark.usefixtures("clean_outbox")
ON_POSTGRES = os.environ.get("TEST_DB") == "postgres"
CONTEXT = {"family_name": "Family", "description": "Phone Jess.", "due_on": "2026-11-24", "plan_id": 1,
           "action_id": 1}


async def _due_rows(clock, n: int) -> set[int]:  # type: ignore[no-untyped-def]
    user = await make_user(clock.now())
    ids = set()
    for i in range(n):
        ids.add(await enqueue(windows=WINDOWS,
                              channel="email", template="action_due", due_at=clock.now() - timedelta(minutes=1),
                              key=f"test:claim:{user.id}:{i}", recipient_user_id=user.id, context=CONTEXT))
    return ids


def _dispatcher(clock) -> Dispatcher:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    return build_dispatcher(settings, clock, providers_for(settings))


async def test_concurrent_claimers_never_get_the_same_row(clock):
    ids = await _due_rows(clock, 120)
    claimers = [_dispatcher(clock) for _ in range(4)]
    batches = await asyncio.gather(*(c.claim(clock.now(), 40) for c in claimers))
    claimed = [row for batch in batches for row in batch]
    assert len(claimed) == len(set(claimed)) == 120
    assert set(claimed) == ids
    rows = await Outbox.select(Outbox.status, Outbox.lease_expires_at).where(Outbox.id.is_in(list(ids)))
    assert {r["status"] for r in rows} == {"sending"} and all(r["lease_expires_at"] for r in rows)
    # Nothing left to claim, and a second round claims nothing twice.
    assert await claimers[0].claim(clock.now(), 40) == []


async def test_a_claim_takes_no_more_than_its_limit(clock):
    ids = await _due_rows(clock, 30)
    first = await _dispatcher(clock).claim(clock.now(), 10)
    assert len(first) == 10 and set(first) <= ids
    assert len(await _dispatcher(clock).claim(clock.now(), 100)) == 20


async def test_only_due_pending_rows_are_claimed_in_due_order(clock):
    ids = sorted(await _due_rows(clock, 3))
    await Outbox.update({Outbox.next_attempt_at: clock.now() + timedelta(hours=1)}).where(Outbox.id == ids[0])
    await Outbox.update({Outbox.status: "cancelled"}).where(Outbox.id == ids[1])
    assert await _dispatcher(clock).claim(clock.now(), 10) == [ids[2]]


@pytest.mark.skipif(not ON_POSTGRES, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's (run with TEST_DB=postgres)")
async def test_postgres_claim_skips_rows_another_transaction_holds_without_waiting(clock):
    import asyncpg

    ids = await _due_rows(clock, 30)
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        held = conn.transaction()
        await held.start()
        # Another instance's claim, not yet committed: it holds 10 rows' locks.
        sql = CLAIM_POSTGRES.replace("{}", "$1", 1).replace("{}", "$2", 1).replace("{}", "$3", 1).replace(
            "{}", "$4", 1)
        theirs = {r["id"] for r in await conn.fetch(sql, clock.now(), 10, clock.now() + timedelta(minutes=5),
                                                   clock.now())}
        assert len(theirs) == 10
        ours = await asyncio.wait_for(_dispatcher(clock).claim(clock.now(), 100), timeout=5)
        assert set(ours) == ids - theirs
        await held.rollback()
    finally:
        await conn.close()
    # Their transaction died: those rows are pending again, and claimable once.
    again = await _dispatcher(clock).claim(clock.now(), 100)
    assert set(again) == theirs


# An outbox as it looks in service: mostly history, 1% pending (half of those due now).
HISTORY = """
INSERT INTO notify_outbox (key, rule, channel, template, context, status, due_at, attempts,
    next_attempt_at, error_text, subject, body_preview, created_at, updated_at)
SELECT 'test:plan:' || g, 'action_due', 'email', 'action_due', '{}',
    CASE WHEN g % 100 = 0 THEN 'pending' WHEN g % 100 < 80 THEN 'delivered' ELSE 'sent' END,
    now() - (g % 5000) * interval '1 minute', 1,
    CASE WHEN g % 200 = 0 THEN now() + interval '1 day' ELSE now() - (g % 5000) * interval '1 minute' END,
    '', '', '', now(), now()
FROM generate_series(1, 20000) AS g
"""


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (run with TEST_DB=postgres)")
def test_claim_uses_the_partial_index_on_postgres():
    """With an outbox shaped as in service (statistics fresh), the claim reads the partial index
    of pending rows, not the history. The rows and statistics are rolled back afterwards: left to
    itself the planner's choice on the test database depends on what earlier tests left there."""
    import asyncpg

    async def plan() -> str:
        conn = await asyncpg.connect(os.environ["DATABASE_URL"])
        try:
            shaped = conn.transaction()
            await shaped.start()
            try:
                await conn.execute(HISTORY)
                await conn.execute("ANALYZE notify_outbox")
                sql = CLAIM_POSTGRES.replace("{}", "$1", 1).replace("{}", "$2", 1).replace(
                    "{}", "$3", 1).replace("{}", "$4", 1)
                rows = await conn.fetch(f"EXPLAIN {sql}", datetime.now(UTC), 50,
                                        datetime.now(UTC) + timedelta(minutes=5), datetime.now(UTC))
                return "\n".join(r[0] for r in rows)
            finally:
                await shaped.rollback()
        finally:
            await conn.close()

    found = asyncio.run(plan())
    assert "notify_outbox_claim" in found, found


async def test_cli_dispatch_once_runs_one_tick_and_says_what_it_did(clock):
    world = await make_world(clock.now())
    env = {**os.environ, "SEND_RATE_PER_SECOND": "0", "SMS_BACKEND": "console", "EMAIL_BACKEND": "console",
           "DISPATCH_BATCH_SIZE": "5000"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tracker.cli", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    done = await asyncio.to_thread(run, "--now", "2026-12-02T09:30", "nudges", "dispatch", "--once")
    assert done.returncode == 0, done.stderr
    assert "tick at 2026-12-02T09:30:00+00:00" in done.stdout
    assert "sent sms" in done.stdout and "member_action_before to +447700900123, 1 segment" in done.stdout
    jess = world.family["members"][0]["id"]
    assert await Outbox.exists().where((Outbox.recipient_member == jess) & (Outbox.status == "sent"))
    # --now after the sub-command works too; nothing is sent twice.
    again = await asyncio.to_thread(run, "nudges", "dispatch", "--once", "--now", "2026-12-02T09:35")
    assert again.returncode == 0, again.stderr
    assert "tick at 2026-12-02T09:35:00+00:00: 0 new" in again.stdout and "sent " not in again.stdout


async def test_the_app_lifespan_clock_ticks_the_dispatcher(clock):
    from tracker.bootstrap import dispatcher_lifespan
    from tracker.notify.tables import ConsoleMessage

    [row_id] = await _due_rows(clock, 1)
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, sms_backend="console",
                                   email_backend="console")
    async with dispatcher_lifespan(settings, clock)(None):
        # The first tick materialises every rule over the whole (shared) test database before it
        # claims, which takes seconds on a loaded machine: allow up to 60 s, stop as soon as sent.
        # Wait for the row to be recorded sent, not just for the console record: leaving the
        # lifespan cancels a tick caught between the two, which would leave the row `sending`.
        for _ in range(1200):
            row = await Outbox.select(Outbox.status).where(Outbox.id == row_id).first()
            if row["status"] == "sent":
                break
            await asyncio.sleep(0.05)
    assert await ConsoleMessage.exists().where(ConsoleMessage.outbox_id == row_id)
    assert (await Outbox.select(Outbox.status).where(Outbox.id == row_id).first())["status"] == "sent"


async def test_three_dispatcher_processes_send_every_nudge_exactly_once(clock):
    from tracker.notify.tables import ConsoleMessage

    ids = await _due_rows(clock, 150)
    env = {**os.environ, "SEND_RATE_PER_SECOND": "0", "SMS_BACKEND": "console", "EMAIL_BACKEND": "console",
           "DISPATCH_BATCH_SIZE": "40"}

    async def one_process() -> int:
        done = 0
        while done < 40:  # each process keeps ticking until nothing is left
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tracker.cli", "--now", "2026-11-24T10:00", "nudges", "dispatch",
                "--once", "--quiet", cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            out, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
            done += 1
            if " 0 claimed" in out.decode():
                return done
        return done

    await asyncio.gather(one_process(), one_process(), one_process())
    messages = await ConsoleMessage.select(ConsoleMessage.outbox_id).where(
        ConsoleMessage.outbox_id.is_in(sorted(ids)))
    sent = [m["outbox_id"] for m in messages]
    assert sorted(sent) == sorted(ids)  # every one, once
    assert not await Outbox.exists().where(Outbox.id.is_in(sorted(ids)) & (Outbox.status != "sent"))
