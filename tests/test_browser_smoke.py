"""The browser harness itself: Chromium loads a page from the live server and axe runs."""

import pytest

from tests.support.browser import axe_violations

pytestmark = pytest.mark.browser


async def test_openapi_docs_are_served_to_a_real_browser(live_server, page):
    response = await page.goto(f"{live_server}/health")
    assert response.status == 200
    assert "ok" in await page.content()


async def test_axe_runs_and_reports_a_known_violation(live_server, page):
    await page.set_content("<html><body><img src='x.png'></body></html>")
    violations = await axe_violations(page)
    assert any(v["id"] == "image-alt" for v in violations)
