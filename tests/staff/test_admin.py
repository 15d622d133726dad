"""The admin page: add, change, deactivate and reactivate accounts; every change audited."""

from __future__ import annotations

import json

from tests.support.factories import make_user
from tests.support.staff import SESSION_COOKIE, post_form, sign_in
from tracker.audit import AuditEvent
from tracker.notify.tables import Outbox
from tracker.people.tables import ApiToken, StaffUser
from tracker.staff.tables import CalendarFeed, StaffSession

PASSWORD = "correct horse battery staple"


async def _admin(client, clock):
    admin = await make_user(clock.now(), "admin", name="Ada Admin", password=PASSWORD)
    await sign_in(client, admin.email, PASSWORD)
    return admin


async def _audits(record_type: str, record_id: int) -> list[dict]:
    rows = await AuditEvent.select().where(
        (AuditEvent.record_type == record_type) & (AuditEvent.record_id == record_id)
    ).order_by(AuditEvent.id)
    return [{**r, "changes": json.loads(r["changes"])} for r in rows]


async def test_admin_lists_everyone(client, clock):
    admin = await _admin(client, clock)
    other = await make_user(clock.now(), name="Bea Visitor")
    page = await client.get("/admin")
    assert page.status_code == 200
    assert "Bea Visitor" in page.text and other.email in page.text and admin.email in page.text


async def test_professionals_and_chairs_cannot_open_admin(client, clock):
    for role in ("professional", "chair"):
        client.cookies.clear()
        user = await make_user(clock.now(), role, password=PASSWORD)
        await sign_in(client, user.email, PASSWORD)
        response = await client.get("/admin")
        assert response.status_code == 403 and "You cannot open this page" in response.text
        assert (await post_form(client, "/admin/users/new", {"name": "X"})).status_code == 403


async def test_add_a_person_who_then_chooses_a_password_from_the_emailed_link(client, clock):
    admin = await _admin(client, clock)
    response = await post_form(client, "/admin/users/new", {
        "name": "Nia Nurse", "email": "Nia.Nurse@nhs.example", "role_title": "Health visitor",
        "agency": "NHS", "phone": "01632 960 001", "roles": ["professional"],
    })
    assert response.status_code == 303 and response.headers["location"] == "/admin?done=added"
    user = await StaffUser.select().where(StaffUser.email == "nia.nurse@nhs.example").first()
    assert user["password_hash"] is None and user["roles"] == "professional"
    events = await _audits("staff_user", user["id"])
    assert events[0]["action"] == "create" and events[0]["actor_user_id"] == admin.id
    assert events[0]["channel"] == "web"
    invite = await Outbox.select().where(Outbox.recipient_user == user["id"]).first()
    assert invite["template"] == "account_invite"
    path = json.loads(invite["context"])["link"].removeprefix("http://testserver.local")
    client.cookies.clear()
    clock.advance(hours=23)  # an invite lasts a day, not 10 minutes
    new = "nia's own long passphrase"
    assert (await post_form(client, path, {"password": new, "confirm": new})).status_code == 303
    await sign_in(client, "nia.nurse@nhs.example", new)


async def test_admin_can_set_an_initial_password(client, clock):
    await _admin(client, clock)
    response = await post_form(client, "/admin/users/new", {
        "name": "Cal Chair", "email": "cal@example.org", "roles": ["chair", "professional"],
        "password": "an initial long password",
    })
    assert response.status_code == 303
    client.cookies.clear()
    await sign_in(client, "cal@example.org", "an initial long password")
    assert (await client.get("/")).headers["location"] == "/chair"


async def test_errors_are_listed_and_nothing_typed_is_lost(client, clock):
    admin = await _admin(client, clock)
    response = await post_form(client, "/admin/users/new", {
        "name": "Dee Duplicate", "email": admin.email, "role_title": "Teacher",
        "agency": "Oak School", "phone": "not a phone", "password": "short",
    })
    assert response.status_code == 400
    text = response.text
    assert "There is a problem" in text
    for field in ("phone", "roles", "password"):
        assert f'href="#{field}"' in text
    assert 'value="Dee Duplicate"' in text and 'value="Oak School"' in text and 'value="Teacher"' in text
    assert 'value="short"' not in text
    assert not await StaffUser.exists().where(StaffUser.name == "Dee Duplicate")
    # Fix those, and the duplicate email is named next.
    response = await post_form(client, "/admin/users/new", {
        "name": "Dee Duplicate", "email": admin.email, "roles": ["professional"]})
    assert response.status_code == 400 and "already uses this email" in response.text


