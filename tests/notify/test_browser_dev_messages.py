"""/dev/messages on a 375 px phone: a long link in a message wraps instead of widening the page."""

from __future__ import annotations

import dataclasses
import random

import pytest

from tests.support.factories import WINDOWS
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.bootstrap import build_dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.settings import get_settings

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_outbox")]


async def test_a_message_with_a_long_link_fits_a_phone(live_server, browser, live_clock):
    world = await signable_world(live_clock.now())
    link = f"{live_server}/reset/" + "x" * 120
    await enqueue(windows=WINDOWS, channel="email", template="password_reset", due_at=live_clock.now(),
                  key=f"test:dev:wide:{world.lead.id}", recipient_user_id=world.lead.id,
                  context={"name": "Sam", "link": link, "minutes": 10, "hours": 0})
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    await build_dispatcher(settings, live_clock, providers_for(settings),
                           rng=random.Random(1)).tick(materialise=False)
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    page = await context.new_page()
    try:
        await sign_in_page(page, live_server, world.lead.email, PASSWORD)
        await page.goto(f"{live_server}/dev/messages")
        await page.get_by_text("x" * 40, exact=False).first.wait_for()
        scroll, client = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"sideways scroll at 375px: {scroll} > {client}"
    finally:
        await context.close()
