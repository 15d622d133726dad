"""Browsers get a page, in the right layout and with a way back, for an unknown address, a missing
record, a refusal or the wrong method; the API and JSON clients keep their JSON answers."""

from __future__ import annotations

import pytest

from tests.support.staff_pages import as_user, post_as_form, signable_world

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"accept": "application/json"}


def _is_staff_page(response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<html" in html and 'href="/"' in html  # the staff layout, and a way back
    assert "/family" not in html.split("<main", 1)[-1]  # no family links in a staff page


@pytest.mark.parametrize("path", ["/familys", "/plans/999999", "/conferences/999999/move",
                                  "/nothing/here/at/all"])
async def test_a_browser_gets_a_staff_page_for_an_unknown_address_or_missing_record(
        client, clock, path):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    response = await client.get(path, headers=BROWSER)
    _is_staff_page(response, 404)
    assert "Page not found" in response.text


async def test_json_clients_and_the_api_keep_json(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    for path, headers in (("/familys", JSON), ("/plans/999999", JSON),
                          ("/api/v1/nothing", BROWSER)):
        response = await client.get(path, headers=headers)
        assert response.status_code in (401, 404)
        assert response.headers["content-type"].startswith("application/json"), path
        assert "detail" in response.json()
    api = await client.get("/api/v1/plans/999999", headers=world.lead.headers)
    assert api.status_code == 404 and api.json() == {"detail": "Not found."}


async def test_the_wrong_method_gets_a_staff_page_with_a_way_back(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    response = await client.get(f"/conferences/{world.conference_id}/cancel", headers=BROWSER)
    _is_staff_page(response, 405)
    assert "cannot be opened" in response.text
    assert "POST" in response.headers.get("allow", "")
    as_json = await client.get(f"/conferences/{world.conference_id}/cancel", headers=JSON)
    assert as_json.status_code == 405 and "detail" in as_json.json()


async def test_a_refusal_gets_a_staff_page_and_json_for_json(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    response = await client.get(f"/conferences/{world.conference_id}/move", headers=BROWSER)
    _is_staff_page(response, 403)
    as_json = await client.get(f"/conferences/{world.conference_id}/move", headers=JSON)
    assert as_json.status_code == 403 and "detail" in as_json.json()
    posted = await post_as_form(client, f"/conferences/{world.conference_id}/cancel",
                                {"reason": "Not mine."}, headers=BROWSER)
    _is_staff_page(posted, 403)


@pytest.mark.parametrize("path", ["/family/nothing-here", "/family/steps/999999/nothing",
                                  "/f/not-a-token/more"])
async def test_family_addresses_get_a_kind_family_page_without_staff_links(client, path):
    response = await client.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "We cannot find that page" in html and 'href="/family"' in html
    for staff_link in ('href="/actions"', 'href="/caseload"', 'href="/chair"', "Sign out"):
        assert staff_link not in html
