"""/profile in a real Chromium: axe clean (with and without errors) and no sideways scroll at 375 px."""

from __future__ import annotations

import pytest

from tests.support.browser import assert_axe_clean
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.people.tables import StaffUser

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
async def test_a_professional_chooses_texts_on_their_profile(live_server, browser, live_clock, width):
    world = await signable_world(live_clock.now())
    context = await browser.new_context(viewport={"width": width, "height": 800})
    page = await context.new_page()
    try:
        await sign_in_page(page, live_server, world.invitee.email, PASSWORD)
        await page.get_by_role("link", name="your profile").click()
        await page.get_by_role("heading", name="Your profile").wait_for()
        await assert_axe_clean(page, f"/profile at {width}px")
        await page.get_by_label("By text", exact=True).check()
        await page.get_by_role("button", name="Save").click()
        await page.get_by_text("Enter your work mobile number, so we can text you.").first.wait_for()
        await assert_axe_clean(page, f"/profile with an error at {width}px")
        await page.get_by_label("Your work mobile number").fill("0161 496 0000")
        await page.get_by_role("button", name="Save").click()
        await page.get_by_text("This looks like a landline").first.wait_for()
        await page.get_by_label("Your work mobile number").fill("07700 900321")
        await page.get_by_role("button", name="Save").click()
        await page.get_by_text("We will nudge you by text from now on.").wait_for()
        await assert_axe_clean(page, f"/profile saved at {width}px")
        scroll, client = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"sideways scroll at {width}px: {scroll} > {client}"
        user = await StaffUser.select().where(StaffUser.id == world.invitee.id).first()
        assert (user["mobile"], user["nudge_by"]) == ("+447700900321", "sms")
    finally:
        await context.close()
