"""The family is told when their booked meeting moves or is cancelled: each adult who may be
messaged, by the channel they chose, with their plan link and nothing a shared phone should show.

Through the real app (staff pages and the JSON API), a dispatcher tick, and loopback peers
speaking Twilio's API and SMTP.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx
import pytest

from tests.notify.test_webhooks import BASE
from tests.support.factories import POLICY, SYSTEM, WINDOWS, at
from tests.support.inbound import OwnNumbers, dispatch_once
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.clock import LONDON
from tracker.notify.outbox import enqueue
from tracker.notify.pacing import falls_due_on
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import FamilyMember, Plan

pytestmark = pytest.mark.usefixtures("clean_outbox", "outbox_left_empty")
LINK = re.compile(r"http://testserver\.local/f/[A-Za-z0-9_\-]{20,}")
REASON = "Rosie's court hearing was moved, so Test agency asked for a new date."
own_number = OwnNumbers(1000, 1100).give


@pytest.fixture
async def outbox_left_empty():  # type: ignore[no-untyped-def]
    """Leave no row behind: the database is shared, and a later test's tick claims the oldest
    due rows (a batch at a time), whoever queued them."""
    yield
    await Outbox.delete(force=True)


@pytest.fixture
async def hooks(migrated, clock, real_settings):  # type: ignore[no-untyped-def]
    """The app with Twilio and SMTP settings, and a client on the same loop."""
    from tracker.app import create_app

    app = create_app(real_settings, clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


@dataclass
class Adults:
    """The world's family, filled out: who may be told and who may not."""

    jess: int  # texts, with consent
    jess_mobile: str
    amy: int  # email
    amy_email: str
    not_told: list[int]  # Ryan (not safe), Kim (not safe, though she chose texts), Dee (no
    # consent to texts), Tom (opted out), Lou (chose no messages)


async def _member(family_id: int, name: str, **values: object) -> int:
    row = await FamilyMember.insert(FamilyMember(family=family_id, name=name, **values)).returning(
        FamilyMember.id)
    return int(row[0]["id"])


async def _adults(world, now: datetime) -> Adults:  # type: ignore[no-untyped-def]
    jess, number = await own_number(world)
    family_id = world.family["id"]
    amy_email = f"amy.{family_id}@example.org"
    amy = await _member(family_id, "Amy Gran", relationship="Gran", email=amy_email,
                        preferred_channel="email")
    ryan = world.family["members"][1]["id"]
    kim = await _member(family_id, "Kim", mobile="+447700901999", preferred_channel="sms",
                        sms_consent=True, safe_to_contact=False)
    dee = await _member(family_id, "Dee", mobile="+447700901998", preferred_channel="sms",
                        sms_consent=False)
    tom = await _member(family_id, "Tom", mobile="+447700901997", preferred_channel="sms",
                        sms_consent=True, opted_out_at=now - timedelta(days=3))
    lou = await _member(family_id, "Lou", email="lou@example.org", preferred_channel="none")
    return Adults(jess=jess, jess_mobile=number, amy=amy, amy_email=amy_email,
                  not_told=[ryan, kim, dee, tom, lou])


def _next_weekday(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7 or 7)


def _form_date(d: date, time: str = "11:30") -> dict[str, str]:
    return {"starts-on-day": str(d.day), "starts-on-month": str(d.month),
            "starts-on-year": str(d.year), "starts_time": time}


async def _book(world, now: datetime, starts_at: datetime | None = None) -> int:  # type: ignore[no-untyped-def]
    """A review booked three weeks ahead (a Tuesday at 10:00), unless told when."""
    day = _next_weekday(now.astimezone(LONDON).date() + timedelta(days=21), 1)
    return await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=starts_at or at(day), chair_id=world.chair.id,
                          invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=now, policy=POLICY)


