"""A stopping dispatcher (SIGTERM) finishes the message in hand and releases the rest of its claim."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from tests.support.factories import WINDOWS, make_user
from tracker.bootstrap import build_dispatcher, dispatcher_lifespan
from tracker.clock import FixedClock
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.tables import Outbox
from tracker.settings import get_settings

pytestmark = pytest.mark.usefixtures("clean_outbox")
CONTEXT = {"family_name": "Family", "description": "Phone Jess.", "due_on": "2026-11-24", "plan_id": 1,
           "action_id": 1}


async def _due(clock: FixedClock, n: int) -> list[int]:
    user = await make_user(clock.now())
    return [await enqueue(windows=WINDOWS, channel="email", template="action_due",
                          due_at=clock.now() - timedelta(minutes=1), key=f"test:stop:{user.id}:{i}",
                          recipient_user_id=user.id, context=CONTEXT) for i in range(n)]


async def test_stop_mid_tick_sends_the_row_in_hand_and_releases_the_rest(clock):
    ids = await _due(clock, 5)
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    dispatcher: Any = None

    async def stop_after_first(step: str, row: dict[str, Any]) -> None:
        if step == "recorded":
            dispatcher.stop()

    dispatcher = build_dispatcher(settings, clock, providers_for(settings), after_send=stop_after_first)
    report = await dispatcher.tick(materialise=False)
    assert report.claimed == 5 and report.sent == 1
    assert "stopping: released 4 claimed rows" in report.lines
    rows = await Outbox.select(Outbox.id, Outbox.status, Outbox.lease_expires_at).where(
        Outbox.id.is_in(ids))
    assert sorted(r["status"] for r in rows) == ["pending"] * 4 + ["sent"]
    assert all(r["lease_expires_at"] is None for r in rows if r["status"] == "pending")
    # Stopped, it starts no new tick; another dispatcher sends the released rows at once.
    assert (await dispatcher.tick()).claimed == 0
    other = build_dispatcher(settings, clock, providers_for(settings))
    assert (await other.tick(materialise=False)).sent == 4


async def test_the_app_lifespan_waits_for_the_tick_in_hand(clock, monkeypatch):
    """Shutting the web app down (SIGTERM to uvicorn) stops the dispatcher cleanly."""
    await _due(clock, 3)
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, dispatch_interval_seconds=3600)
    started = asyncio.Event()
    seen: dict[str, Any] = {}
    real_build = build_dispatcher

    def spy(*args: Any, **kwargs: Any) -> Any:
        async def slow(step: str, row: dict[str, Any]) -> None:
            started.set()
            await asyncio.sleep(0.05)

        made = real_build(*args, after_send=slow, **kwargs)
        seen["dispatcher"] = made
        return made

    monkeypatch.setattr("tracker.bootstrap.build_dispatcher", spy)
    async with dispatcher_lifespan(settings, clock)(None):
        await asyncio.wait_for(started.wait(), 30)
    dispatcher = seen["dispatcher"]
    assert dispatcher.ticks_in_hand == 0 and dispatcher.stopping
    left = await Outbox.select(Outbox.status).where(Outbox.status == "sending")
    assert left == []
