"""Pressing Enter in a field does the form's main action, not the pick-list's "Find" button,
in a real Chromium, with axe on each form."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.plans.tables import Action, Conference

pytestmark = pytest.mark.browser


async def test_enter_in_a_date_field_saves_the_action(live_server, page, live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/actions/{world.action_id}/edit")
    await _axe(page, "/actions/{id}/edit with the Enter button")
    due = now.date() + timedelta(days=20)
    await page.locator("#action-due-day").fill(str(due.day))
    await page.locator("#action-due-month").fill(str(due.month))
    await page.locator("#action-due-year").fill(str(due.year))
    await page.locator("#action-due-year").press("Enter")
    await page.wait_for_url(f"**/plans/{world.plan_id}*")
    action = await Action.select(Action.due_on).where(Action.id == world.action_id).first()
    assert action["due_on"] == due


async def test_enter_in_a_date_field_arranges_the_conference(live_server, page, live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/families/{world.family['id']}/conferences/new")
    await _axe(page, "/families/{id}/conferences/new with the Enter button")
    day = now.date() + timedelta(days=21)
    while day.weekday() >= 5:  # a weekday, so no weekend warning stops the save
        day += timedelta(days=1)
    await page.get_by_label("Review child protection conference").check()
    await page.get_by_label("Start time").fill("14:30")
    await page.get_by_label("Who will chair it").select_option(str(world.chair.id))
    await page.locator("#starts-on-day").fill(str(day.day))
    await page.locator("#starts-on-month").fill(str(day.month))
    await page.locator("#starts-on-year").fill(str(day.year))
    await page.locator("#starts-on-year").press("Enter")
    await page.wait_for_url("**/conferences/*")
    made = await Conference.count().where((Conference.family == world.family["id"])
                                          & (Conference.kind == "review_cp"))
    assert made == 1


async def test_enter_in_the_due_date_adds_the_action_on_the_plan_page(live_server, page, live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    before = await Action.count().where(Action.plan == world.plan_id)
    form = page.locator("#add-action-form")
    await form.locator("#action-outcome-id").select_option(str(world.outcome_id))
    await form.locator("#action-description").fill(
        "Helen rings Jess each Friday at 4pm to talk through the school week.")
    await form.locator("#action-owner").select_option(f"user:{world.invitee.id}")
    await form.locator("#action-success-measure").fill("A call note on the record each Friday.")
    due = now.date() + timedelta(days=15)
    await form.locator("#action-due-day").fill(str(due.day))
    await form.locator("#action-due-month").fill(str(due.month))
    await form.locator("#action-due-year").fill(str(due.year))
    await form.locator("#action-due-year").press("Enter")
    await page.wait_for_url("**/plans/*?saved=action-*")
    added = await Action.select(Action.due_on).where(
        (Action.plan == world.plan_id) & Action.description.like("Helen rings Jess%"))
    assert await Action.count().where(Action.plan == world.plan_id) == before + 1
    assert [a["due_on"] for a in added] == [due]
