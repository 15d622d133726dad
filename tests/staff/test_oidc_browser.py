"""Chromium: a person signs in with their organisation's account through a real provider.

Our app is served by uvicorn on a free loopback port, the provider (npm oidc-provider) on
another; Chromium clicks the button, signs in on the provider's own pages and arrives at
/actions. axe-core checks the sign-in page with the single sign-on button, at desk size.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.browser import assert_axe_clean as _axe
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, skip_or_fail_without_provider, start_provider
from tracker.audit import Actor
from tracker.clock import FixedClock
from tracker.people.accounts import create_user
from tracker.people.tables import StaffUser

pytestmark = pytest.mark.browser

EMAIL = "browser.sso@council.example"


@pytest.fixture(scope="module")
def sso_server(migrated: None) -> Iterator[str]:
    """Our app with single sign-on on, and its provider, both on loopback; yields our base URL."""
    import uvicorn

    from tests.conftest import TEST_DB
    from tracker.app import create_app
    from tracker.settings import get_settings

    if TEST_DB != "sqlite":
        pytest.skip("browser tests run against the SQLite build (the live server has its own loop)")
    skip_or_fail_without_provider()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    provider = start_provider(
        redirect_uris=[f"{base}/signin/oidc/callback"],
        accounts={"sub-browser": {"email": EMAIL, "email_verified": True, "name": "Bea Rowser"}},
    )
    settings = dataclasses.replace(get_settings(), public_base_url=base, oidc_issuer=provider.issuer,
                                   oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
    app = create_app(settings, clock=FixedClock(datetime.now(UTC)), scheduler=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=5)
    provider.stop()


async def test_signing_in_with_the_organisations_account_in_chromium(sso_server, browser):
    user_id = await create_user(email=EMAIL, name="Bea Rowser", roles=["professional"],
                                actor=Actor.system("test"), now=datetime.now(UTC))
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    try:
        await page.goto(f"{sso_server}/actions")
        assert "/signin?next=%2Factions" in page.url
        button = page.get_by_role("button", name="Sign in with your organisation's account")
        assert await button.is_visible()
        await _axe(page, "/signin with single sign-on")
        if folder := os.environ.get("SCREENSHOT_DIR"):
            await page.screenshot(path=f"{folder}/signin-sso-desk.png", full_page=True)
        await button.click()
        # The provider's own login page, then its consent page.
        await page.wait_for_selector("input[name=login]")
        assert page.url.startswith("http://127.0.0.1:") and not page.url.startswith(sso_server)
        await page.fill("input[name=login]", "sub-browser")
        await page.fill("input[name=password]", "any password")
        await page.click("button[type=submit]")
        await page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
        await page.click("button[type=submit]")
        await page.wait_for_url(re.compile(re.escape(sso_server) + r"/actions$"))
        assert await page.get_by_role("heading", level=1).first.is_visible()
        assert "Bea Rowser" in await page.content()
        if folder := os.environ.get("SCREENSHOT_DIR"):
            await page.screenshot(path=f"{folder}/actions-after-sso.png")
        row = await StaffUser.select(StaffUser.subject).where(StaffUser.id == user_id).first()
        assert row == {"subject": "sub-browser"}
    finally:
        await context.close()
