"""`/health` reports the dispatcher's last clean tick, and answers 503 when it has stalled."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import datetime, timedelta
from functools import partial

import httpx
import pytest

from tracker.app import create_app
from tracker.clock import FixedClock
from tracker.family.links import LinkPolicy, issue_link
from tracker.notify.dispatcher import Dispatcher
from tracker.notify.providers import providers_for
from tracker.notify.scheduler import dispatch_tick
from tracker.settings import get_settings

pytestmark = pytest.mark.usefixtures("clean_outbox")
THRESHOLD = 300


class FailingClaims(Dispatcher):
    """A dispatcher whose database stops answering while the test says so."""

    broken = False

    async def claim(self, now: datetime, limit: int) -> list[int]:
        if self.broken:
            raise ConnectionError("the database went away")
        return await super().claim(now, limit)


@pytest.fixture
async def setup(migrated, clock: FixedClock):  # type: ignore[no-untyped-def]
    # No send throttle: these ticks send whatever the shared test database has due.
    settings = dataclasses.replace(get_settings(), dispatch_stall_seconds=THRESHOLD, send_rate_per_second=0)
    app = create_app(settings, clock=clock, scheduler=False)
    dispatcher = FailingClaims(settings=settings, providers=providers_for(settings), clock=clock,
                               rng=random.Random(1),
                               link_issuer=partial(issue_link, policy=LinkPolicy.from_settings(settings)))
    # What dispatcher_lifespan does when this process runs the dispatcher.
    app.state["dispatcher_heartbeat"] = dispatcher.heartbeat
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver.local") as client:
        yield client, dispatcher
    await dispatcher.providers.close()


async def test_health_shows_the_last_clean_tick(setup, clock):
    client, dispatcher = setup
    await dispatch_tick(dispatcher)
    answer = await client.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["dispatcher"]["status"] == "ok"
    assert body["dispatcher"]["last_successful_tick"] == clock.now().isoformat()
    assert body["dispatcher"]["failing_since"] is None
    assert body["dispatcher"]["stall_threshold_seconds"] == THRESHOLD


async def test_health_is_503_when_ticks_have_failed_for_longer_than_the_threshold(setup, clock):
    client, dispatcher = setup
    await dispatch_tick(dispatcher)
    last_good = clock.now()
    dispatcher.broken = True
    for _ in range(10):  # a tick every 30 seconds, each one failing
        clock.at = clock.now() + timedelta(seconds=30)
        await dispatch_tick(dispatcher)
    answer = await client.get("/health")
    assert answer.status_code == 200  # 300 seconds: not longer than the threshold yet
    assert answer.json()["dispatcher"]["failing_since"] == (last_good + timedelta(seconds=30)).isoformat()

    clock.at = clock.now() + timedelta(seconds=1)
    await dispatch_tick(dispatcher)
    answer = await client.get("/health")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "dispatcher stalled"
    assert body["dispatcher"]["status"] == "stalled"
    assert body["dispatcher"]["last_successful_tick"] == last_good.isoformat()
    assert "went away" not in answer.text  # the error stays in the log, not on a public page

    dispatcher.broken = False
    await dispatch_tick(dispatcher)
    answer = await client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["dispatcher"]["failing_since"] is None


async def test_health_is_503_when_ticks_stop_coming_at_all(setup, clock):
    client, dispatcher = setup
    # Started, never ticked (a hung job): the time since start counts.
    assert (await client.get("/health")).status_code == 200
    clock.at = clock.now() + timedelta(seconds=THRESHOLD + 1)
    answer = await client.get("/health")
    assert answer.status_code == 503
    assert answer.json()["dispatcher"]["last_successful_tick"] is None


async def test_the_app_lifespan_puts_its_dispatchers_heartbeat_on_health(migrated, clock):
    from tracker.bootstrap import dispatcher_lifespan

    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, sms_backend="console",
                                   email_backend="console", dispatch_stall_seconds=THRESHOLD)
    app = create_app(settings, clock=clock, scheduler=False)
    async with dispatcher_lifespan(settings, clock)(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as client:
        heartbeat = app.state["dispatcher_heartbeat"]
        # The first tick runs over the whole shared test database: allow a loaded machine 60 s.
        for _ in range(1200):
            if heartbeat.last_tick_at is not None:
                break
            await asyncio.sleep(0.05)
        answer = await client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["dispatcher"]["last_successful_tick"] == clock.now().isoformat()


async def test_a_web_only_instance_reports_no_dispatcher(client):
    answer = await client.get("/health")
    assert answer.status_code == 200
    assert "dispatcher" not in answer.json()
