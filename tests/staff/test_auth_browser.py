"""Chromium: signing in and out, and axe-core on the sign-in, reset, admin and calendar pages."""

from __future__ import annotations

import json

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.factories import make_user
from tests.support.staff import sign_in_page
from tracker.notify.tables import Outbox
from tracker.security.tables import RateLimitHit

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"



@pytest.fixture(autouse=True)
async def _no_counters(migrated):  # type: ignore[no-untyped-def]
    await RateLimitHit.delete(force=True)


async def test_sign_in_and_sign_out_in_chromium(live_server, page, live_clock):
    admin = await make_user(live_clock.now(), "admin", name="Ada Admin", password=PASSWORD)
    await page.goto(f"{live_server}/admin")
    assert "/signin?next=%2Fadmin" in page.url
    await _axe(page, "/signin")
    await page.fill("#email", admin.email)
    await page.fill("#password", "not the right password")
    await page.click("button:has-text('Sign in')")
    assert await page.locator(".govuk-error-summary").is_visible()
    await _axe(page, "/signin with an error")
    await page.fill("#email", admin.email)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{live_server}/admin")
    assert "Ada Admin" in await page.inner_text("#signed-in")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["tracker_session"]["httpOnly"] and cookies["tracker_session"]["sameSite"] == "Lax"
    await _axe(page, "/admin")
    await page.click("button:has-text('Sign out')")
    await page.wait_for_url(f"{live_server}/signin")
    await page.goto(f"{live_server}/admin")
    assert "/signin" in page.url


async def test_admin_pages_and_calendar_pass_axe(live_server, page, live_clock):
    admin = await make_user(live_clock.now(), "admin", password=PASSWORD)
    other = await make_user(live_clock.now(), name="Bea Visitor")
    await sign_in_page(page, live_server, admin.email, PASSWORD)
    await page.goto(f"{live_server}/admin/users/new")
    await _axe(page, "/admin/users/new")
    await page.fill("#name", "Nia Nurse")
    await page.fill("#phone", "not a phone")
    await page.click("button:has-text('Add this person')")
    assert await page.locator(".govuk-error-summary").is_visible()
    assert await page.input_value("#name") == "Nia Nurse"
    await _axe(page, "/admin/users/new with errors")
    await page.goto(f"{live_server}/admin/users/{other.id}")
    await _axe(page, "/admin/users/{id}")
    await page.click("button:has-text('Deactivate this account')")
    await page.wait_for_url(f"{live_server}/admin?done=deactivated")
    await _axe(page, "/admin (after a change)")
    await page.goto(f"{live_server}/calendar")
    await _axe(page, "/calendar")
    await page.click("button:has-text('Make my calendar address')")
    url = await page.input_value("#feed-url")
    assert url.endswith(".ics")
    await _axe(page, "/calendar with a new address")


async def test_reset_pages_pass_axe(live_server, page, live_clock):
    user = await make_user(live_clock.now(), password=PASSWORD)
    await page.goto(f"{live_server}/reset")
    await _axe(page, "/reset")
    await page.fill("#email", user.email)
    await page.click("button:has-text('Send the link')")
    assert "we've sent a link" in await page.inner_text("main")
    await _axe(page, "/reset (sent)")
    row = await Outbox.select().where(Outbox.recipient_user == user.id).first()
    link = json.loads(row["context"])["link"].replace("http://testserver.local", live_server)
    await page.goto(link)
    await _axe(page, "/reset/{token}")
    await page.fill("#password", "short")
    await page.fill("#confirm", "short")
    await page.click("button:has-text('Save the new password')")
    await _axe(page, "/reset/{token} with errors")
    await page.fill("#password", "a brand new long passphrase")
    await page.fill("#confirm", "a brand new long passphrase")
    await page.click("button:has-text('Save the new password')")
    await page.wait_for_url(f"{live_server}/signin?reset=done")
    await _axe(page, "/signin after a reset")
    await page.goto(link)
    assert "expired" in await page.inner_text("h1")
    await _axe(page, "/reset/{token} expired")