async def _family_rows(world, template: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return await Outbox.select().where(
        (Outbox.template == template) & (Outbox.family_id == world.family["id"])
    ).order_by(Outbox.id)


def _names_nothing_sensitive(text: str, world) -> None:  # type: ignore[no-untyped-def]
    for secret in ("Rosie", world.family["name"], "Test agency", REASON, "court",
                   world.lead.name, world.invitee.name, world.chair.name):
        assert secret not in text, f"{secret!r} in {text!r}"


def _email_text(mail) -> str:  # type: ignore[no-untyped-def]
    return "\n".join([str(mail["Subject"]), mail.get_body(("plain",)).get_content(),
                      mail.get_body(("html",)).get_content()])


async def test_a_move_on_the_staff_page_tells_each_adult_who_may_be_told_once_with_their_link(
        hooks, clock, real_settings, twilio_server, smtp_server):
    now = clock.now()
    world = await signable_world(now)
    adults = await _adults(world, now)
    conference_id = await _book(world, now)
    await as_user(hooks, world.lead)
    page = (await hooks.get(f"/conferences/{conference_id}/move")).text
    assert "Each adult in the family who has agreed to messages is told the new date" in page
    thursday = _next_weekday(now.astimezone(LONDON).date() + timedelta(days=7), 3)
    moved = await post_as_form(hooks, f"/conferences/{conference_id}/move", _form_date(thursday))
    assert moved.status_code == 303, moved.text[:600]
    rows = await _family_rows(world, "member_conference_moved")
    assert [(r["recipient_member"], r["channel"]) for r in rows] == [
        (adults.jess, "sms"), (adults.amy, "email")]
    for row in rows:
        _names_nothing_sensitive(row["context"], world)
        assert json.loads(row["context"])["conference_at"].startswith(thursday.isoformat())
    # Sent the same moment again (a double click): already there, nobody is told twice.
    again = await post_as_form(hooks, f"/conferences/{conference_id}/move", _form_date(thursday))
    assert again.headers["location"].endswith("saved=unmoved")
    assert len(await _family_rows(world, "member_conference_moved")) == 2

    await dispatch_once(clock, real_settings)
    await dispatch_once(clock, real_settings)  # a second tick sends nothing again
    [text] = twilio_server.to(adults.jess_mobile)
    assert text["body"].startswith("Hi Jess, your family's meeting has a new date: ")
    assert f"{thursday:%a} {thursday.day} {thursday:%b}, 11:30am" in text["body"]
    assert LINK.search(text["body"])
    _names_nothing_sensitive(text["body"], world)
    [mail] = smtp_server.to(adults.amy_email)
    body = _email_text(mail)
    assert "Hello Amy," in body and LINK.search(body)
    assert f"{thursday:%A} {thursday.day} {thursday:%B} at 11:30am" in body
    _names_nothing_sensitive(body, world)
    assert len(twilio_server.messages) == 1  # nobody else was texted: not Kim, Dee or Tom
    assert not smtp_server.to("lou@example.org")
    for member_id in adults.not_told:
        assert not await Outbox.exists().where(Outbox.recipient_member == member_id)


async def test_moving_it_over_the_api_and_back_again_tells_the_family_each_time(
        hooks, clock, real_settings, twilio_server):
    now = clock.now()
    world = await signable_world(now)
    adults = await _adults(world, now)
    conference_id = await _book(world, now)
    booked = (await service.conference_view(conference_id, policy=POLICY))["starts_at"]
    thursday = _next_weekday(now.astimezone(LONDON).date() + timedelta(days=7), 3)
    base = f"/api/v1/conferences/{conference_id}"
    there = await hooks.post(f"{base}/move", headers=world.lead.headers,
                             json={"starts_at": at(thursday, 14).isoformat()})
    assert there.status_code == 200, there.text
    back = await hooks.post(f"{base}/move", headers=world.lead.headers,
                            json={"starts_at": booked.isoformat()})
    assert back.status_code == 200, back.text
    rows = await _family_rows(world, "member_conference_moved")
    assert [r["recipient_member"] for r in rows] == [adults.jess, adults.amy] * 2
    assert len({r["key"] for r in rows}) == 4
    await dispatch_once(clock, real_settings)
    texts = twilio_server.to(adults.jess_mobile)
    assert len(texts) == 2
    assert "2:00pm" in texts[0]["body"] and "10:00am" in texts[1]["body"]


async def test_a_new_date_through_the_arrangements_form_or_a_patch_tells_the_family(hooks, clock):
    now = clock.now()
    world = await signable_world(now)
    adults = await _adults(world, now)
    conference_id = await _book(world, now)
    await as_user(hooks, world.lead)
    thursday = _next_weekday(now.astimezone(LONDON).date() + timedelta(days=7), 3)
    changed = await post_as_form(hooks, f"/conferences/{conference_id}/arrangements", {
        **_form_date(thursday), "chair": str(world.chair.id), "invitees": [str(world.invitee.id)]})
    assert changed.status_code == 303, changed.text[:600]
    assert len(await _family_rows(world, "member_conference_moved")) == 2
    # The invitations alone change: no new date, nothing to tell the family.
    same = await post_as_form(hooks, f"/conferences/{conference_id}/arrangements", {
        **_form_date(thursday), "chair": str(world.chair.id), "invitees": []})
    assert same.status_code == 303
    assert len(await _family_rows(world, "member_conference_moved")) == 2
    patched = await hooks.patch(f"/api/v1/conferences/{conference_id}", headers=world.lead.headers,
                                json={"starts_at": at(thursday + timedelta(days=1), 11).isoformat()})
    assert patched.status_code == 200, patched.text
    rows = await _family_rows(world, "member_conference_moved")
    assert [r["recipient_member"] for r in rows[2:]] == [adults.jess, adults.amy]


async def test_a_cancel_on_the_staff_page_tells_the_family_but_never_why(
        hooks, clock, real_settings, twilio_server, smtp_server):
    now = clock.now()
    world = await signable_world(now)
    adults = await _adults(world, now)
    conference_id = await _book(world, now)
    booked = (await service.conference_view(conference_id, policy=POLICY))["starts_at"]
    await as_user(hooks, world.lead)
    done = await post_as_form(hooks, f"/conferences/{conference_id}/cancel", {"reason": REASON})
    assert done.status_code == 303, done.text[:600]
    rows = await _family_rows(world, "member_conference_cancelled")
    assert [(r["recipient_member"], r["channel"]) for r in rows] == [
        (adults.jess, "sms"), (adults.amy, "email")]
    for row in rows:
        _names_nothing_sensitive(row["context"], world)
    await dispatch_once(clock, real_settings)
    await dispatch_once(clock, real_settings)
    [text] = twilio_server.to(adults.jess_mobile)
    day = booked.astimezone(LONDON).date()
    assert text["body"].startswith(f"Hi Jess, your family's meeting on {day:%a} {day.day} {day:%b} "
                                   "is cancelled.")
    assert LINK.search(text["body"])
    _names_nothing_sensitive(text["body"], world)
    [mail] = smtp_server.to(adults.amy_email)
    body = _email_text(mail)
    assert "will not go ahead" in body and LINK.search(body)
    _names_nothing_sensitive(body, world)
    assert len(twilio_server.messages) == 1
    for member_id in adults.not_told:
        assert not await Outbox.exists().where(Outbox.recipient_member == member_id)


async def test_a_cancel_over_the_api_tells_the_family(hooks, clock):
    now = clock.now()
    world = await signable_world(now)
    adults = await _adults(world, now)
    conference_id = await _book(world, now)
    done = await hooks.post(f"/api/v1/conferences/{conference_id}/cancel",
                            headers=world.lead.headers, json={"reason": REASON})
    assert done.status_code == 200, done.text
    rows = await _family_rows(world, "member_conference_cancelled")
    assert [r["recipient_member"] for r in rows] == [adults.jess, adults.amy]
    assert all(REASON not in r["context"] for r in rows)


async def test_a_family_without_a_current_plan_has_no_page_to_send_them_to_so_nothing_is_queued(
        hooks, clock):
    now = clock.now()
    world = await signable_world(now)
    await _adults(world, now)
    conference_id = await _book(world, now)
    await Plan.update({Plan.status: "ended"}).where(Plan.id == world.plan_id)
    done = await hooks.post(f"/api/v1/conferences/{conference_id}/cancel",
                            headers=world.lead.headers, json={"reason": REASON})
    assert done.status_code == 200, done.text
    assert not await _family_rows(world, "member_conference_cancelled")
    assert len(await Outbox.select().where(Outbox.template == "conference_cancelled")) == 2


async def test_tomorrows_meeting_cancelled_goes_even_when_the_weeks_texts_are_used_up(
        hooks, clock, real_settings, twilio_server):
    now = clock.now()
    world = await signable_world(now)
    adults = await _adults(world, now)
    for n in range(real_settings.member_texts_per_week):
        await enqueue(channel="sms", template="family_link", context={"name": "Jess", "needs_link": True},
                      due_at=now, key=f"family_link:member:{adults.jess}:test{n}", windows=WINDOWS,
                      recipient_member_id=adults.jess)
    await dispatch_once(clock, real_settings)
    assert len(twilio_server.to(adults.jess_mobile)) == real_settings.member_texts_per_week
    soon = await _book(world, now, at(now.astimezone(LONDON).date() + timedelta(days=1), 15))
    later = await _book(world, now)
    for conference_id in (soon, later):
        done = await hooks.post(f"/api/v1/conferences/{conference_id}/cancel",
                                headers=world.lead.headers, json={"reason": REASON})
        assert done.status_code == 200, done.text
    await dispatch_once(clock, real_settings)
    texts = twilio_server.to(adults.jess_mobile)
    # Tomorrow's goes at once (they must not set out for it); the one weeks away waits its turn.
    assert len(texts) == real_settings.member_texts_per_week + 1
    assert "is cancelled" in texts[-1]["body"]
    [held] = await Outbox.select().where((Outbox.recipient_member == adults.jess)
                                         & (Outbox.status == "pending"))
    assert held["reason"].startswith("held:")


def test_a_meeting_moved_from_or_to_tomorrow_or_cancelled_tomorrow_falls_due_today():
    today = date(2026, 11, 24)

    def row(**context: str) -> dict[str, str]:
        return {"context": json.dumps(context)}

    tomorrow, weeks_away = at(today + timedelta(days=1)).isoformat(), at(today + timedelta(days=21)).isoformat()
    assert falls_due_on(row(was_at=tomorrow), today)
    assert falls_due_on(row(was_at=tomorrow, conference_at=weeks_away), today)
    assert falls_due_on(row(was_at=weeks_away, conference_at=tomorrow), today)
    assert not falls_due_on(row(was_at=weeks_away, conference_at=weeks_away), today)
    assert not falls_due_on(row(was_at=weeks_away), today)
