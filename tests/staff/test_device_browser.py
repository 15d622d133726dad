"""Chromium: the owner's known browser signs in while a stranger's browser is locked out."""

from __future__ import annotations

import pytest

from tests.support.factories import make_user
from tests.support.staff import sign_in_page
from tracker.security.tables import RateLimitHit
from tracker.staff import devices, signin

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
async def _no_counters(migrated):  # type: ignore[no-untyped-def]
    await RateLimitHit.delete(force=True)


async def _try(page, base: str, email: str, password: str) -> str:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/signin")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_load_state()
    return page.url


async def test_a_known_browser_signs_in_while_a_strangers_is_locked_out(live_server, page, browser,
                                                                          live_clock):
    live_clock.at = live_clock.at.replace(minute=0, second=0)
    owner = await make_user(live_clock.now(), name="Omar Owner", password=PASSWORD)
    await sign_in_page(page, live_server, owner.email, PASSWORD)
    cookies = {c["name"]: c for c in await page.context.cookies()}
    device = cookies[devices.COOKIE_NAME]
    assert device["httpOnly"] and device["sameSite"] == "Lax" and device["expires"] > 0
    await page.click("button:has-text('Sign out')")
    await page.wait_for_url(f"{live_server}/signin")

    stranger_context = await browser.new_context()
    try:
        stranger = await stranger_context.new_page()
        for _ in range(signin.ACCOUNT_LIMIT.attempts):
            await _try(stranger, live_server, owner.email, "someone guessing wrongly")
            assert await stranger.locator(".govuk-error-summary").is_visible()
        await _try(stranger, live_server, owner.email, PASSWORD)
        assert "/signin" in stranger.url
        assert "too many attempts" in (await stranger.inner_text(".govuk-error-summary")).lower()
    finally:
        await stranger_context.close()

    # Back at the owner's own browser: straight in, despite the stranger's lockout.
    url = await _try(page, live_server, owner.email, PASSWORD)
    assert "/signin" not in url
    assert "Omar Owner" in await page.inner_text("#signed-in")
