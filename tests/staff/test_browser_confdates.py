"""Two journeys in a real Chromium, axe on each page: revising a plan with new due dates after the
review has met, and handing a leaver's work to someone else."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.factories import POLICY, SYSTEM, at, make_user
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, give_password, signable_world
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.schemas import ActionPatch, ConferenceIn, ConferencePatch
from tracker.plans.tables import Action, Plan

pytestmark = pytest.mark.browser

REVIEW_DAY = date(2026, 12, 15)
NEXT_REVIEW = date(2027, 6, 15)


async def _fits_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    await page.set_viewport_size({"width": 375, "height": 800})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide at 375px"
    await page.set_viewport_size({"width": 1280, "height": 800})


async def test_the_chair_revises_the_plan_with_new_due_dates_on_the_review_day(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    review_id = await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp", starts_at=at(REVIEW_DAY),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=live_clock.now(), policy=POLICY)
    live_clock.at = at(REVIEW_DAY, 12)  # the review has met
    await service.update_conference(
        conference_id=review_id, actor=SYSTEM, now=live_clock.now(), policy=POLICY,
        patch=ConferencePatch(decision="cp_plan", categories=["neglect"], next_review_on=NEXT_REVIEW))
    await sign_in_page(page, live_server, world.chair.email, PASSWORD)

    await page.goto(f"{live_server}/conferences/{review_id}")
    await page.get_by_role("link", name="Make the revised plan").click()
    await page.wait_for_url(f"**/conferences/{review_id}/revise")
    await _axe(page, "/conferences/{id}/revise")
    await _fits_a_phone(page)
    # Helen's action was due 8 December: proposed 8 June 2027 (moved by the six-month interval).
    assert await page.locator(f"#due-{world.action_id}-month").input_value() == "6"
    # A date in the past is refused beside its field.
    await page.locator(f"#due-{world.action_id}-day").fill("1")
    await page.locator(f"#due-{world.action_id}-month").fill("12")
    await page.locator(f"#due-{world.action_id}-year").fill("2026")
    await page.get_by_role("button", name="Make the revised plan with these dates").click()
    await page.wait_for_load_state()
    assert await page.locator(".govuk-error-summary").is_visible()
    await _axe(page, "/conferences/{id}/revise with errors")
    # Helen agreed the end of January; Jess's step keeps its proposed date.
    await page.locator(f"#due-{world.action_id}-day").fill("29")
    await page.locator(f"#due-{world.action_id}-month").fill("1")
    await page.locator(f"#due-{world.action_id}-year").fill("2027")
    await page.get_by_role("button", name="Make the revised plan with these dates").click()
    await page.wait_for_url("**/plans/*")
    plan = await Plan.select(Plan.id).where(Plan.conference == review_id).first()
    assert page.url.startswith(f"{live_server}/plans/{plan['id']}")
    await _axe(page, "/plans/{id} (revised)")
    carried = {r["carried_from"]: r["due_on"] for r in await Action.select(
        Action.carried_from, Action.due_on).where(Action.plan == plan["id"])}
    assert carried == {world.action_id: date(2027, 1, 29), world.member_action_id: date(2027, 6, 4)}


async def test_an_admin_deactivates_a_leaver_and_hands_their_work_on(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    await service.update_action(action_id=world.member_action_id, actor=SYSTEM, now=live_clock.now(),
                                policy=POLICY, patch=ActionPatch(support_by_user_id=world.invitee.id,
                                                                 support_offered="A lift on Mondays."))
    admin = await make_user(live_clock.now(), "admin", name="Ann Admin")
    await give_password(admin.id)
    newcomer = await make_user(live_clock.now(), name="Nia Newcomer")
    await sign_in_page(page, live_server, admin.email, PASSWORD)

    await page.goto(f"{live_server}/admin/users/{world.invitee.id}")
    assert await page.locator("#held-work").is_visible()
    await page.get_by_role("button", name="Deactivate this account").click()
    await page.wait_for_url(f"**/people/{world.invitee.id}/handover?deactivated=1")
    await _axe(page, "/people/{id}/handover")
    await _fits_a_phone(page)
    await page.get_by_role("button", name="Hand it all on").click()
    await page.wait_for_load_state()
    assert await page.locator(".govuk-error-summary").is_visible()
    await _axe(page, "/people/{id}/handover with errors")
    await page.get_by_label("Who will take this work on").select_option(str(newcomer.id))
    await page.get_by_role("button", name="Hand it all on").click()
    await page.wait_for_url("**/handover?done=2")
    await page.get_by_text("2 pieces of work handed on").wait_for()
    await _axe(page, "/people/{id}/handover (done)")
    owner = await Action.select(Action.owner_user).where(Action.id == world.action_id).first()
    support = await Action.select(Action.support_by).where(Action.id == world.member_action_id).first()
    assert owner["owner_user"] == support["support_by"] == newcomer.id
    told = await Outbox.select(Outbox.id).where((Outbox.recipient_user == newcomer.id)
                                                & (Outbox.template == "work_handed_over"))
    assert len(told) == 1
    # The plan page no longer flags anything.
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    assert not await page.locator("#leaver-flag").count()
