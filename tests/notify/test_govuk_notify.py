"""GOV.UK Notify end to end: the official client against a loopback Notify that checks each JWT, then its callbacks."""

from __future__ import annotations

import dataclasses
import json
import random
import time
import uuid

import httpx
import jwt
import pytest

from tests.notify.conftest import (
    NOTIFY_API_KEY,
    NOTIFY_CALLBACK_TOKEN,
    NOTIFY_EMAIL_TEMPLATE,
    NOTIFY_SECRET,
    NOTIFY_SERVICE_ID,
    NOTIFY_SMS_TEMPLATE,
    FakeNotify,
)
from tests.support.factories import WINDOWS, World, make_world
from tracker import metrics
from tracker.bootstrap import build_dispatcher
from tracker.notify.govuk_notify_webhooks import e164
from tracker.notify.outbox import enqueue
from tracker.notify.providers import (
    NotifySms,
    PermanentError,
    RetryableError,
    classify_notify,
    providers_for,
    service_id_of,
)
from tracker.notify.tables import Outbox
from tracker.plans.tables import AuditEvent, FamilyMember, PlanMessage, StaffUser
from tracker.settings import SettingsError

pytestmark = pytest.mark.usefixtures("clean_outbox")
BASE = "http://testserver.local"
_numbers = iter(range(500, 600))  # this module's own numbers: see tests/support/inbound.py
AUTH = {"Authorization": f"Bearer {NOTIFY_CALLBACK_TOKEN}"}


@pytest.fixture
async def hooks(migrated, clock, notify_settings):  # type: ignore[no-untyped-def]
    """The app with Notify settings, and a client on the same loop."""
    from tracker.app import create_app

    app = create_app(notify_settings, clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def own_number(world: World, email: str | None = None) -> tuple[int, str]:
    """Give Jess a number no other test family shares (and an email, when given)."""
    jess = world.family["members"][0]["id"]
    number = f"+4477009{next(_numbers):05d}"
    await FamilyMember.update({FamilyMember.mobile: number, FamilyMember.email: email}).where(
        FamilyMember.id == jess)
    return jess, number


async def tick(settings, clock) -> None:  # type: ignore[no-untyped-def]
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(3))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()


async def text_to_jess(world: World, clock, settings, *, email: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    jess, _ = await own_number(world, email)
    row_id = await enqueue(windows=WINDOWS, channel="sms", template="member_action_due", due_at=clock.now(),
                           key=f"test:notify:{jess}", recipient_member_id=jess,
                           context={"name": "Jess", "due_on": "2026-11-24", "needs_link": True})
    await tick(settings, clock)
    return await Outbox.select().where(Outbox.id == row_id).first()


def receipt(row: dict, status: str, notification_type: str = "sms") -> dict:
    """A delivery receipt shaped as Notify sends it."""
    return {"id": row["provider_message_id"], "reference": str(row["id"]), "to": row["to_address"],
            "status": status, "created_at": "2026-11-24T10:00:00.000000Z",
            "completed_at": "2026-11-24T10:00:05.000000Z", "sent_at": "2026-11-24T10:00:01.000000Z",
            "notification_type": notification_type}


# ------------------------------------------------------------------------------ sending


async def test_a_nudge_goes_out_through_notify_with_the_row_id_as_reference(
        clock, notify_settings, notify_server: FakeNotify):
    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, notify_settings)
    assert row["status"] == "sent"
    [sent] = notify_server.to(row["to_address"])
    assert notify_server.refused == []
    assert sent["template_id"] == NOTIFY_SMS_TEMPLATE and sent["reference"] == str(row["id"])
    assert row["provider_message_id"] == sent["id"]
    body = sent["personalisation"]["body"]
    assert body.startswith("Hi Jess") and f"{BASE}/f/" in body and "Rosie" not in body
    assert row["sender"] == "GOV.UK Notify (text)"


