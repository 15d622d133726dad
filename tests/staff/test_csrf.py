"""CSRF: every state-changing staff form refuses a request without the double-submit token."""

from __future__ import annotations

import pytest

from tests.staff.test_authorisation import fill, is_public, params_for, staff_routes
from tests.support.factories import make_user, make_world
from tests.support.staff import CSRF_COOKIE, SESSION_COOKIE, sign_in
from tracker.staff.tables import StaffSession

PASSWORD = "correct horse battery staple"

MY_FORMS = [
    "/signin", "/signout", "/reset", "/reset/some-token", "/calendar/new", "/calendar/revoke",
    "/admin/users/new", "/admin/users/{id}", "/admin/users/{id}/deactivate",
    "/admin/users/{id}/reactivate", "/admin/users/{id}/send-link",
]


async def _admin_client(client, clock):
    admin = await make_user(clock.now(), "admin", password=PASSWORD)
    await sign_in(client, admin.email, PASSWORD)
    return admin


@pytest.mark.parametrize("form", MY_FORMS)
async def test_my_forms_refuse_a_post_without_the_token(client, clock, form):
    await _admin_client(client, clock)
    target = await make_user(clock.now())
    path = form.replace("{id}", str(target.id))
    sessions_before = await StaffSession.count()
    response = await client.post(path, data={"email": "x@example.org", "name": "Changed"})
    assert response.status_code == 403
    assert "Nothing was saved" in response.text
    # A token that does not match the cookie is refused too.
    response = await client.post(path, data={"_csrf_token": "forged", "name": "Changed"})
    assert response.status_code == 403
    assert await StaffSession.count() == sessions_before  # e.g. no sign-in happened


async def test_a_cross_site_form_cannot_sign_you_out(client, clock):
    await _admin_client(client, clock)
    raw = client.cookies[SESSION_COOKIE]
    assert (await client.post("/signout")).status_code == 403
    row = await StaffSession.select().where(StaffSession.session_hash != "").order_by(
        StaffSession.id, ascending=False).first()
    assert row["ended_at"] is None and raw


async def test_htmx_sends_the_token_as_a_header(client, clock):
    await _admin_client(client, clock)
    token = client.cookies[CSRF_COOKIE]
    response = await client.post("/calendar/new", headers={"x-csrftoken": token, "HX-Request": "true"})
    assert response.status_code == 200


async def test_every_state_changing_staff_route_refuses_without_a_token(app, client, clock):
    """Enumerated from the app, so forms added later are covered too."""
    world = await make_world(clock.now())
    await _admin_client(client, clock)
    values = params_for(world, world.outsider.id)
    problems = []
    for route in staff_routes(app):
        if route.method in {"GET", "HEAD"} or route.path.startswith(("/f/", "/family")):
            continue  # family pages: tested by tests/family with their own session
        response = await client.request(route.method, fill(route, values), data={"note": "x"})
        if response.status_code != 403:
            problems.append(f"{route.method} {route.path}: {response.status_code}")
        assert not is_public(route) or route.path in {"/signin", "/reset", "/reset/{token}"}
    assert not problems, "accepted without a CSRF token:\n" + "\n".join(problems)
