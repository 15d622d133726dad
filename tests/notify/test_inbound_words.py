"""Replies are conversation; keywords are exact; LINK texts the plan link back (signed webhooks).

Every request here is signed as Twilio signs it (tests/notify/test_webhooks.py's helpers), and
every text we send goes to the loopback Twilio server through the real dispatcher.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.notify.test_webhooks import BASE, new_sid, post, signed
from tests.support.factories import WINDOWS, make_world
from tests.support.inbound import OwnNumbers, dispatch_once
from tracker.audit import AuditEvent
from tracker.notify.outbox import enqueue
from tracker.notify.tables import Outbox
from tracker.plans.tables import FamilyMember, PlanMessage

pytestmark = pytest.mark.usefixtures("clean_outbox")
PATH = "/webhooks/twilio/inbound"


own_number = OwnNumbers(600, 800).give
_dispatch = dispatch_once


@pytest.fixture
async def hooks(migrated, clock, real_settings):  # type: ignore[no-untyped-def]
    """The app with Twilio settings, and a client on the same loop."""
    from tracker.app import create_app

    app = create_app(real_settings, clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def _member(member_id: int) -> dict:
    return await FamilyMember.select().where(FamilyMember.id == member_id).first()


async def _messages(member_id: int) -> list[str]:
    return [m["body"] for m in await PlanMessage.select(PlanMessage.body).where(PlanMessage.member == member_id)]


async def _lead_told() -> int:
    return await Outbox.count().where(Outbox.template == "family_replied")


@pytest.mark.parametrize("body", ["Yes", "yes", "Help please", "Stop.", "stop texting on sundays", "YES please"])
async def test_replies_that_are_not_exact_keywords_are_saved_and_the_lead_is_told(body, hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    answer = await post(hooks, PATH, {"From": number, "Body": body})
    assert answer.status_code == 200 and "Thank you, Jess" in answer.text
    assert await _messages(jess) == [body]
    [saved] = await PlanMessage.select(PlanMessage.visibility).where(PlanMessage.member == jess)
    assert saved["visibility"] == "lead"  # a text reply is for the lead only
    assert (await _member(jess))["opted_out_at"] is None
    assert await _lead_told() == 1


async def test_a_lone_help_is_saved_and_also_gets_the_contact_reply(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    answer = await post(hooks, PATH, {"From": number, "Body": "  help "})
    assert "For help, please contact Sam Lead" in answer.text and "Thank you" not in answer.text
    assert await _messages(jess) == ["help"]
    assert await _lead_told() == 1


async def test_only_the_whole_message_stop_opts_out(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    await post(hooks, PATH, {"From": number, "Body": "Please stop"})
    assert (await _member(jess))["opted_out_at"] is None
    answer = await post(hooks, PATH, {"From": number, "Body": " sToP \n"})
    assert "<Message>" not in answer.text  # Twilio confirms an opt-out itself
    assert (await _member(jess))["opted_out_at"] == clock.now()
    assert await _messages(jess) == ["Please stop"]


async def test_start_opts_back_in_only_a_member_who_opted_out(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    # Opted in already: START is words for the plan, and nothing about consent changes.
    audit_before = await AuditEvent.count().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess))
    answer = await post(hooks, PATH, {"From": number, "Body": "START"})
    assert "Thank you, Jess" in answer.text and await _messages(jess) == ["START"]
    assert await AuditEvent.count().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess)) == audit_before
    # Opted out: START (or UNSTOP) opts back in, audited, and is not saved as a message.
    await post(hooks, PATH, {"From": number, "Body": "STOP"})
    assert (await _member(jess))["opted_out_at"] is not None
    answer = await post(hooks, PATH, {"From": number, "Body": "unstop"})
    assert (await _member(jess))["opted_out_at"] is None
    assert await _messages(jess) == ["START"]
    assert await AuditEvent.count().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess)) == audit_before + 2


@pytest.mark.parametrize("body", ["LINK", "new link", "Link  Please", " new   LINK "])
async def test_asking_for_the_link_texts_it_back_and_it_opens_the_plan(body, hooks, clock, real_settings,
                                                                      twilio_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    answer = await post(hooks, PATH, {"From": number, "Body": body})
    assert answer.status_code == 200 and "<Message>" not in answer.text
    assert await _messages(jess) == [] and await _lead_told() == 0
    await _dispatch(clock, real_settings)
    [text] = twilio_server.to(number)
    assert "here is the link to your plan" in text["body"] and "Rosie" not in text["body"]
    path = text["body"].split(BASE, 1)[1]
    opened = await hooks.get(path)
    assert opened.status_code == 200 and "Continue" in opened.text


async def test_link_is_not_texted_to_a_member_who_has_not_agreed_to_texts(hooks, clock, real_settings,
                                                                         twilio_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    await FamilyMember.update({FamilyMember.sms_consent: False}).where(FamilyMember.id == jess)
    await post(hooks, PATH, {"From": number, "Body": "LINK"})
    await _dispatch(clock, real_settings)
    assert twilio_server.to(number) == []
    assert await _messages(jess) == ["LINK"]  # the lead sees they asked


async def test_a_replayed_link_request_texts_the_link_once(hooks, clock, real_settings, twilio_server):
    world = await make_world(clock.now())
    _, number = await own_number(world)
    params = {"MessageSid": new_sid(), "From": number, "Body": "LINK"}
    headers = signed(PATH, params)
    for _ in range(3):
        assert (await hooks.post(PATH, data=params, headers=headers)).status_code == 200
    await _dispatch(clock, real_settings)
    assert len(twilio_server.to(number)) == 1


async def test_two_successive_texts_carry_links_that_both_open_the_plan(hooks, clock, real_settings,
                                                                       twilio_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    for n in (1, 2):
        await enqueue(windows=WINDOWS, channel="sms", template="member_action_due", due_at=clock.now(),
                      key=f"test:two-texts:{jess}:{n}", recipient_member_id=jess,
                      context={"name": "Jess", "due_on": "2026-12-04", "needs_link": True})
        await _dispatch(clock, real_settings)
        clock.advance(days=3)
    texts = twilio_server.to(number)
    assert len(texts) == 2
    stored = [json.loads(r["context"]) for r in await Outbox.select(Outbox.context).where(
        Outbox.recipient_member == jess)]
    assert all("link" not in c or c["link"] == "(sent)" for c in stored)
    for text in texts:
        path = text["body"].split(BASE, 1)[1]
        async with httpx.AsyncClient(transport=hooks._transport, base_url=BASE) as phone:
            page = await phone.get(path)
            assert page.status_code == 200
            assert (await phone.post(path, data={"_csrf_token": _csrf(page.text)})).status_code == 303


def _csrf(html: str) -> str:
    return html.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]


async def test_the_asked_for_link_is_texted_even_in_quiet_hours(hooks, clock, real_settings, twilio_server):
    """They have just texted us: the reply is what they are waiting for, at any hour."""
    world = await make_world(clock.now())
    _, number = await own_number(world)
    clock.at = clock.now().replace(hour=22)  # 22:00 UTC, after the 19:00 end of texts
    await post(hooks, PATH, {"From": number, "Body": "link"})
    await _dispatch(clock, real_settings)
    [text] = twilio_server.to(number)
    assert "/f/" in text["body"]
    # A nudge queued at the same hour still waits for the morning.
    jess = world.family["members"][0]["id"]
    await enqueue(windows=WINDOWS, channel="sms", template="member_action_due", due_at=clock.now(),
                  key=f"test:night:{jess}", recipient_member_id=jess,
                  context={"name": "Jess", "due_on": "2026-12-04", "needs_link": True})
    await _dispatch(clock, real_settings)
    assert len(twilio_server.to(number)) == 1
