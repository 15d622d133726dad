"""Twilio webhooks: signatures checked over PUBLIC_BASE_URL + path, statuses only move forward, replies."""

from __future__ import annotations

import dataclasses
import json
import random
import secrets

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.support.factories import WINDOWS, World, make_world
from tracker.audit import AuditEvent
from tracker.bootstrap import build_dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.tables import Outbox
from tracker.people.tables import StaffUser
from tracker.plans.tables import FamilyMember, PlanMessage

AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # as in conftest.py

pytestmark = pytest.mark.usefixtures("clean_outbox")
BASE = "http://testserver.local"
# Numbers no other test family uses: factories give every Jess 07700 900123 (and the demo
# uses 900456), and a shared number would make START or STOP act on those members too.
_numbers = (n for n in range(100, 500) if n not in {123, 321, 322, 456})  # its own range: see tests/support/inbound.py


@pytest.fixture
async def hooks(migrated, clock, real_settings):  # type: ignore[no-untyped-def]
    """The app with Twilio settings, and a client on the same loop."""
    from tracker.app import create_app

    app = create_app(real_settings, clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def signed(path: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(BASE + path, params)}


def new_sid() -> str:
    """A fresh message SID, shaped as Twilio's are."""
    return "SM" + secrets.token_hex(16)


async def post(client: httpx.AsyncClient, path: str, params: dict[str, str], **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
    # Every message Twilio posts about carries its SID.
    params = {"MessageSid": new_sid(), **params}
    headers = kw.pop("headers", None) or signed(path, params)
    return await client.post(path, data=params, headers=headers)


async def own_number(world: World) -> tuple[int, str]:
    """Give Jess a number no other test family shares."""
    jess = world.family["members"][0]["id"]
    number = f"+4477009{next(_numbers):05d}"
    await FamilyMember.update({FamilyMember.mobile: number}).where(FamilyMember.id == jess)
    return jess, number


async def sent_text(world: World, clock, real_settings, email: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    jess, _ = await own_number(world)
    if email:
        await FamilyMember.update({FamilyMember.email: email}).where(FamilyMember.id == jess)
    row_id = await enqueue(windows=WINDOWS, channel="sms", template="member_action_due", due_at=clock.now(),
                           key=f"test:hook:{jess}", recipient_member_id=jess,
                           context={"name": "Jess", "due_on": "2026-11-24", "needs_link": True})
    dispatcher = build_dispatcher(real_settings, clock, providers_for(real_settings), rng=random.Random(1))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "sent"
    return row


def status_params(row: dict, status: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": row["provider_message_id"], "MessageStatus": status,
            "AccountSid": "AC" + "0" * 32, "To": row["to_address"], **extra}


async def test_status_callback_without_a_valid_signature_is_refused(hooks, clock, real_settings):
    row = await sent_text(await make_world(clock.now()), clock, real_settings)
    path = f"/webhooks/twilio/status?outbox={row['id']}"
    params = status_params(row, "delivered")
    assert (await hooks.post(path, data=params)).status_code == 403
    assert (await post(hooks, path, params, headers=signed(path, params, "wrong-token"))).status_code == 403
    # Signed for another URL (the query string is part of what Twilio signs).
    other = signed(f"/webhooks/twilio/status?outbox={row['id'] + 1}", params)
    assert (await post(hooks, path, params, headers=other)).status_code == 403
    tampered = signed(path, params)
    assert (await hooks.post(path, data={**params, "MessageStatus": "failed"},
                             headers=tampered)).status_code == 403
    assert (await Outbox.select().where(Outbox.id == row["id"]).first())["status"] == "sent"


async def test_delivered_report_settles_the_row_and_an_older_report_never_moves_it_back(
        hooks, clock, real_settings):
    row = await sent_text(await make_world(clock.now()), clock, real_settings)
    path = f"/webhooks/twilio/status?outbox={row['id']}"
    response = await post(hooks, path, status_params(row, "delivered"))
    assert response.status_code == 200 and "<Response>" in response.text
    for late in ("sent", "queued", "undelivered"):
        assert (await post(hooks, path, status_params(row, late))).status_code == 200
    settled = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert settled["status"] == "delivered" and settled["delivered_at"] == clock.now()


async def test_unknown_row_is_settled_by_the_status_callback(hooks, clock, real_settings, twilio_server):
    world = await make_world(clock.now())
    row = await sent_text(world, clock, real_settings)
    # As if the dispatcher had died before recording: the sweep made it unknown.
    await Outbox.update({Outbox.status: "unknown", Outbox.provider_message_id: None}).where(
        Outbox.id == row["id"])
    path = f"/webhooks/twilio/status?outbox={row['id']}"
    assert (await post(hooks, path, status_params(row, "delivered"))).status_code == 200
    settled = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert settled["status"] == "delivered"
    assert settled["provider_message_id"] == row["provider_message_id"]
    assert len(twilio_server.messages) == 1


async def test_undelivered_family_text_falls_back_to_email_and_tells_the_lead(
        hooks, clock, real_settings):
    world = await make_world(clock.now())
    row = await sent_text(world, clock, real_settings, email="jess@example.org")
    path = f"/webhooks/twilio/status?outbox={row['id']}"
    assert (await post(hooks, path, status_params(row, "undelivered", ErrorCode="30003"))).status_code == 200
    failed = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert (failed["status"], failed["error_code"]) == ("failed", "30003")
    fallback = await Outbox.select().where(Outbox.key == f"{row['key']}:email_fallback").first()
    assert fallback["channel"] == "email" and fallback["recipient_member"] == row["recipient_member"]
    assert fallback["template"] == "member_action_due"
    told = await Outbox.select().where(Outbox.template == "text_undelivered").first()
    assert told["recipient_user"] == world.lead.id and json.loads(told["context"])["emailed"] is True


async def test_inbound_stop_opts_out_and_start_opts_back_in_with_audit(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    path = "/webhooks/twilio/inbound"
    response = await post(hooks, path, {"From": number, "Body": "Stop"})
    assert response.status_code == 200 and "<Message>" not in response.text
    member = await FamilyMember.select().where(FamilyMember.id == jess).first()
    assert member["opted_out_at"] == clock.now()
    events = await AuditEvent.select().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess)
        & (AuditEvent.channel == "sms"))
    assert events and events[-1]["actor_kind"] == "member" and events[-1]["actor_member_id"] == jess
    await post(hooks, path, {"From": number, "Body": "START"})
    member = await FamilyMember.select().where(FamilyMember.id == jess).first()
    assert member["opted_out_at"] is None


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "CANCEL", "end", "QUIT"])
async def test_every_stop_word_opts_out(word, hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    await post(hooks, "/webhooks/twilio/inbound", {"From": number, "Body": word})
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"]


async def test_inbound_help_says_who_to_contact_without_naming_a_child(hooks, clock):
    world = await make_world(clock.now())
    await StaffUser.update({StaffUser.phone: "01632 960123"}).where(StaffUser.id == world.lead.id)
    _, number = await own_number(world)
    response = await post(hooks, "/webhooks/twilio/inbound", {"From": number, "Body": "HELP"})
    assert response.status_code == 200
    assert "Sam Lead on 01632 960123" in response.text and "Rosie" not in response.text


async def test_inbound_free_text_is_saved_on_the_plan_and_the_lead_is_told(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    body = "Mornings are better this week but I could use help with the bus fare."
    response = await post(hooks, "/webhooks/twilio/inbound", {"From": number, "Body": body})
    assert "Thank you, Jess" in response.text and "Sam will see it" in response.text
    [saved] = await PlanMessage.select().where(PlanMessage.member == jess)
    assert (saved["body"], saved["channel"], saved["plan"]) == (body, "sms", world.plan_id)
    event = await AuditEvent.select().where(
        (AuditEvent.record_type == "plan_message") & (AuditEvent.record_id == saved["id"])).first()
    assert event["channel"] == "sms" and event["actor_member_id"] == jess
    told = await Outbox.select().where(Outbox.template == "family_replied").first()
    assert told["recipient_user"] == world.lead.id and json.loads(told["context"])["body"] == body


async def test_an_unknown_number_gets_a_polite_reply_and_nothing_is_stored(hooks, clock):
    before = (await PlanMessage.count(), await AuditEvent.count(), await Outbox.count())
    response = await post(hooks, "/webhooks/twilio/inbound",
                          {"From": "+447700987654", "Body": "Who is this?"})
    assert response.status_code == 200 and "don't recognise this number" in response.text
    assert (await PlanMessage.count(), await AuditEvent.count(), await Outbox.count()) == before


async def test_inbound_without_a_signature_is_refused_and_changes_nothing(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    response = await hooks.post("/webhooks/twilio/inbound", data={"From": number, "Body": "STOP"})
    assert response.status_code == 403
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"] is None


async def test_webhooks_refuse_everything_when_no_auth_token_is_configured(migrated, clock, real_settings):
    from tracker.app import create_app

    app = create_app(dataclasses.replace(real_settings, twilio_auth_token=""), clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        params = {"From": "+447700987654", "Body": "hi"}
        assert (await post(client, "/webhooks/twilio/inbound", params)).status_code == 403


# ------------------------------------------------------------------ replays (keyed on MessageSid)


async def _dispatch(clock, real_settings) -> None:  # type: ignore[no-untyped-def]
    dispatcher = build_dispatcher(real_settings, clock, providers_for(real_settings), rng=random.Random(1))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()


async def test_an_inbound_text_replayed_three_times_is_saved_once_and_emails_the_lead_once(
        hooks, clock, real_settings, smtp_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    lead_email = (await StaffUser.select(StaffUser.email).where(StaffUser.id == world.lead.id).first())["email"]
    path = "/webhooks/twilio/inbound"
    params = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": number,
              "To": "+447700900999", "Body": "Could we move Thursday's meeting to the afternoon?"}
    headers = signed(path, params)  # the very request Twilio signed, sent again as it is
    audit_before = await AuditEvent.count()
    answers = [await hooks.post(path, data=params, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    # Only the first answer asks Twilio to text a thank-you; a replay would text it again.
    assert "<Message>Thank you, Jess" in answers[0].text
    assert all("<Message>" not in a.text for a in answers[1:])
    assert len(await PlanMessage.select().where(PlanMessage.member == jess)) == 1
    assert await AuditEvent.count() == audit_before + 1
    told = await Outbox.select().where(Outbox.template == "family_replied")
    assert len(told) == 1 and told[0]["recipient_user"] == world.lead.id
    await _dispatch(clock, real_settings)
    assert len(smtp_server.to(lead_email)) == 1
    # A different text from the same number is a new message.
    again = {**params, "MessageSid": new_sid(), "Body": "Thank you."}
    assert (await hooks.post(path, data=again, headers=signed(path, again))).status_code == 200
    assert len(await PlanMessage.select().where(PlanMessage.member == jess)) == 2


async def test_replayed_stop_and_help_act_and_answer_once(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    path = "/webhooks/twilio/inbound"
    stop = {"MessageSid": new_sid(), "From": number, "Body": "STOP"}
    for _ in range(3):
        assert (await hooks.post(path, data=stop, headers=signed(path, stop))).status_code == 200
    events = await AuditEvent.count().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess))
    start = {"MessageSid": new_sid(), "From": number, "Body": "START"}
    for _ in range(3):
        await hooks.post(path, data=start, headers=signed(path, start))
    # Replaying the STOP after the START must not opt Jess out again.
    await hooks.post(path, data=stop, headers=signed(path, stop))
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"] is None
    assert await AuditEvent.count().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess)) == events + 1
    help_ = {"MessageSid": new_sid(), "From": number, "Body": "HELP"}
    replies = [(await hooks.post(path, data=help_, headers=signed(path, help_))).text for _ in range(3)]
    assert "<Message>" in replies[0] and all("<Message>" not in r for r in replies[1:])


async def test_a_status_callback_replayed_three_times_falls_back_once_and_tells_the_lead_once(
        hooks, clock, real_settings, smtp_server):
    world = await make_world(clock.now())
    row = await sent_text(world, clock, real_settings, email="jess.replay@example.org")
    path = f"/webhooks/twilio/status?outbox={row['id']}"
    params = status_params(row, "undelivered", ErrorCode="30003")
    headers = signed(path, params)
    audit_before = await AuditEvent.count()
    for _ in range(3):
        assert (await hooks.post(path, data=params, headers=headers)).status_code == 200
    settled = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert (settled["status"], settled["error_code"]) == ("failed", "30003")
    assert await Outbox.count().where(Outbox.key == f"{row['key']}:email_fallback") == 1
    assert await Outbox.count().where(Outbox.template == "text_undelivered") == 1
    assert await AuditEvent.count() == audit_before
    await _dispatch(clock, real_settings)
    assert len(smtp_server.to("jess.replay@example.org")) == 1
    # A later "delivered" for the same SID does not move a settled row either.
    late = status_params(row, "delivered")
    assert (await hooks.post(path, data=late, headers=signed(path, late))).status_code == 200
    assert (await Outbox.select().where(Outbox.id == row["id"]).first())["status"] == "failed"


async def test_a_webhook_without_a_message_sid_is_refused_and_changes_nothing(hooks, clock):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    path = "/webhooks/twilio/inbound"
    for sid in ("", "not-a-sid", "SM" + "0" * 100):
        params = {"MessageSid": sid, "From": number, "Body": "STOP"}
        response = await hooks.post(path, data=params, headers=signed(path, params))
        assert response.status_code == 400 and "MessageSid" in response.text
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"] is None


async def test_two_apps_each_name_their_own_authority_in_replies(migrated, clock, real_settings):
    """The authority's name in a reply comes from the app's settings, not the process's."""
    from tracker.app import create_app

    replies = []
    for authority in ("Northshire Council", "Southmoor Borough"):
        app = create_app(dataclasses.replace(real_settings, authority_name=authority), clock=clock,
                         scheduler=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            response = await post(client, "/webhooks/twilio/inbound",
                                  {"From": "+447700987655", "Body": "Hello?"})
        assert response.status_code == 200
        replies.append(response.text)
    assert "family plan with Northshire Council" in replies[0] and "Southmoor" not in replies[0]
    assert "family plan with Southmoor Borough" in replies[1] and "Northshire" not in replies[1]
