"""Plan links from the family page in a real Chromium under the real CSP, with axe on each page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.browser import AXE_RESULTS
from tests.support.browser import assert_axe_clean as _axe
from tests.support.factories import POLICY, SYSTEM, at
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.family.tables import FamilyLink
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn

pytestmark = pytest.mark.browser




async def test_the_lead_sends_a_link_then_stops_it_by_keyboard_and_mouse(live_server, page,
                                                                         live_clock):
    world = await signable_world(live_clock.now())
    jess = world.family["members"][0]
    await sign_in_page(page, live_server, world.lead.email, PASSWORD)
    await page.goto(f"{live_server}/families/{world.family['id']}")
    await page.get_by_text("No link: not safe to contact").wait_for()
    await _axe(page, "/families/{id} with plan links")

    await page.get_by_role("button", name=f"Send a new plan link to {jess['name']}").click()
    await page.get_by_role("heading", name=f"{jess['name']}'s plan link").wait_for()
    link = (await page.locator("#plan-link").inner_text()).strip()
    assert "/f/" in link
    assert "texting the link" in await page.locator("#link-sent").inner_text()
    await _axe(page, "family link sent")

    await page.get_by_role("link", name="Back to").last.click()
    await page.get_by_role("link", name=f"Stop their link working ({jess['name']})").click()
    await page.get_by_role("heading", name=f"Stop {jess['name']}'s plan link working?").wait_for()
    await _axe(page, "stop a family link: confirm")
    await page.get_by_role("button", name="Stop their link working").focus()
    await page.keyboard.press("Enter")
    await page.get_by_text("has stopped working").first.wait_for()
    await _axe(page, "family link stopped")
    row = await FamilyLink.select().where(FamilyLink.member == jess["id"]).first()
    assert row["revoked_reason"] == "revoked_by_lead"


async def test_the_conference_page_with_a_report_to_download_passes_axe(live_server, page,
                                                                        live_clock):
    world = await signable_world(live_clock.now())
    now = live_clock.now()
    conference_id = await service.create_conference(policy=POLICY,
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=20)), chair_id=world.chair.id,
                          invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=now)
    await sign_in_page(page, live_server, world.invitee.email, PASSWORD)
    await page.goto(f"{live_server}/actions")
    form = page.locator(f"form[action='/conferences/{conference_id}/report']")
    await form.locator("input[type=file]").set_input_files(
        files=[{"name": "Report for Rosie.pdf", "mimeType": "application/pdf",
                "buffer": b"%PDF-1.7\n%hello\n"}])
    await form.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    await page.goto(f"{live_server}/conferences/{conference_id}")
    download_link = page.get_by_role("link", name=f"Download {world.invitee.name}'s report")
    async with page.expect_download() as info:
        await download_link.click()
    download = await info.value
    assert download.suggested_filename == "Report for Rosie.pdf"
    await _axe(page, "/conferences/{id} with a report to download")


def test_print_axe_results() -> None:
    """Shows the per-page axe results collected above (run with -s)."""
    for name, count in AXE_RESULTS.items():
        print(f"axe {name}: {count} violations")