async def test_an_email_goes_out_through_notify_with_its_subject_and_plain_text(
        clock, notify_settings, notify_server: FakeNotify):
    world = await make_world(clock.now())
    await StaffUser.update({StaffUser.email: "sam.lead.notify@example.org"}).where(StaffUser.id == world.lead.id)
    row_id = await enqueue(windows=WINDOWS, channel="email", template="password_reset", due_at=clock.now(),
                           key=f"test:notify-email:{world.lead.id}", recipient_user_id=world.lead.id,
                           context={"name": "Sam Lead", "link": f"{BASE}/reset/abc", "minutes": 30})
    await tick(notify_settings, clock)
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "sent", row["error_text"]
    [sent] = notify_server.to("sam.lead.notify@example.org")
    assert sent["template_id"] == NOTIFY_EMAIL_TEMPLATE and sent["reference"] == str(row_id)
    assert sent["personalisation"]["subject"] == row["subject"] != ""
    assert f"{BASE}/reset/abc" in sent["personalisation"]["body"]


@pytest.mark.parametrize(("status", "error", "message"), [
    (429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
    (429, "TooManyRequestsError", "Exceeded send limits (250000) for today"),
    (500, "Exception", "Internal server error"),
])
async def test_rate_limits_and_server_errors_are_retried_later(
        status, error, message, clock, notify_settings, notify_server: FakeNotify):
    notify_server.fail_next(status, error, message)
    labels = {"provider": "notify", "channel": "sms", "result": "retryable"}
    retried_before = metrics.REGISTRY.get_sample_value("tracker_sends_total", labels) or 0
    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, notify_settings)
    assert row["status"] == "pending" and row["handed_at"] is None
    assert metrics.REGISTRY.get_sample_value("tracker_sends_total", labels) == retried_before + 1
    assert row["error_code"] == f"{status} {error}" and message in row["error_text"]
    assert row["next_attempt_at"] > clock.now()
    clock.advance(hours=1)
    await tick(notify_settings, clock)
    assert (await Outbox.select().where(Outbox.id == row["id"]).first())["status"] == "sent"
    assert len(notify_server.to(row["to_address"])) == 1


async def test_a_number_notify_will_not_text_fails_and_falls_back_to_email_and_the_lead_is_told(
        clock, notify_settings, notify_server: FakeNotify):
    notify_server.fail_next(400, "ValidationError", "phone_number Not a UK mobile number")
    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, notify_settings, email="jess.notify@example.org")
    assert (row["status"], row["error_code"]) == ("failed", "400 ValidationError")
    fallback = await Outbox.select().where(Outbox.key == f"{row['key']}:email_fallback").first()
    assert fallback["channel"] == "email"
    told = await Outbox.select().where(Outbox.template == "text_undelivered").first()
    assert told["recipient_user"] == world.lead.id


async def test_a_wrong_api_key_is_refused_by_notify_and_fails_permanently(
        clock, notify_settings, notify_server: FakeNotify):
    forged = f"tracker_test-{NOTIFY_SERVICE_ID}-{'f' * 8}-{'f' * 4}-{'f' * 4}-{'f' * 4}-{'f' * 12}"
    settings = dataclasses.replace(notify_settings, notify_api_key=forged)
    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, settings)
    assert (row["status"], row["error_code"]) == ("failed", "403 AuthError")
    assert notify_server.notifications == [] and notify_server.refused[0].startswith("Invalid token: signature")


async def test_notify_unreachable_is_retried(clock, notify_settings, notify_server: FakeNotify):
    await notify_server.stop()
    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, notify_settings)
    assert row["status"] == "pending" and row["error_code"] == "503"


async def test_an_accepted_message_whose_answer_cannot_be_read_is_sent_once_and_settled_by_its_receipt(
        hooks, clock, notify_settings, notify_server: FakeNotify):
    notify_server.garble_next = True
    row = await text_to_jess(await make_world(clock.now()), clock, notify_settings)
    assert row["status"] == "sent" and not row["provider_message_id"]
    [sent] = notify_server.to(row["to_address"])
    answer = await hooks.post("/webhooks/notify/status", json={**receipt(row, "delivered"), "id": sent["id"]},
                              headers=AUTH)
    assert answer.json()["outcome"] == "sent -> delivered"
    settled = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert settled["provider_message_id"] == sent["id"]
    clock.advance(hours=1)
    await tick(notify_settings, clock)
    assert len(notify_server.to(row["to_address"])) == 1


