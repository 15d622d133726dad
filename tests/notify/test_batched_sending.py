"""The send path at scale: concurrent sends, results recorded in batches, set-based nudges.

Both databases (PostgreSQL with TEST_DB=postgres): two dispatchers sending at once never send a
row twice; a batch of results that cannot be recorded together is recorded row by row, so one
bad row costs only itself; materialising and cancelling a chunk at a time stays idempotent.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from tests.support.factories import WINDOWS, make_user, make_world
from tracker.bootstrap import build_dispatcher
from tracker.notify import recording
from tracker.notify.dispatcher import Dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.sending import TickReport
from tracker.notify.tables import ConsoleMessage, Outbox
from tracker.settings import get_settings

pytestmark = pytest.mark.usefixtures("clean_outbox")
CONTEXT = {"family_name": "Family", "description": "Phone Jess.", "due_on": "2026-11-24", "plan_id": 1,
           "action_id": 1, "family_ref": "F-0001"}


async def _due_emails(clock, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    user = await make_user(clock.now())
    ids = []
    for i in range(n):
        row_id = await enqueue(windows=WINDOWS, channel="email", template="action_due",
                               due_at=clock.now() - timedelta(minutes=1),
                               key=f"test:batched:{user.id}:{i}", recipient_user_id=user.id,
                               context=CONTEXT)
        assert row_id is not None
        ids.append(row_id)
    return ids


def _dispatcher(clock, **changes: Any) -> Dispatcher:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, **changes)
    return build_dispatcher(settings, clock, providers_for(settings))


async def test_two_dispatchers_sending_concurrently_send_every_row_exactly_once(clock):
    ids = await _due_emails(clock, 40)
    # Small claims, several sends at once in each: the claims interleave.
    first = _dispatcher(clock, dispatch_batch_size=7, dispatch_concurrency=4)
    second = _dispatcher(clock, dispatch_batch_size=7, dispatch_concurrency=4)
    for _ in range(8):
        await asyncio.gather(first.tick(materialise=False), second.tick(materialise=False))
    rows = await Outbox.select(Outbox.id, Outbox.status, Outbox.provider_message_id).where(
        Outbox.id.is_in(ids))
    assert sorted(r["status"] for r in rows) == ["sent"] * 40
    assert all(r["provider_message_id"] for r in rows)
    consoled = Counter(r["outbox_id"] for r in await ConsoleMessage.select(ConsoleMessage.outbox_id))
    assert sorted(consoled) == sorted(ids) and set(consoled.values()) == {1}


async def test_concurrent_sends_record_their_results_in_fewer_batches_than_rows(clock, monkeypatch):
    await _due_emails(clock, 24)
    batches: list[int] = []
    real = recording.record_sent

    async def counting(rows: list[tuple[int, str]], sent_at: Any) -> set[int]:
        batches.append(len(rows))
        return await real(rows, sent_at)

    monkeypatch.setattr(recording, "record_sent", counting)
    report = await _dispatcher(clock, dispatch_concurrency=8).tick(materialise=False)
    assert report.sent == 24 and sum(batches) == 24
    assert len(batches) < 24 and max(batches) > 1


async def test_a_row_that_cannot_be_recorded_costs_only_itself(clock, monkeypatch):
    ids = await _due_emails(clock, 12)
    bad = ids[5]
    real = recording.record_sent

    async def failing(rows: list[tuple[int, str]], sent_at: Any) -> set[int]:
        if any(row_id == bad for row_id, _ in rows):
            raise RuntimeError("the database refused this row")
        return await real(rows, sent_at)

    monkeypatch.setattr(recording, "record_sent", failing)
    report = await _dispatcher(clock, dispatch_concurrency=6).tick(materialise=False)
    rows = {r["id"]: r for r in await Outbox.select().where(Outbox.id.is_in(ids))}
    assert report.sent == 11 and report.errors == 1
    assert all(rows[i]["status"] == "sent" for i in ids if i != bad)
    # Handed to the provider before the failure: set aside, never resent blindly.
    assert rows[bad]["status"] == "error" and rows[bad]["handed_at"] is not None
    assert "the database refused this row" in rows[bad]["error_text"]
    again = await _dispatcher(clock).tick(materialise=False)
    assert again.claimed == 0


async def test_materialising_in_chunks_is_idempotent_and_cancels_a_chunk_at_a_time(clock, monkeypatch):
    from tracker.notify import dispatcher as dispatcher_module

    monkeypatch.setattr(dispatcher_module, "CHUNK", 2)  # several chunks from a small world
    for _ in range(3):
        await make_world(clock.now())
    d = _dispatcher(clock)
    first = TickReport(now=clock.now())
    await d.materialise(clock.now(), first)
    assert first.materialised >= 3
    pending = await Outbox.count().where(Outbox.status == "pending")
    second = TickReport(now=clock.now())
    await d.materialise(clock.now(), second)
    assert second.materialised == 0 and second.cancelled == 0
    assert await Outbox.count().where(Outbox.status == "pending") == pending
    # A rule-made row the rules no longer want is cancelled, with the others in its chunk.
    user = await make_user(clock.now())
    stale = [await enqueue(windows=WINDOWS, channel="email", template="action_due", due_at=clock.now(),
                           key=f"action_due:action:0:user:{user.id}:2026-01-0{n}:due",
                           recipient_user_id=user.id, context=CONTEXT) for n in range(1, 8)]
    await Outbox.update({Outbox.rule: "action_due"}).where(Outbox.id.is_in(stale))
    third = TickReport(now=clock.now())
    await d.materialise(clock.now(), third)
    assert third.cancelled == 7 and third.materialised == 0
    statuses = await Outbox.select(Outbox.status, Outbox.reason).where(Outbox.id.is_in(stale))
    assert {(r["status"], r["reason"]) for r in statuses} == {("cancelled", "no_longer_due")}