async def test_change_details_and_roles_is_audited(client, clock):
    admin = await _admin(client, clock)
    user = await make_user(clock.now(), name="Ed Edit")
    form = await client.get(f"/admin/users/{user.id}")
    assert form.status_code == 200 and 'value="Ed Edit"' in form.text
    response = await post_form(client, f"/admin/users/{user.id}", {
        "name": "Ed Edited", "email": user.email, "role_title": "Lead social worker",
        "agency": "Children's Services", "roles": ["professional", "chair"]})
    assert response.status_code == 303
    row = await StaffUser.select().where(StaffUser.id == user.id).first()
    assert row["name"] == "Ed Edited" and row["roles"] == "chair,professional"
    change = (await _audits("staff_user", user.id))[-1]
    assert change["actor_user_id"] == admin.id and change["channel"] == "web"
    assert change["changes"]["name"] == ["Ed Edit", "Ed Edited"]
    assert change["changes"]["roles"] == ["professional", "chair,professional"]


async def test_the_last_admin_keeps_the_admin_role_and_cannot_deactivate_themselves(client, clock):
    admin = await _admin(client, clock)
    # Other tests leave admins about; make this admin the only active one.
    await StaffUser.update({StaffUser.active: False}).where(
        (StaffUser.id != admin.id) & StaffUser.roles.like("%admin%"))
    response = await post_form(client, f"/admin/users/{admin.id}", {
        "name": admin.name, "email": admin.email, "roles": ["professional"]})
    assert response.status_code == 400 and "at least one admin" in response.text
    response = await post_form(client, f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 400 and "your own account" in response.text


async def test_deactivation_ends_sessions_and_revokes_tokens_and_calendar(client, clock):
    await _admin(client, clock)
    admin_cookie = client.cookies[SESSION_COOKIE]
    user = await make_user(clock.now(), password=PASSWORD)
    # The user is signed in elsewhere, uses the API, and has a calendar feed.
    client.cookies.clear()
    await sign_in(client, user.email, PASSWORD)
    user_cookie = client.cookies[SESSION_COOKIE]
    await post_form(client, "/calendar/new")
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, admin_cookie, domain="testserver.local")
    response = await post_form(client, f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 303
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 401
    assert all(r["ended_at"] for r in await StaffSession.select().where(StaffSession.user == user.id))
    assert all(r["revoked_at"] for r in await ApiToken.select().where(ApiToken.user == user.id))
    assert all(r["revoked_at"] for r in await CalendarFeed.select().where(CalendarFeed.user == user.id))
    other = client.__class__(transport=client._transport, base_url=client.base_url)
    other.cookies.set(SESSION_COOKIE, user_cookie, domain="testserver.local")
    assert (await other.get("/calendar")).status_code == 303
    await other.aclose()
    change = [e for e in await _audits("staff_user", user.id) if "active" in e["changes"]][-1]
    assert change["changes"]["active"] == [True, False]
    assert change["changes"]["api_tokens_revoked"] == [None, 1]
    # And back again: they can sign in, but old tokens stay revoked.
    assert (await post_form(client, f"/admin/users/{user.id}/reactivate")).status_code == 303
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 401
    client.cookies.clear()
    await sign_in(client, user.email, PASSWORD)


async def test_unknown_user_is_not_found_not_500(client, clock):
    await _admin(client, clock)
    assert (await client.get("/admin/users/999999")).status_code == 404
    assert (await post_form(client, "/admin/users/999999", {"name": "x"})).status_code == 404
    assert (await post_form(client, "/admin/users/999999/deactivate")).status_code == 404


async def test_send_a_password_link_from_admin(client, clock):
    await _admin(client, clock)
    user = await make_user(clock.now())
    response = await post_form(client, f"/admin/users/{user.id}/send-link")
    assert response.status_code == 303
    assert await Outbox.exists().where(
        (Outbox.recipient_user == user.id) & (Outbox.template == "account_invite"))


async def test_missing_records_get_a_kind_page_not_json(client, clock):
    await _admin(client, clock)
    response = await client.get("/admin/users/999999")
    assert response.status_code == 404 and "Page not found" in response.text
    assert "text/html" in response.headers["content-type"]
    assert (await client.get("/api/v1/families/999999")).status_code == 401  # API: no cookie auth
