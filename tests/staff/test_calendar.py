"""The personal calendar feed: RFC 5545 properties, neutral wording, revocation."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import icalendar

from tests.support.factories import make_user, make_world
from tests.support.staff import post_form, sign_in
from tracker.people.tables import StaffUser
from tracker.staff.tables import CalendarFeed

PASSWORD = "correct horse battery staple"


async def _feed_path(client) -> str:
    page = await post_form(client, "/calendar/new")
    assert page.status_code == 200
    url = re.search(r'value="(http://testserver\.local/calendar/[^"]+\.ics)"', page.text).group(1)
    assert "webcal://testserver.local/calendar/" in page.text
    assert page.headers["cache-control"] == "no-store"
    return url.removeprefix("http://testserver.local")


async def _set_password(user_id: int) -> None:
    from tracker.people.accounts import hash_password

    await StaffUser.update({StaffUser.password_hash: await hash_password(PASSWORD)}).where(
        StaffUser.id == user_id)


async def test_feed_is_valid_rfc5545_with_actions_reports_and_conferences(client, clock):
    world = await make_world(clock.now())
    await _set_password(world.invitee.id)
    await sign_in(client, world.invitee.email, PASSWORD)
    path = await _feed_path(client)
    client.cookies.clear()  # calendar apps send no cookie
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    assert cal["VERSION"] == "2.0" and "Plan tracker" in str(cal["PRODID"])
    events = list(cal.walk("VEVENT"))
    for ev in events:
        assert ev.get("UID") and ev.get("DTSTAMP") and ev.get("DTSTART") and ev.get("SUMMARY")
    uids = [str(ev["UID"]) for ev in events]
    assert len(uids) == len(set(uids))
    action = next(ev for ev in events if str(ev["UID"]).startswith(f"action-{world.action_id}@"))
    start = action.decoded("DTSTART")
    assert isinstance(start, date) and not isinstance(start, datetime)  # all-day
    assert start == clock.now().date() + timedelta(days=14)
    assert action.decoded("DTEND") == start + timedelta(days=1)
    family_id = world.family["id"]
    assert str(action["SUMMARY"]) == f"Plan action due (F{family_id})"
    assert f"/actions#action-{world.action_id}" in str(action["URL"])
    conference = next(ev for ev in events if str(ev["UID"]).startswith(f"conference-{world.conference_id}@"))
    assert conference.decoded("DTSTART").tzinfo is not None
    assert conference["DTSTART"].params.get("TZID") == "Europe/London"
    assert any(tz["TZID"] == "Europe/London" for tz in cal.walk("VTIMEZONE"))
    # The member's own action is not in the professional's calendar.
    assert not any(str(ev["UID"]).startswith(f"action-{world.member_action_id}@") for ev in events)
    # Calendars sync to phones: no family, child or member names anywhere in the feed.
    text = response.content.decode()
    for name in (world.family["name"], "Rosie", "Jess", "Ryan"):
        assert name not in text


async def test_chair_sees_the_conferences_they_chair(client, clock):
    world = await make_world(clock.now())
    await _set_password(world.chair.id)
    await sign_in(client, world.chair.email, PASSWORD)
    path = await _feed_path(client)
    cal = icalendar.Calendar.from_ical((await client.get(path)).content)
    conference = next(ev for ev in cal.walk("VEVENT")
                      if str(ev["UID"]).startswith(f"conference-{world.conference_id}@"))
    assert "You are chairing" in str(conference["DESCRIPTION"])


async def test_revoked_feed_gives_404_and_a_new_address_replaces_the_old(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    first = await _feed_path(client)
    assert (await client.get(first)).status_code == 200
    second = await _feed_path(client)
    assert first != second
    assert (await client.get(first)).status_code == 404
    assert (await client.get(second)).status_code == 200
    page = await client.get("/calendar")
    assert "You have a calendar address" in page.text and ".ics" not in page.text  # shown once only
    response = await post_form(client, "/calendar/revoke")
    assert response.status_code == 303
    assert (await client.get(second)).status_code == 404
    assert "stopped working" in (await client.get("/calendar?revoked=1")).text


async def test_feed_token_is_stored_hashed_and_unknown_tokens_are_404(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    path = await _feed_path(client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    rows = await CalendarFeed.select().where(CalendarFeed.user == user.id)
    assert token not in str(rows)
    assert (await client.get("/calendar/not-a-real-token.ics")).status_code == 404
    assert (await client.get(f"/calendar/{token}")).status_code == 404  # needs the .ics


async def test_deactivated_users_feed_stops(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    path = await _feed_path(client)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == user.id)
    assert (await client.get(path)).status_code == 404


async def test_calendar_page_needs_sign_in(client):
    response = await client.get("/calendar")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=%2Fcalendar"
