"""Arranging a conference and changing an action in a real Chromium, with axe on each page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.plans.tables import Action, Conference

pytestmark = pytest.mark.browser




async def test_lead_arranges_a_conference_and_changes_an_action(live_server, page, live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)

    await page.goto(f"{live_server}/families/{world.family['id']}")
    await page.get_by_role("link", name="Arrange a conference").click()
    await page.wait_for_load_state()
    await _axe(page, "/families/{id}/conferences/new")
    await page.get_by_role("button", name="Arrange the conference").click()
    await page.wait_for_load_state()
    assert await page.locator(".govuk-error-summary").is_visible()
    await _axe(page, "/families/{id}/conferences/new with errors")

    day = now.date() + timedelta(days=21)
    await page.get_by_label("Review child protection conference").check()
    await page.locator("#starts-on-day").fill(str(day.day))
    await page.locator("#starts-on-month").fill(str(day.month))
    await page.locator("#starts-on-year").fill(str(day.year))
    await page.get_by_label("Start time").fill("14:30")
    await page.get_by_label("Who will chair it").select_option(str(world.chair.id))
    # Other tests' people share this server, so pick Helen by id, not by name.
    await page.locator(f'input[name="invitees"][value="{world.invitee.id}"]').check()
    await page.get_by_role("button", name="Arrange the conference").click()
    await page.wait_for_url("**/conferences/*")
    row = await Conference.select().where(Conference.family == world.family["id"]).order_by(
        Conference.id, ascending=False).first()
    assert page.url.endswith(f"/conferences/{row['id']}")
    await _axe(page, "/conferences/{id} with the change form")

    await page.goto(f"{live_server}/plans/{world.plan_id}")
    await page.locator(f'a[href="/actions/{world.action_id}/edit"]').click()
    await page.wait_for_load_state()
    await _axe(page, "/actions/{id}/edit")
    description = page.get_by_label("What will be done")
    await description.fill("")
    # The coach answers as you type, through htmx under the page's CSP.
    await description.press_sequentially("Jess must stop her lack of engagement with school")
    await page.locator("#action-coach").get_by_text("A thought on wording").wait_for()
    await _axe(page, "/actions/{id}/edit with hints")
    await description.fill("Helen phones Jess every Tuesday at 9:15 to plan the school week.")
    await page.get_by_role("button", name="Save the changes").click()
    await page.wait_for_url(f"**/plans/{world.plan_id}*")
    action = await Action.select().where(Action.id == world.action_id).first()
    assert action["description"].startswith("Helen phones Jess every Tuesday")