async def test_the_loopback_notify_refuses_tokens_notify_would_refuse(notify_server: FakeNotify):
    now = int(time.time())

    def token(secret: str = NOTIFY_SECRET, **claims: object) -> str:
        return jwt.encode({"iss": NOTIFY_SERVICE_ID, "iat": now, **claims}, secret, algorithm="HS256")

    body = {"phone_number": "+447700900123", "template_id": NOTIFY_SMS_TEMPLATE,
            "personalisation": {"body": "hello"}}
    async with httpx.AsyncClient(base_url=notify_server.url) as client:
        async def send(tok: str) -> httpx.Response:
            return await client.post("/v2/notifications/sms", json=body,
                                     headers={"Authorization": f"Bearer {tok}"})

        assert (await send(token())).status_code == 201
        for bad in (token("another-secret-long-enough-for-an-hs256-key"), token(iat=now - 120), token(iat=now + 120),
                    token(iss="another-service"), "not-a-jwt"):
            answer = await send(bad)
            assert answer.status_code == 403 and answer.json()["errors"][0]["error"] == "AuthError"
    assert len(notify_server.notifications) == 1


def test_notify_errors_map_as_its_documentation_says() -> None:
    def kind(status: int, error: str) -> type:
        return type(classify_notify(status, [{"error": error, "message": "m"}]))

    assert kind(400, "BadRequestError") is PermanentError
    assert kind(400, "ValidationError") is PermanentError
    assert kind(403, "AuthError") is PermanentError
    assert kind(429, "RateLimitError") is RetryableError
    assert kind(429, "TooManyRequestsError") is RetryableError
    assert kind(500, "Exception") is RetryableError
    assert kind(502, "") is RetryableError and kind(404, "NoResultFound") is PermanentError
    assert type(classify_notify(503, "Request failed")) is RetryableError


def test_settings_name_what_is_missing_or_malformed(notify_settings) -> None:  # type: ignore[no-untyped-def]
    assert service_id_of(NOTIFY_API_KEY) == NOTIFY_SERVICE_ID
    with pytest.raises(SettingsError, match="NOTIFY_API_KEY must look like"):
        NotifySms(dataclasses.replace(notify_settings, notify_api_key="just-a-secret"))
    with pytest.raises(SettingsError, match="NOTIFY_SMS_TEMPLATE_ID"):
        NotifySms(dataclasses.replace(notify_settings, notify_sms_template_id=""))
    with pytest.raises(SettingsError, match="console, smtp or notify"):
        providers_for(dataclasses.replace(notify_settings, email_backend="pigeon"))


# ------------------------------------------------------------------------------ receipts


async def test_a_receipt_marks_the_text_delivered_and_older_receipts_never_move_it_back(
        hooks, clock, notify_settings):
    row = await text_to_jess(await make_world(clock.now()), clock, notify_settings)
    answer = await hooks.post("/webhooks/notify/status", json=receipt(row, "delivered"), headers=AUTH)
    assert answer.status_code == 200 and answer.json()["outcome"] == "sent -> delivered"
    for late in ("sending", "created", "temporary-failure"):
        assert (await hooks.post("/webhooks/notify/status", json=receipt(row, late),
                                 headers=AUTH)).status_code == 200
    settled = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert settled["status"] == "delivered" and settled["delivered_at"] == clock.now()


async def test_a_receipt_settles_an_unknown_row_by_its_reference(hooks, clock, notify_settings, notify_server):
    row = await text_to_jess(await make_world(clock.now()), clock, notify_settings)
    # As if the sender had died before recording Notify's id: the sweep made it unknown.
    await Outbox.update({Outbox.status: "unknown", Outbox.provider_message_id: None}).where(
        Outbox.id == row["id"])
    assert (await hooks.post("/webhooks/notify/status", json=receipt(row, "delivered"),
                             headers=AUTH)).status_code == 200
    settled = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert (settled["status"], settled["provider_message_id"]) == ("delivered", row["provider_message_id"])
    assert len(notify_server.notifications) == 1


