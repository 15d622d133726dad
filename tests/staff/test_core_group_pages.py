"""Core group pages without a browser: arranging from the plan, the record form, the calendar feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar

from tests.support.factories import make_core_group
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.plans.tables import CoreGroupMeeting, ProgressUpdate


async def test_the_plan_page_says_when_the_first_core_group_is_due_and_links_to_arrange_it(
        client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    html = (await client.get(f"/plans/{world.plan_id}")).text
    assert 'id="core-groups"' in html
    assert "should meet by Tuesday 1 December 2026" in html
    assert f'href="/plans/{world.plan_id}/core-groups/new"' in html
    await as_user(client, world.invitee)
    html = (await client.get(f"/plans/{world.plan_id}")).text
    assert "core-groups/new" not in html  # only those who manage the plan arrange one


async def test_arranging_keeps_what_was_typed_on_a_problem_and_saves_with_invitations(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    url = f"/plans/{world.plan_id}/core-groups/new"
    form = (await client.get(url)).text
    assert "The next one should meet by Tuesday 1 December 2026" in form
    bad = await post_as_form(client, url, {"starts-on-day": "31", "starts-on-month": "2",
                                           "starts-on-year": "2026", "starts_time": "10:00",
                                           "invitees": [str(world.invitee.id)]})
    assert bad.status_code == 400 and 'href="#starts-on"' in bad.text
    early = await post_as_form(client, url, {"starts-on-day": "2", "starts-on-month": "11",
                                             "starts-on-year": "2026", "starts_time": "10:00"})
    assert early.status_code == 400 and "after the conference that made it" in early.text
    assert await CoreGroupMeeting.count().where(CoreGroupMeeting.plan == world.plan_id) == 0
    ok = await post_as_form(client, url, {"starts-on-day": "30", "starts-on-month": "11",
                                          "starts-on-year": "2026", "starts_time": "14:00",
                                          "invitees": [str(world.invitee.id)]})
    assert ok.status_code == 303 and ok.headers["location"].endswith("#core-groups")
    html = (await client.get(f"/plans/{world.plan_id}")).text
    assert "The next meeting is booked for Mon 30 Nov 2026, 2:00pm" in html


async def test_the_record_lists_each_open_action_and_saves_reviews_as_progress_updates(client, clock):
    world = await signable_world(clock.now())
    meeting_id = await make_core_group(world, clock.now())
    await as_user(client, world.lead)
    url = f"/core-groups/{meeting_id}/record"
    page = (await client.get(url)).text
    for action_id in (world.action_id, world.member_action_id):
        assert f'name="status-{action_id}"' in page
        assert f'href="/actions/{action_id}/edit"' in page
    assert 'hx-post="/hints/language?field=family_view"' in page
    member = world.family["members"][0]["id"]
    bad = await post_as_form(client, url, {"better": "b" * 10_001, f"note-{world.action_id}": "x" * 2001})
    assert bad.status_code == 400
    assert 'href="#better"' in bad.text and f'href="#note-{world.action_id}"' in bad.text
    saved = await post_as_form(client, url, {
        "attended": [f"member:{member}", f"user:{world.invitee.id}"],
        f"status-{world.action_id}": "in_progress",
        f"note-{world.action_id}": "Two calls made; Jess finds them useful.",
        "better": "Rosie was in school every day this week.",
        "family_view": "Jess is a bad mother, she says, but things are calmer.",
        "children_view": "Rosie likes breakfast club.", "next_steps": "Keep going.",
    })
    assert saved.status_code == 303, saved.text
    after = (await client.get(saved.headers["location"])).text
    assert 'id="saved-checks"' in after  # the wording checks ran on what was saved
    assert "Two calls made" in after
    update = await ProgressUpdate.select().where(ProgressUpdate.action == world.action_id).order_by(
        ProgressUpdate.id, ascending=False).first()
    assert update["channel"] == "web" and update["author_user"] == world.lead.id


async def test_a_meeting_still_to_come_cannot_be_recorded_from_the_page(client, clock):
    world = await signable_world(clock.now())
    meeting_id = await make_core_group(world, clock.now(),
                                       starts_at=datetime(2026, 11, 30, 14, tzinfo=UTC))
    await as_user(client, world.lead)
    url = f"/core-groups/{meeting_id}/record"
    assert 'id="not-started"' in (await client.get(url)).text
    early = await post_as_form(client, url, {"better": "Too soon."})
    assert early.status_code == 400 and "once the meeting has started" in early.text


async def test_invitees_find_the_meeting_in_their_calendar_feed_without_names(client, clock):
    world = await signable_world(clock.now())
    meeting_id = await make_core_group(world, clock.now(),
                                       starts_at=datetime(2026, 11, 30, 14, tzinfo=UTC))
    await as_user(client, world.invitee)
    page = await post_as_form(client, "/calendar/new")
    path = re.search(r'value="http://testserver\.local(/calendar/[^"]+\.ics)"', page.text).group(1)
    client.cookies.clear()
    response = await client.get(path)
    cal = icalendar.Calendar.from_ical(response.content)
    event = next(ev for ev in cal.walk("VEVENT")
                 if str(ev["UID"]).startswith(f"core-group-{meeting_id}@"))
    assert str(event["SUMMARY"]) == f"Core group meeting (F{world.family['id']})"
    assert event.decoded("DTSTART") == datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert f"/plans/{world.plan_id}#core-groups" in str(event["URL"])
    assert world.family["name"] not in response.content.decode()


async def test_the_invite_list_is_the_people_around_the_family_with_a_find_for_anyone_else(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    url = f"/plans/{world.plan_id}/core-groups/new"
    form = (await client.get(url)).text
    offered = set(re.findall(r'name="invitees" type="checkbox" value="(\d+)"', form))
    assert str(world.invitee.id) in offered  # owns an action on the plan
    assert str(world.lead.id) not in offered  # the person arranging it is there anyway
    assert str(world.outsider.id) not in offered  # not working with the family: found by a search
    found = await post_as_form(client, url, {"starts-on-day": "30", "starts-on-month": "11",
                                             "starts-on-year": "2026", "starts_time": "14:00",
                                             "invitees": [str(world.invitee.id)],
                                             "invitee_q": world.outsider.email, "find_invitees": "1"})
    assert found.status_code == 200 and "1 found" in found.text
    assert f'value="{world.outsider.id}"' in found.text
    assert f'name="invitees" type="checkbox" value="{world.invitee.id}" checked' in found.text
    assert 'name="starts-on-day"' in found.text and 'value="30"' in found.text  # kept as typed
    assert await CoreGroupMeeting.count().where(CoreGroupMeeting.plan == world.plan_id) == 0


async def test_a_weekend_meeting_is_warned_about_then_kept_and_the_plan_page_confirms_it(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    url = f"/plans/{world.plan_id}/core-groups/new"
    saturday = {"starts-on-day": "28", "starts-on-month": "11", "starts-on-year": "2026",
                "starts_time": "10:00", "invitees": [str(world.invitee.id)]}
    warned = await post_as_form(client, url, saturday)
    assert warned.status_code == 200 and "Saturday 28 November 2026 is a weekend day" in warned.text
    assert "Core group meetings are usually held on working days" in warned.text
    assert await CoreGroupMeeting.count().where(CoreGroupMeeting.plan == world.plan_id) == 0
    kept = await post_as_form(client, url, {**saturday, "non_working_ok": "2026-11-28"})
    assert kept.status_code == 303
    page = (await client.get(kept.headers["location"])).text
    assert "The core group meeting is arranged for Sat 28 Nov 2026, 10:00am" in page
    assert "has been sent an email invitation" in page
    again = (await client.get(f"/plans/{world.plan_id}")).text
    assert "is arranged for" not in again  # the confirmation shows once, after saving


async def test_a_bad_invitee_search_gets_a_field_message_and_arranges_nothing(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    url = f"/plans/{world.plan_id}/core-groups/new"
    for bad in ("Helen\x00", "x" * 101):
        answer = await post_as_form(client, url, {"starts-on-day": "30", "starts-on-month": "11",
                                                  "starts-on-year": "2026", "starts_time": "14:00",
                                                  "invitee_q": bad, "find_invitees": "1"})
        # A NUL is refused at the edge for every form ("Nothing was saved"); a long search on its field.
        assert answer.status_code == 400
        assert ("Nothing was saved" in answer.text) if "\x00" in bad else ('href="#invitee-q"' in answer.text)
    assert await CoreGroupMeeting.count().where(CoreGroupMeeting.plan == world.plan_id) == 0
