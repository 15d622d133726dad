"""The journey in a real Chromium on a phone: open a family, add two adults and an unborn baby,
then find the family in the caseload (every step a plain link or form post)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.support.browser import assert_axe_clean
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, signable_world
from tracker.plans.tables import Child, Family, FamilyMember

pytestmark = pytest.mark.browser
_n = itertools.count(1)


async def _menu(page, item: str) -> None:  # type: ignore[no-untyped-def]
    """Follow a link in the menu, which a phone folds behind its "Menu" button."""
    toggle = page.get_by_role("button", name="Menu")
    if await toggle.is_visible():
        await toggle.click()
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name=item).click()


async def _add_adult(page, name: str, relationship: str, mobile: str, *,  # type: ignore[no-untyped-def]
                     interpreter: bool) -> None:
    await page.get_by_role("link", name="Add an adult").click()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Relationship to the children (optional)").fill(relationship)
    await page.get_by_label("Mobile number (optional)").fill(mobile)
    await page.locator("#sms-consent").check()
    await page.locator("#interpreter-needed" if interpreter else "#interpreter-needed-no").check()
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_load_state()


async def test_open_a_family_with_two_adults_and_an_unborn_baby_then_find_it(live_server,
                                                                            browser, live_clock):
    world = await signable_world(live_clock.now())
    # JavaScript on only so axe can run: every step is a plain link or form post.
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    page = await context.new_page()
    name = f"Mensah family {next(_n)}"
    try:
        await sign_in_page(page, live_server, world.lead.email, PASSWORD)
        await _menu(page, "Families")
        await page.get_by_role("link", name="Open a new family").click()
        await assert_axe_clean(page, "/families/new")
        await page.get_by_role("button", name="Open the family").click()  # nothing typed
        await page.get_by_role("heading", name="There is a problem").wait_for()
        await assert_axe_clean(page, "/families/new with errors")
        await page.get_by_label("Family name").fill(name)
        await page.get_by_label("Reference (optional)").fill("CP-4410")
        await page.get_by_role("button", name="Open the family").click()
        await page.get_by_role("heading", name=name).wait_for()
        await assert_axe_clean(page, "the new family's record")

        await _add_adult(page, "Ama Mensah", "Mum", "07700 900321", interpreter=True)
        await _add_adult(page, "Kofi Mensah", "Dad", "07700 900322", interpreter=False)
        await page.get_by_role("link", name="Add a child or an unborn baby").click()
        await assert_axe_clean(page, "add a child")
        await page.get_by_label("First name").fill("Baby")
        due = live_clock.now().date() + timedelta(days=90)
        await page.locator("#expected-on-day").fill(str(due.day))
        await page.locator("#expected-on-month").fill(str(due.month))
        await page.locator("#expected-on-year").fill(str(due.year))
        await page.get_by_role("button", name="Save").click()
        await page.get_by_text("Unborn baby, expected").wait_for()
        await assert_axe_clean(page, "the family's record with adults and a baby")
        assert await page.evaluate("document.scrollingElement.scrollWidth") <= 375

        await _menu(page, "Families")
        await page.get_by_label("Search by family name or reference").fill("cp-4410")
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("link", name=name).wait_for()
        await assert_axe_clean(page, "/families searched")
        assert await page.evaluate("document.scrollingElement.scrollWidth") <= 375
    finally:
        await context.close()
    family = await Family.select().where(Family.name == name).first()
    assert family["reference"] == "CP-4410" and family["lead_professional"] == world.lead.id
    adults = await FamilyMember.select().where(FamilyMember.family == family["id"]).order_by(
        FamilyMember.id)
    assert [(a["name"], a["mobile"], a["interpreter_needed"]) for a in adults] == [
        ("Ama Mensah", "+447700900321", True), ("Kofi Mensah", "+447700900322", False)]
    baby = await Child.select().where(Child.family == family["id"]).first()
    assert baby["expected_on"] == due and baby["date_of_birth"] is None