async def test_a_receipt_for_another_notification_with_our_reference_is_ignored(hooks, clock, notify_settings):
    row = await text_to_jess(await make_world(clock.now()), clock, notify_settings)
    other = {**receipt(row, "permanent-failure"), "id": "00000000-0000-4000-8000-000000000000"}
    answer = await hooks.post("/webhooks/notify/status", json=other, headers=AUTH)
    assert answer.json()["outcome"] == "ignored: message id does not match"
    assert (await Outbox.select().where(Outbox.id == row["id"]).first())["status"] == "sent"


async def test_an_undelivered_family_text_falls_back_to_email_and_the_lead_is_told(
        hooks, clock, notify_settings):
    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, notify_settings, email="jess.fallback@example.org")
    answer = await hooks.post("/webhooks/notify/status", json=receipt(row, "permanent-failure"), headers=AUTH)
    assert answer.status_code == 200
    failed = await Outbox.select().where(Outbox.id == row["id"]).first()
    assert (failed["status"], failed["error_code"]) == ("failed", "permanent-failure")
    fallback = await Outbox.select().where(Outbox.key == f"{row['key']}:email_fallback").first()
    assert fallback["channel"] == "email" and fallback["recipient_member"] == row["recipient_member"]
    told = await Outbox.select().where(Outbox.template == "text_undelivered").first()
    assert told["recipient_user"] == world.lead.id and json.loads(told["context"])["emailed"] is True


async def test_an_email_receipt_moves_the_email_row(hooks, clock, notify_settings):
    world = await make_world(clock.now())
    await StaffUser.update({StaffUser.email: "sam.receipt@example.org"}).where(StaffUser.id == world.lead.id)
    row_id = await enqueue(windows=WINDOWS, channel="email", template="password_reset", due_at=clock.now(),
                           key=f"test:notify-receipt:{world.lead.id}", recipient_user_id=world.lead.id,
                           context={"name": "Sam Lead", "link": f"{BASE}/reset/abc", "minutes": 30})
    await tick(notify_settings, clock)
    row = await Outbox.select().where(Outbox.id == row_id).first()
    # A receipt naming the wrong channel does not touch it; the right one does.
    wrong = await hooks.post("/webhooks/notify/status", json=receipt(row, "delivered", "sms"), headers=AUTH)
    assert wrong.json()["outcome"] == "ignored: no such message"
    await hooks.post("/webhooks/notify/status", json=receipt(row, "delivered", "email"), headers=AUTH)
    assert (await Outbox.select().where(Outbox.id == row_id).first())["status"] == "delivered"


async def test_callbacks_without_our_bearer_token_are_refused_and_change_nothing(
        hooks, clock, notify_settings, migrated):
    from tracker.app import create_app

    world = await make_world(clock.now())
    row = await text_to_jess(world, clock, notify_settings)
    jess, number = world.family["members"][0]["id"], row["to_address"]
    inbound = received(number, "STOP")
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": NOTIFY_CALLBACK_TOKEN},
                    {"Authorization": f"Basic {NOTIFY_CALLBACK_TOKEN}"}):
        for path, body in (("/webhooks/notify/status", receipt(row, "delivered")),
                           ("/webhooks/notify/inbound", inbound)):
            answer = await hooks.post(path, json=body, headers=headers)
            assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    # With no token configured, even the right-looking one is refused.
    app = create_app(dataclasses.replace(notify_settings, notify_callback_token=""), clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await client.post("/webhooks/notify/status", json=receipt(row, "delivered"),
                                  headers=AUTH)).status_code == 401
    assert (await Outbox.select().where(Outbox.id == row["id"]).first())["status"] == "sent"
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"] is None


