"""In a real Chromium, axe on each page, at a desk and at 375px: the lead moves a booked review
from the plan page, then cancels it; a refreshed reply sends nothing twice; unknown addresses
answer with a page."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.factories import POLICY, SYSTEM, at
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.clock import LONDON
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import Conference, PlanMessage

pytestmark = pytest.mark.browser

BOOKED = date(2026, 12, 15)  # a Tuesday
SATURDAY = date(2026, 12, 5)
THURSDAY = date(2026, 12, 3)


async def _fits_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    await page.set_viewport_size({"width": 375, "height": 800})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide at 375px"
    await _axe(page, f"{page.url} at 375px")
    await page.set_viewport_size({"width": 1280, "height": 800})


async def _fill_when(page, day: date, time: str) -> None:  # type: ignore[no-untyped-def]
    await page.locator("#starts-on-day").fill(str(day.day))
    await page.locator("#starts-on-month").fill(str(day.month))
    await page.locator("#starts-on-year").fill(str(day.year))
    await page.locator("#starts-time").fill(time)


async def test_the_lead_moves_then_cancels_a_booked_review(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    review_id = await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp", starts_at=at(BOOKED),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=live_clock.now(), policy=POLICY)
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)

    await page.goto(f"{live_server}/plans/{world.plan_id}")
    booked = page.locator("#booked-conference")
    assert "15 Dec 2026" in await booked.inner_text()
    assert await page.get_by_role("link", name="Arrange a conference").count() == 0
    await page.get_by_role("link", name="Move or cancel this conference").click()
    await page.wait_for_url(f"**/conferences/{review_id}/move")
    await _axe(page, "/conferences/{id}/move")
    await _fits_a_phone(page)

    # Brought forward to a Saturday: warned first, as when arranging; then a Thursday instead.
    await _fill_when(page, SATURDAY, "10:00")
    await page.get_by_role("button", name="Move the conference").click()
    await page.wait_for_load_state()
    assert await page.locator("#date-warning").is_visible()
    await _axe(page, "/conferences/{id}/move with the weekend warning")
    await _fill_when(page, THURSDAY, "14:30")
    await page.get_by_role("button", name="Move the conference").click()
    await page.wait_for_url(f"**/conferences/{review_id}?saved=moved")
    assert "The conference is moved" in await page.locator("#notice").inner_text()
    await _axe(page, "/conferences/{id} after moving")
    starts = (await Conference.select(Conference.starts_at).where(
        Conference.id == review_id).first())["starts_at"].astimezone(LONDON)
    assert (starts.date(), starts.hour, starts.minute) == (THURSDAY, 14, 30)
    assert await Outbox.count().where(Outbox.key.like(f"conference_moved:conference:{review_id}:%")) == 2

    # Cancelled: a reason is asked for first, then the plan page offers arranging again.
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    assert "3 Dec 2026" in await page.locator("#booked-conference").inner_text()
    await page.get_by_role("link", name="Move or cancel this conference").click()
    await page.get_by_role("button", name="Cancel the conference").click()
    await page.wait_for_load_state()
    assert await page.locator(".govuk-error-summary").is_visible()
    await _axe(page, "/conferences/{id}/cancel without a reason")
    await _fits_a_phone(page)
    await page.locator("#reason").fill("The review is brought forward to the new conference.")
    await page.get_by_role("button", name="Cancel the conference").click()
    await page.wait_for_url(f"**/plans/{world.plan_id}?saved=conference-cancelled")
    assert "The conference is cancelled" in await page.locator("#notice").inner_text()
    assert await page.get_by_role("link", name="Arrange a conference").is_visible()
    await _axe(page, "/plans/{id} after cancelling")
    await _fits_a_phone(page)
    assert not await Conference.exists().where(Conference.id == review_id)


async def test_a_refreshed_reply_sends_nothing_twice(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    jess = world.family["members"][0]["id"]
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    await page.locator("#reply-member_id").select_option(str(jess))
    await page.locator("#reply-body").fill("Thank you, Jess. I will ring you on Monday at 10.")
    await page.get_by_role("button", name="Send reply").click()
    await page.wait_for_url(f"**/plans/{world.plan_id}?saved=reply-*")
    assert "Your reply is sent" in await page.locator("#notice").inner_text()
    await page.reload()
    await page.wait_for_load_state()
    assert await PlanMessage.count().where(
        (PlanMessage.member == jess) & PlanMessage.author_user.is_not_null()) == 1
    await _axe(page, "/plans/{id} after a reply")


async def test_unknown_addresses_answer_with_a_page_in_the_right_layout(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    for path, heading in (("/familys", "Page not found"), ("/plans/999999", "Page not found"),
                          (f"/conferences/{world.conference_id}/cancel",
                           "This page cannot be opened like that")):
        response = await page.goto(f"{live_server}{path}")
        assert response is not None and response.status in (404, 405)
        assert await page.get_by_role("heading", level=1).inner_text() == heading
        assert await page.get_by_role("link", name="Go to your start page").is_visible()
        await _axe(page, path)
        await _fits_a_phone(page)
    response = await page.goto(f"{live_server}/f/not-a-token/more")
    assert response is not None and response.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "We cannot find that page"
    assert await page.get_by_role("link", name="Go back to your plan").is_visible()
    await _axe(page, "/f/... unknown")
    await _fits_a_phone(page)
