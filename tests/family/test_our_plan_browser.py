"""'Our plan' in a real 375-pixel Chromium: axe-clean, no sideways scroll, and printed without
buttons, forms or the header — with every new family-page section showing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.family.test_browser import open_plan
from tests.support.browser import assert_axe_clean
from tests.support.factories import POLICY, SYSTEM, make_world
from tracker.plans import service
from tracker.plans.schemas import ActionIn, ConferencePatch

pytestmark = pytest.mark.browser


async def test_our_plan_fits_a_phone_is_accessible_and_prints_only_the_plan(live_server, browser, live_clock):
    world = await make_world(live_clock.now())
    today = live_clock.now().date()
    await service.update_conference(
        conference_id=world.conference_id, actor=SYSTEM, now=live_clock.now(), policy=POLICY,
        patch=ConferencePatch(children_views="Rosie said she likes school when she is on time.",
                              share_children_views=True,
                              family_reflections="You plan well once you have a routine.",
                              share_family_reflections=True))
    await service.add_action(policy=POLICY, plan_id=world.plan_id, actor=SYSTEM, now=live_clock.now(),
                             data=ActionIn(outcome_id=world.outcome_id,
                                           owner_member_id=world.family["members"][0]["id"],
                                           description="Lay out school clothes the night before",
                                           success_measure="Clothes ready on four nights out of five",
                                           repeats="days", repeat_days=["mon", "tue", "wed", "thu"],
                                           review_on=today + timedelta(days=30), check_in="your evenings"))
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    page = await context.new_page()
    try:
        await open_plan(page, live_server, world, live_clock.now())
        assert await page.get_by_role("heading", name="What kind of plan this is").is_visible()
        assert await page.get_by_text("On Mondays, Tuesdays, Wednesdays and Thursdays").is_visible()
        await assert_axe_clean(page, "plan with shared words and a routine (/family)")
        await page.get_by_role("link", name="See your plan on one page, to print or keep").click()
        await page.wait_for_url(f"{live_server}/family/our-plan")
        for heading in ("Our plan", "What your children told us", "What you told us, and what is going well",
                        "Your steps", "Keep a copy"):
            assert await page.get_by_role("heading", name=heading).first.is_visible(), heading
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await assert_axe_clean(page, "our plan (/family/our-plan)")
        await page.emulate_media(media="print")
        assert not await page.get_by_role("button", name="Send me a copy by email").is_visible()
        assert not await page.locator(".family-header").is_visible()
        assert await page.get_by_role("heading", name="Your steps").is_visible()
    finally:
        await context.close()