async def test_a_malformed_callback_gets_a_field_message(hooks):
    answer = await hooks.post("/webhooks/notify/status", content=b"{not json", headers=AUTH)
    assert answer.status_code == 400 and "body" in answer.json()["errors"]
    answer = await hooks.post("/webhooks/notify/status", json={"reference": "1"}, headers=AUTH)
    assert answer.status_code == 400 and "status" in answer.json()["errors"]
    answer = await hooks.post("/webhooks/notify/inbound", json={**received("x", "hi"), "source_number": "x"},
                              headers=AUTH)
    assert answer.status_code == 400 and "source_number" in answer.json()["errors"]
    answer = await hooks.post("/webhooks/notify/inbound", json={**received("+447700900123", "hi"), "id": ""},
                              headers=AUTH)
    assert answer.status_code == 400 and "id" in answer.json()["errors"]


# ------------------------------------------------------------------------------ received texts


def received(number: str, message: str) -> dict:
    """A received text shaped as Notify sends it (the number in international digits, no '+')."""
    return {"id": str(uuid.uuid4()), "source_number": number.lstrip("+"),
            "destination_number": "07700900000", "message": message,
            "date_received": "2026-11-24T10:00:00.000000Z"}


async def test_stop_opts_out_with_audit_and_notify_sends_a_confirmation(hooks, clock, notify_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    answer = await hooks.post("/webhooks/notify/inbound", json=received(number, "Stop"), headers=AUTH)
    assert answer.status_code == 200 and answer.json()["outcome"] == "opted_out"
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"] == clock.now()
    events = await AuditEvent.select().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess) & (AuditEvent.channel == "sms"))
    assert events and events[-1]["actor_member_id"] == jess
    [confirmation] = notify_server.to(number)
    assert "reply START" in confirmation["personalisation"]["body"]
    await hooks.post("/webhooks/notify/inbound", json=received(number, "START"), headers=AUTH)
    assert (await FamilyMember.select().where(FamilyMember.id == jess).first())["opted_out_at"] is None


async def test_a_reply_is_saved_on_the_plan_the_lead_is_told_and_notify_thanks_the_sender(
        hooks, clock, notify_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    body = "Mornings are better this week but I could use help with the bus fare."
    answer = await hooks.post("/webhooks/notify/inbound", json=received(number, body), headers=AUTH)
    assert answer.json()["outcome"] == "saved"
    [saved] = await PlanMessage.select().where(PlanMessage.member == jess)
    assert (saved["body"], saved["channel"], saved["plan"]) == (body, "sms", world.plan_id)
    told = await Outbox.select().where(Outbox.template == "family_replied").first()
    assert told["recipient_user"] == world.lead.id
    [thanks] = notify_server.to(number)
    assert "Thank you, Jess" in thanks["personalisation"]["body"] and "reference" not in thanks


async def test_a_received_text_sent_again_by_notify_is_acted_on_once(hooks, clock, notify_server):
    world = await make_world(clock.now())
    jess, number = await own_number(world)
    text = received(number, "Could we move Thursday's visit to the afternoon?")
    for _ in range(2):
        answer = await hooks.post("/webhooks/notify/inbound", json=text, headers=AUTH)
        assert answer.status_code == 200
    assert answer.json()["outcome"] == "replay"
    assert len(await PlanMessage.select().where(PlanMessage.member == jess)) == 1
    assert await Outbox.count().where(Outbox.template == "family_replied") == 1
    assert len(notify_server.to(number)) == 1  # one thank-you text, not two


async def test_an_unknown_number_gets_a_polite_reply_and_nothing_is_stored(hooks, notify_server):
    before = (await PlanMessage.count(), await AuditEvent.count(), await Outbox.count())
    answer = await hooks.post("/webhooks/notify/inbound", json=received("+447700987654", "Who is this?"),
                              headers=AUTH)
    assert answer.json()["outcome"] == "unknown_number"
    assert (await PlanMessage.count(), await AuditEvent.count(), await Outbox.count()) == before
    [reply] = notify_server.to("+447700987654")
    assert "don't recognise this number" in reply["personalisation"]["body"]


def test_notify_numbers_are_read_as_e164() -> None:
    assert e164("447700900123") == "+447700900123"
    assert e164("+447700900123") == "+447700900123"
    assert e164("07700 900123") == "+447700900123"
    assert e164("") is None and e164("not a number") is None
