"""The professionals' and chairs' pages in a real Chromium: htmx and no-JS updates, the
seven-step conference record, the chair dashboard and printable summary, and axe on each page.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta

import pytest

from tests.support.browser import AXE_RESULTS
from tests.support.browser import assert_axe_clean as _axe
from tests.support.factories import POLICY, SYSTEM, at
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.audit import Actor
from tracker.plans import service
from tracker.plans.schemas import SEVEN_STEPS, ConferenceIn
from tracker.plans.tables import Action, Plan, PlanMessage, ProgressUpdate

pytestmark = pytest.mark.browser





async def _review(world, now, days: int) -> int:  # type: ignore[no-untyped-def]
    # A conference already held (days < 0) was arranged before it, when its date was ahead.
    arranged = now if days >= 0 else now + timedelta(days=days - 1)
    return await service.create_conference(policy=POLICY,
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=days)),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id, world.lead.id]),
        actor=SYSTEM, now=arranged)


async def test_updating_an_action_with_javascript_swaps_just_its_card(live_server, page,
                                                                      live_clock):
    world = await signable_world(live_clock.now())
    await sign_in_page(page, live_server, world.invitee.email, PASSWORD)
    await page.goto(f"{live_server}/actions")
    await _axe(page, "/actions")
    card = page.locator(f"#action-{world.action_id}")
    await card.get_by_label("In progress").check()
    note = card.get_by_label("Note")
    # The language coach answers as you type (htmx, after a pause).
    await note.press_sequentially("Your lack of engagement worried me")
    await card.get_by_text("A thought on wording").wait_for()
    await note.fill("")
    await note.press_sequentially("Rang Jess on Monday; the school run plan is working.")
    url_before = page.url
    await card.get_by_role("button", name="Save update").click()
    await page.locator(f"#action-{world.action_id}").get_by_text(
        "your update is on the plan").wait_for()
    assert page.url == url_before  # no page load: only the card changed
    await _axe(page, "/actions after an htmx update")
    row = await Action.select(Action.status).where(Action.id == world.action_id).first()
    assert row["status"] == "in_progress"
    # An update with nothing to record shows the error inside the card.
    card = page.locator(f"#action-{world.action_id}")
    await card.get_by_role("button", name="Save update").click()
    await card.get_by_text("There is a problem").wait_for()
    await _axe(page, "/actions with an error in a card")


async def test_updating_an_action_without_javascript_posts_and_comes_back(live_server, browser,
                                                                          live_clock):
    world = await signable_world(live_clock.now())
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    try:
        await sign_in_page(page, live_server, world.invitee.email, PASSWORD)
        await page.goto(f"{live_server}/actions")
        card = page.locator(f"#action-{world.action_id}")
        # Nothing to record: the whole page comes back with the error summary.
        await card.get_by_role("button", name="Save update").click()
        await page.get_by_role("heading", name="There is a problem").wait_for()
        assert "Error:" in await page.title()
        # (axe needs JavaScript: the same page is checked in the test below.)
        card = page.locator(f"#action-{world.action_id}")
        await card.get_by_label("Done", exact=True).check()
        await card.get_by_label("Note").fill("All six Monday calls made.")
        await card.get_by_role("button", name="Save update").click()
        await page.wait_for_url(f"{live_server}/actions#action-{world.action_id}")
        row = await Action.select(Action.status).where(Action.id == world.action_id).first()
        assert row["status"] == "done"
        update = await ProgressUpdate.select().where(
            ProgressUpdate.action == world.action_id).first()
        assert update["note"] == "All six Monday calls made."
    finally:
        await context.close()


async def test_the_full_page_error_on_my_actions_passes_axe(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    # Without htmx the form posts as a plain form, as it would with JavaScript off; axe
    # itself still needs JavaScript, so only htmx is blocked here.
    await page.route("**/htmx/htmx.min.js", lambda route: route.abort())
    await sign_in_page(page, live_server, world.invitee.email, PASSWORD)
    await page.goto(f"{live_server}/actions")
    await page.locator(f"#action-{world.action_id}").get_by_role(
        "button", name="Save update").click()
    await page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.url.endswith(f"/actions/{world.action_id}/update")
    await _axe(page, "/actions with an error (full page, no htmx)")
    # The error summary links to the field.
    await page.locator(".govuk-error-summary a").first.click()
    assert await page.evaluate("document.activeElement.id") == f"note-{world.action_id}"


async def test_recording_a_review_conference_through_the_seven_steps(live_server, page,
                                                                     live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    await service.record_progress(action_id=world.action_id, status="done", note="Done.",
                                  actor=SYSTEM, now=now)
    review = await _review(world, now, days=-1)
    await sign_in_page(page, live_server, world.chair.email, PASSWORD)
    await page.goto(f"{live_server}/conferences/{review}")
    await _axe(page, "/conferences/{id}")
    await page.get_by_role("link", name="Record the conference").click()
    await page.wait_for_url(f"{live_server}/conferences/{review}/record")
    await _axe(page, "/conferences/{id}/record")
    # Save once with a CP decision and no category: errors, nothing lost.
    await page.get_by_label(SEVEN_STEPS[0][1], exact=False).fill("Jess says Rosie is kind.")
    await page.get_by_label("Child protection plan").check()
    await page.get_by_role("button", name="Save the record").click()
    await page.get_by_role("heading", name="There is a problem").wait_for()
    await _axe(page, "/conferences/{id}/record with errors")
    assert await page.locator("#family_description").input_value() == "Jess says Rosie is kind."
    for i, (name, _) in enumerate(SEVEN_STEPS, start=1):
        await page.locator(f"#{name}").fill(f"Step {i} in the family's words.")
    await page.get_by_label("Neglect").check()
    review_on = now.date() + timedelta(days=150)
    await page.locator("#next_review-day").fill(str(review_on.day))
    await page.locator("#next_review-month").fill(str(review_on.month))
    await page.locator("#next_review-year").fill(str(review_on.year))
    await page.get_by_role("button", name="Save the record").click()
    # Saved: the page comes back with what the wording checks found (?saved=record).
    await page.wait_for_url(f"{live_server}/conferences/{review}?saved=record")
    assert await page.get_by_text("Step 7 in the family's words.").is_visible()
    # The revised plan asks for a new due date for each carried action (see test_browser_confdates).
    await page.get_by_role("link", name="Make the revised plan").click()
    await page.wait_for_url(f"{live_server}/conferences/{review}/revise")
    await page.get_by_role("button", name="Make the revised plan with these dates").click()
    await page.wait_for_url(f"{live_server}/plans/*")
    new_plan = await Plan.select(Plan.id).where(Plan.conference == review).first()
    assert page.url.startswith(f"{live_server}/plans/{new_plan['id']}")
    assert await page.get_by_role("heading", name="What changed at the review").is_visible()
    await _axe(page, "/plans/{id} (revised, with add forms)")
    # Add a SMART action, watching the coach as it is typed.
    await page.get_by_label("Which outcome does it serve?").select_option(
        label="Rosie goes to school every day.")
    await page.get_by_label("What will be done").press_sequentially("Mum to engage")
    await page.get_by_text("To make this SMART").wait_for()
    await page.get_by_label("What will be done").fill(
        "Helen meets Jess at the school gate on Fridays to check the week.")
    await page.get_by_label("Who will do it").select_option(f"user:{world.invitee.id}")
    due = now.date() + timedelta(days=21)
    await page.locator("#action-due-day").fill(str(due.day))
    await page.locator("#action-due-month").fill(str(due.month))
    await page.locator("#action-due-year").fill(str(due.year))
    await page.get_by_label("How we'll know it is done").fill("Three Friday meetings logged.")
    await page.get_by_role("button", name="Add the action").click()
    saved = rf"{re.escape(live_server)}/plans/{new_plan['id']}\?saved=action-\d+#action-\d+$"
    await page.wait_for_url(re.compile(saved))
    assert await page.get_by_role("heading", name="Helen meets Jess at the school gate on "
                                  "Fridays to check the week.").is_visible()


async def test_chair_dashboard_and_printable_summary(live_server, page, live_clock):
    now = live_clock.now()
    world = await signable_world(now)
    review = await _review(world, now, days=12)
    jess = world.family["members"][0]["id"]
    await service.record_progress(action_id=world.member_action_id, status="in_progress",
                                  note="Walked every day.", actor=Actor.member(jess, "Jess"),
                                  now=now, visibility="core_group")
    # Shared by Jess with everyone working with the family, so the chair reads it.
    await PlanMessage.insert(PlanMessage(family=world.family["id"], plan=world.plan_id,
                                         member=jess, body="Things feel calmer.",
                                         channel="family_link", created_at=now,
                                         visibility="core_group"))
    await service.mark_report_submitted(conference_id=review, user_id=world.invitee.id,
                                        actor=SYSTEM, now=now)
    await sign_in_page(page, live_server, world.chair.email, PASSWORD)
    await page.goto(f"{live_server}/chair")
    await _axe(page, "/chair")
    card = page.locator(f"section[aria-labelledby='review-{review}']")
    assert await card.get_by_text("1 of 2 received").is_visible()
    assert await card.get_by_text("Things feel calmer.").is_visible()
    await card.get_by_role("link", name="Progress summary").click()
    await page.wait_for_url(f"{live_server}/plans/{world.plan_id}/review-summary")
    await _axe(page, "/plans/{id}/review-summary")
    assert await page.get_by_text("Walked every day.").is_visible()
    assert await page.locator("svg[role=img]").count() == 2
    # In print, the site furniture goes and the handling note appears.
    await page.emulate_media(media="print")
    assert not await page.locator(".govuk-header").is_visible()
    assert not await page.locator("#signed-in").is_visible()
    assert await page.get_by_text("handle as OFFICIAL-SENSITIVE").is_visible()
    pdf = await page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    await page.emulate_media(media="screen")
    await page.goto(f"{live_server}/families/{world.family['id']}")
    await _axe(page, "/families/{id}")
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    await _axe(page, "/plans/{id} (chair)")


async def test_plan_page_with_errors_and_read_only_plan_pass_axe(live_server, page, live_clock):
    world = await signable_world(live_clock.now())
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    await page.get_by_role("button", name="Add the action").click()
    await page.get_by_role("heading", name="There is a problem").wait_for()
    await _axe(page, "/plans/{id} with errors")
    await page.get_by_role("link", name="Sign out").count()  # the header is there
    await page.context.clear_cookies()
    await sign_in_page(page, live_server, world.invitee.email, PASSWORD)
    await page.goto(f"{live_server}/plans/{world.plan_id}")
    await _axe(page, "/plans/{id} (read only)")


def test_print_axe_results() -> None:
    """Shows the per-page axe results collected above (run with -s; AXE_RESULTS_FILE saves them)."""
    path = os.environ.get("AXE_RESULTS_FILE")
    if path:
        with open(path, "w") as f:
            json.dump(AXE_RESULTS, f, indent=2)
    print("\naxe-core WCAG 2.2 A/AA violations per staff page:")
    for name, count in AXE_RESULTS.items():
        print(f"  {name}: {count}")
