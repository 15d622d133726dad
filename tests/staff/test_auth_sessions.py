"""Staff sessions: sign-in, fixation, idle and absolute timeouts, sign-out, safe redirects."""

from __future__ import annotations

import pytest

from tests.support.factories import make_user
from tests.support.staff import SESSION_COOKIE, post_form, sign_in
from tracker.staff.sessions import safe_next
from tracker.staff.tables import StaffSession
from tracker.tokens import hash_token

PASSWORD = "correct horse battery staple"


async def _session_row(raw: str) -> dict | None:
    return await StaffSession.select().where(StaffSession.session_hash == hash_token(raw)).first()


async def test_signed_out_page_request_is_sent_to_sign_in_and_back(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    response = await client.get("/calendar?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fcalendar%3Fx%3D1"
    await client.get("/signin")
    response = await post_form(client, "/signin", {"email": user.email, "password": PASSWORD,
                                                   "next": "/calendar?x=1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/calendar?x=1"
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # http in tests; Secure when PUBLIC_BASE_URL is https


async def test_start_page_sends_chairs_to_their_dashboard_and_others_to_actions(client, clock):
    chair = await make_user(clock.now(), "chair", password=PASSWORD)
    await sign_in(client, chair.email, PASSWORD)
    assert (await client.get("/")).headers["location"] == "/chair"
    client.cookies.clear()
    pro = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, pro.email, PASSWORD)
    assert (await client.get("/")).headers["location"] == "/actions"


async def test_a_signed_in_page_shows_the_name_and_sign_out(client, clock):
    user = await make_user(clock.now(), "admin", name="Ada Admin", password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    page = await client.get("/calendar")
    assert page.status_code == 200
    assert "Ada Admin" in page.text and 'action="/signout"' in page.text
    assert 'href="/admin"' in page.text and "hx-headers" in page.text
    assert "govuk-logo" not in page.text and "crown" not in page.text.lower()


async def test_session_id_changes_at_sign_in_and_the_old_one_is_ended(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    first = client.cookies[SESSION_COOKIE]
    # Signing in again (e.g. a planted cookie) never keeps the presented id.
    await client.get("/signin?next=/x")
    response = await post_form(client, "/signin", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    assert (await _session_row(first))["ended_at"] is not None
    assert (await _session_row(second))["ended_at"] is None
    assert len(second) >= 43  # 256 bits, URL-safe base64
    assert (await _session_row(second))["session_hash"] == hash_token(second)


async def test_planted_unknown_session_cookie_is_not_adopted(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-value", domain="testserver.local")
    assert (await client.get("/calendar")).status_code == 303
    await sign_in(client, user.email, PASSWORD)
    assert client.cookies[SESSION_COOKIE] != "attacker-chosen-value"


async def test_idle_for_31_minutes_sends_you_back_to_sign_in(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    clock.advance(minutes=29)
    assert (await client.get("/calendar")).status_code == 200  # activity resets the idle timer
    clock.advance(minutes=29)
    assert (await client.get("/calendar")).status_code == 200
    clock.advance(minutes=31)
    response = await client.get("/calendar")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    row = await StaffSession.select().where(StaffSession.user == user.id).first()
    assert row["ended_reason"] == "idle"


async def test_session_ends_after_12_hours_however_busy(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    for _ in range(12 * 4 - 1):
        clock.advance(minutes=15)
        assert (await client.get("/calendar")).status_code == 200
    clock.advance(minutes=15)
    response = await client.get("/calendar")
    assert response.status_code == 303
    row = await StaffSession.select().where(StaffSession.user == user.id).first()
    assert row["ended_reason"] == "absolute"


async def test_last_seen_is_written_at_most_once_a_minute(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    raw = client.cookies[SESSION_COOKIE]
    clock.advance(seconds=30)
    await client.get("/calendar")
    assert (await _session_row(raw))["last_seen_at"] < clock.now()
    clock.advance(seconds=31)
    await client.get("/calendar")
    assert (await _session_row(raw))["last_seen_at"] == clock.now()


async def test_sign_out_ends_the_session_on_the_server(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    raw = client.cookies[SESSION_COOKIE]
    response = await post_form(client, "/signout")
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert (await _session_row(raw))["ended_reason"] == "signout"
    # Replaying the old cookie (say, from a copied browser profile) no longer works.
    client.cookies.set(SESSION_COOKIE, raw, domain="testserver.local")
    assert (await client.get("/calendar")).status_code == 303


async def test_a_deactivated_users_session_stops_working(client, clock):
    from tracker.people.tables import StaffUser

    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == user.id)
    assert (await client.get("/calendar")).status_code == 303


async def test_htmx_requests_without_a_session_get_a_full_page_redirect(client):
    response = await client.get("/calendar", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"].startswith("/signin")


async def test_api_without_token_still_answers_json_401(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"]


async def test_session_cookie_does_not_authenticate_the_api(client, clock):
    # The API is CSRF-exempt, so a cookie must never be enough there.
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize("wanted, expected", [
    ("/actions?x=1", "/actions?x=1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),
    ("/\r\nx", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
    (None, "/"),
])
def test_next_only_allows_local_paths(wanted, expected):
    assert safe_next(wanted) == expected


async def test_sign_in_never_redirects_off_site(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await client.get("/signin")
    response = await post_form(client, "/signin", {"email": user.email, "password": PASSWORD,
                                                   "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


def test_session_cookie_is_secure_behind_https():
    from dataclasses import replace

    from tracker.settings import get_settings
    from tracker.staff.sessions import session_cookie

    https = replace(get_settings(), public_base_url="https://tracker.example.gov.uk")
    header = session_cookie("abc", https).to_header(header="")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=lax" in header.replace("Lax", "lax")
    assert "Max-Age" not in header  # ends with the browser; the server enforces 12 hours


async def test_old_sessions_are_pruned_but_live_ones_kept(client, clock):
    from datetime import timedelta

    from tracker.staff.sessions import prune_sessions

    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    live = client.cookies[SESSION_COOKIE]
    await prune_sessions(now=clock.now())
    assert await _session_row(live) is not None
    assert await prune_sessions(now=clock.now() + timedelta(days=31, hours=12)) >= 1
    assert await _session_row(live) is None
