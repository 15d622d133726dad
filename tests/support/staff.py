"""Signing in from tests: over HTTP with httpx, and in Chromium with Playwright."""

from __future__ import annotations

import re
from typing import Any

CSRF_COOKIE = "csrftoken"
SESSION_COOKIE = "tracker_session"


async def csrf_token(client: Any, path: str = "/signin") -> str:
    """GET a page so the CSRF cookie is set, and return the token forms must echo."""
    if CSRF_COOKIE not in client.cookies:
        await client.get(path)
    return client.cookies[CSRF_COOKIE]


async def post_form(client: Any, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form with the CSRF token, as a browser would."""
    token = await csrf_token(client)
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, **kwargs)


async def sign_in(client: Any, email: str, password: str) -> None:
    """Sign in through the real form (GET for the CSRF cookie, POST with the token)."""
    await client.get("/signin")
    response = await post_form(client, "/signin", {"email": email, "password": password})
    assert response.status_code == 303, f"sign-in failed: {response.status_code} {response.text[:300]}"
    assert SESSION_COOKIE in client.cookies


async def sign_in_page(page: Any, base_url: str, email: str, password: str) -> None:
    """Sign in with Chromium through the real form."""
    await page.goto(f"{base_url}/signin")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_load_state()
    assert not re.search(r"/signin(\?|$)", page.url), f"still on sign-in: {page.url}"
