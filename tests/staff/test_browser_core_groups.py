"""Journey in Chromium: Sam arranges and records a core group; Priya sees what it found on her
dashboard and in the pre-review summary. axe on every page; the record page fits 375 px."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.factories import POLICY, SYSTEM, at
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import CoreGroupMeeting, ProgressUpdate

pytestmark = pytest.mark.browser

BETTER = "Rosie was in class by 8:50 on nine days out of ten."


async def test_sam_arranges_and_records_a_core_group_and_priya_sees_it(live_server, page,
                                                                          live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    await service.create_conference(policy=POLICY, actor=SYSTEM, now=now, data=ConferenceIn(
        family_id=world.family["id"], kind="review_cp", chair_id=world.chair.id,
        starts_at=at(now.date() + timedelta(days=20)), invitee_ids=[world.invitee.id]))
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)

    await page.goto(f"{live_server}/plans/{world.plan_id}")
    await page.get_by_role("link", name="Arrange a core group meeting").click()
    await page.wait_for_load_state()
    await _axe(page, "/plans/{id}/core-groups/new")
    # On a phone: find a professional not yet working with the family; the page fits 375 px.
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.locator("#invitee-q").fill(world.outsider.email)
    await page.get_by_role("button", name="Find").click()
    await page.get_by_text("1 found: tick them in the list above.").wait_for()
    await _axe(page, "/plans/{id}/core-groups/new after Find")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the arrange form is {width} px wide on a 375 px phone"
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.locator("#starts-on-day").fill("30")
    await page.locator("#starts-on-month").fill("11")
    await page.locator("#starts-on-year").fill("2026")
    await page.get_by_label("Start time").fill("14:00")
    await page.locator(f'input[name="invitees"][value="{world.invitee.id}"]').check()
    await page.get_by_role("button", name="Arrange the meeting").click()
    await page.wait_for_url(f"**/plans/{world.plan_id}*")
    await page.get_by_text("The next meeting is booked for Mon 30 Nov 2026, 2:00pm").wait_for()
    await page.get_by_text("The core group meeting is arranged for Mon 30 Nov 2026, 2:00pm.").wait_for()
    await _axe(page, "/plans/{id} with a core group booked")

    # The day of the meeting, after it has started.
    live_clock.at = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    await page.context.clear_cookies()
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/plans/{world.plan_id}#core-groups")
    await page.get_by_role("link", name="Record the meeting").click()
    await page.wait_for_load_state()
    await _axe(page, "/core-groups/{id}/record")
    jess = world.family["members"][0]["id"]
    await page.locator(f'input[name="attended"][value="member:{jess}"]').check()
    await page.locator(f'input[name="attended"][value="user:{world.invitee.id}"]').check()
    await page.locator(f"#status-{world.action_id}").select_option("in_progress")
    await page.locator(f"#note-{world.action_id}").fill("Four Monday calls made; they help.")
    await page.locator("#better").fill(BETTER)
    family_view = page.locator("#family-view")
    await family_view.press_sequentially("Jess must stop her lack of engagement")
    await page.locator("#family_view-coach").get_by_text("A thought on wording").wait_for()
    await _axe(page, "/core-groups/{id}/record with hints")
    await family_view.fill("Jess says mornings are calmer and the calls help.")
    await page.locator("#children-view").fill("Rosie likes breakfast club.")
    await page.locator("#next-steps").fill("Helen asks about a reading buddy.")
    await page.get_by_role("button", name="Save the record").click()
    await page.wait_for_url("**/record?saved=record")
    await page.get_by_text("Actions reviewed at this meeting").wait_for()
    await _axe(page, "/core-groups/{id}/record after saving")
    await page.set_viewport_size({"width": 375, "height": 800})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the record page is {width} px wide on a 375 px phone"
    meeting = await CoreGroupMeeting.select().where(
        CoreGroupMeeting.plan == world.plan_id).first()
    assert meeting["better"] == BETTER and meeting["recorded_by"] == world.lead.id
    update = await ProgressUpdate.select().where(ProgressUpdate.action == world.action_id).order_by(
        ProgressUpdate.id, ascending=False).first()
    assert update["channel"] == "web" and update["to_status"] == "in_progress"

    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.context.clear_cookies()
    await sign_in_page(page, live_server, world.chair.email, PASSWORD)
    await page.goto(f"{live_server}/chair")
    await page.get_by_text(BETTER).first.wait_for()
    await page.get_by_text("Four Monday calls made; they help.").first.wait_for()
    await _axe(page, "/chair with core group findings")
    await page.goto(f"{live_server}/plans/{world.plan_id}/review-summary")
    await page.get_by_role("heading", name="What the core groups found").wait_for()
    await page.get_by_text("Rosie likes breakfast club.").wait_for()
    await _axe(page, "/plans/{id}/review-summary with core group findings")
