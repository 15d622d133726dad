"""The outbox contract other packages use: enqueue() is idempotent and joins the caller's transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.support.factories import make_user
from tracker.db import atomic
from tracker.notify.outbox import enqueue
from tracker.notify.tables import Outbox


async def test_same_key_twice_makes_one_row(migrated, clock):
    user = await make_user(clock.now())
    key = f"test:once:{user.id}"
    first = await enqueue(channel="email", template="weekly_digest", context={"n": 1},
                          due_at=clock.now(), key=key, recipient_user_id=user.id)
    second = await enqueue(channel="email", template="weekly_digest", context={"n": 2},
                           due_at=clock.now(), key=key, recipient_user_id=user.id)
    assert isinstance(first, int) and second is None
    rows = await Outbox.select().where(Outbox.key == key)
    assert len(rows) == 1 and json.loads(rows[0]["context"]) == {"n": 1}
    assert rows[0]["status"] == "pending" and rows[0]["rule"] == "direct"


async def test_enqueue_commits_and_rolls_back_with_the_callers_transaction(migrated, clock):
    user = await make_user(clock.now())
    key = f"test:rollback:{user.id}"
    with pytest.raises(RuntimeError):
        async with atomic():
            assert await enqueue(channel="email", template="weekly_digest", context={},
                                 due_at=clock.now(), key=key, recipient_user_id=user.id)
            raise RuntimeError("the caller's change failed")
    assert not await Outbox.exists().where(Outbox.key == key)
    async with atomic():
        await enqueue(channel="email", template="weekly_digest", context={}, due_at=clock.now(),
                      key=key, recipient_user_id=user.id)
    assert await Outbox.exists().where(Outbox.key == key)


async def test_a_text_due_at_night_waits_for_the_morning(migrated, clock):
    user = await make_user(clock.now())
    # Tuesday 24 November 2026, 22:00 London: quiet hours; 09:00 Wednesday is the first chance.
    row_id = await enqueue(channel="sms", template="weekly_digest", context={},
                           due_at=datetime(2026, 11, 24, 22, 0, tzinfo=UTC),
                           key=f"test:night:{user.id}", recipient_user_id=user.id)
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["next_attempt_at"] == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def test_enqueue_needs_exactly_one_recipient(migrated, clock):
    with pytest.raises(ValueError):
        await enqueue(channel="email", template="x", context={}, due_at=clock.now(), key="test:none")
