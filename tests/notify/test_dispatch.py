"""The dispatcher end to end: the real twilio client against a loopback Twilio API, real SMTP, the outbox."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from tests.support.factories import POLICY, WINDOWS, World, make_world
from tracker.audit import Actor, AuditEvent
from tracker.bootstrap import build_dispatcher
from tracker.family.links import resolve_token
from tracker.notify.dispatcher import Dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.sending import Throttle, backoff
from tracker.notify.tables import Outbox
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.schemas import ActionPatch
from tracker.plans.tables import FamilyMember

pytestmark = pytest.mark.usefixtures("clean_outbox")

# Wednesday 2 December 2026, 09:30 London (UTC in winter).
WED = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


class Crash(BaseException):
    """Stands in for the process dying at a chosen step (not an Exception: nothing catches it)."""


@pytest.fixture
async def dispatchers():  # type: ignore[no-untyped-def]
    made: list[Dispatcher] = []

    def make(settings, clock, **kwargs) -> Dispatcher:  # type: ignore[no-untyped-def]
        d = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(7), **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        await d.providers.close()


async def rows_for(**where) -> list[dict]:  # type: ignore[no-untyped-def]
    query = Outbox.select()
    for column, value in where.items():
        query = query.where(getattr(Outbox, column) == value)
    return await query.order_by(Outbox.id)


async def sms_to_jess(world: World, clock, key: str, **context) -> int:  # type: ignore[no-untyped-def]
    jess = world.family["members"][0]["id"]
    row_id = await enqueue(windows=WINDOWS, channel="sms", template="member_action_before", due_at=clock.now(),
                           key=f"{key}:{jess}", recipient_member_id=jess,
                           context={"name": "Jess Taylor", "due_on": "2026-12-04", "needs_link": True,
                                    **context})
    assert row_id is not None
    return row_id


def parts(message: EmailMessage) -> dict[str, str]:
    return {p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()}


async def test_due_nudges_arrive_as_a_text_at_twilio_and_an_email_over_smtp(
        clock, real_settings, twilio_server, smtp_server, dispatchers):
    world = await make_world(clock.now())
    clock.at = WED  # 2 days before Jess's step (Fri 4 Dec); 5 working days before Helen's (Tue 8 Dec)
    report = await dispatchers(real_settings, clock).tick()

    [text_row] = await rows_for(recipient_member=world.family["members"][0]["id"], channel="sms")
    assert text_row["status"] == "sent" and text_row["template"] == "member_action_before"
    [sent] = [m for m in twilio_server.messages if m["sid"] == text_row["provider_message_id"]]
    assert sent["to"] == "+447700900123" and sent["from"] == "+447700900999"
    assert sent["body"].startswith("Hi Jess, a step in your plan is due Fri 4 Dec. Need a hand?")
    assert sent["status_callback"] == f"http://testserver.local/webhooks/twilio/status?outbox={text_row['id']}"
    assert text_row["segments"] == 1 and text_row["attempts"] == 1
    # The link in the text works for Jess, and the outbox never stored it.
    token = sent["body"].rsplit("/f/", 1)[1]
    holder = await resolve_token(token, now=clock.now())
    assert holder is not None and holder.member_id == world.family["members"][0]["id"]
    assert token not in text_row["body_preview"] and token not in text_row["context"]
    assert text_row["body_preview"].endswith("/f/…")

    [mail_row] = await rows_for(recipient_user=world.invitee.id, rule="action_before")
    assert mail_row["status"] == "sent"
    [mail] = smtp_server.to(world.invitee.email)
    # A family reference, never a name: the step's words stay behind sign-in.
    assert mail["Subject"] == f"Coming up: your action for family F{world.family['id']} is due Tue 8 Dec"
    assert mail["Message-ID"] == mail_row["provider_message_id"]
    body = parts(mail)
    assert set(body) == {"text/plain", "text/html"}
    assert "Phone Jess" not in body["text/plain"] and "Phone Jess" not in body["text/html"]
    assert "Sign in to see it" in body["text/plain"] and "/actions" in body["text/html"]
    assert report.sent >= 2 and report.failed == 0


async def test_a_second_tick_sends_nothing_twice(clock, real_settings, twilio_server, smtp_server,
                                                  dispatchers):
    await make_world(clock.now())
    clock.at = WED
    dispatcher = dispatchers(real_settings, clock)
    await dispatcher.tick()
    texts, mails = len(twilio_server.messages), len(smtp_server.messages)
    assert texts >= 1 and mails >= 1
    clock.advance(minutes=1)
    again = await dispatcher.tick()
    assert (again.materialised, again.claimed) == (0, 0)
    assert (len(twilio_server.messages), len(smtp_server.messages)) == (texts, mails)


async def test_html_email_is_autoescaped_but_the_text_part_is_not(clock, real_settings, smtp_server,
                                                                  dispatchers):
    world = await make_world(clock.now())
    # A provider's reason is shown as given: escaped in HTML, as it is in the text part.
    await enqueue(windows=WINDOWS, channel="email", template="text_undelivered", due_at=clock.now(),
                  key="test:escape", recipient_user_id=world.lead.id,
                  context={"member_name": "A & B", "family_name": "A & B", "family_id": world.family["id"],
                           "reason": "<script>x</script> & co", "emailed": False})
    await dispatchers(real_settings, clock).tick(materialise=False)
    [mail] = smtp_server.to(world.lead.email)
    body = parts(mail)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in body["text/html"]
    assert "<script>x</script> & co" in body["text/plain"]
    assert mail["Subject"] == f"Family F{world.family['id']}: a text to a family member was not delivered"


async def test_server_errors_and_429_are_retried_with_backoff_then_failed(
        clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    row_id = await sms_to_jess(world, clock, "test:retry")
    twilio_server.fail_next(500, None, "Internal error")
    twilio_server.fail_next(429, 20429, "Too Many Requests")
    twilio_server.fail_next(503, None, "Service unavailable")
    dispatcher = dispatchers(real_settings, clock)

    delays = []
    for attempt in (1, 2):
        started = clock.now()
        await dispatcher.tick(materialise=False)
        [row] = await rows_for(id=row_id)
        assert row["status"] == "pending" and row["attempts"] == attempt
        delay = row["next_attempt_at"] - started
        base = real_settings.retry_base_seconds * 2 ** (attempt - 1)
        assert timedelta(seconds=base * 0.5) <= delay <= timedelta(seconds=base * 1.5)
        delays.append(delay)
        # Not before its time...
        await dispatcher.tick(materialise=False)
        assert (await rows_for(id=row_id))[0]["attempts"] == attempt
        clock.at = row["next_attempt_at"]
    assert delays[1] > delays[0]
    assert (await rows_for(id=row_id))[0]["error_code"] == "20429"
    await dispatcher.tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert row["status"] == "failed" and row["attempts"] == 3
    assert "gave up after 3 tries" in row["error_text"]
    assert twilio_server.messages == [] and twilio_server.requests == 3


def test_backoff_doubles_and_jitter_comes_from_the_injected_randomness():
    a = [backoff(n, 30, random.Random(1)) for n in (1, 2, 3)]
    b = [backoff(n, 30, random.Random(1)) for n in (1, 2, 3)]
    assert a == b
    assert [timedelta(seconds=15) <= a[0] <= timedelta(seconds=45),
            timedelta(seconds=30) <= a[1] <= timedelta(seconds=90),
            timedelta(seconds=60) <= a[2] <= timedelta(seconds=180)] == [True, True, True]
    assert backoff(40, 30, random.Random(1)) <= timedelta(hours=9)


async def test_a_slow_twilio_is_a_timeout_and_retried(clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    row_id = await sms_to_jess(world, clock, "test:slow")
    twilio_server.fail_next(200, delay=2.0)
    dispatcher = dispatchers(real_settings, clock)
    dispatcher.providers.sms._timeout = 0.5  # type: ignore[attr-defined]
    await dispatcher.tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert row["status"] == "pending" and row["error_code"] == "network"


@pytest.mark.parametrize("code", [21211, 21614, 21408])
async def test_permanent_twilio_codes_fail_at_once_and_the_lead_is_told(
        code, clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    row_id = await sms_to_jess(world, clock, f"test:permanent{code}")
    twilio_server.fail_next(400, code, "nope")
    await dispatchers(real_settings, clock).tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert (row["status"], row["error_code"], row["attempts"]) == ("failed", str(code), 1)
    assert twilio_server.requests == 1
    [told] = await rows_for(template="text_undelivered")
    assert told["recipient_user"] == world.lead.id and json.loads(told["context"])["emailed"] is False


async def test_21610_marks_the_member_opted_out_and_later_texts_are_suppressed(
        clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    row_id = await sms_to_jess(world, clock, "test:21610")
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    dispatcher = dispatchers(real_settings, clock)
    await dispatcher.tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert (row["status"], row["error_code"]) == ("failed", "21610")
    member = await FamilyMember.select().where(FamilyMember.id == jess).first()
    assert member["opted_out_at"] == clock.now()
    event = await AuditEvent.select().where(
        (AuditEvent.record_type == "family_member") & (AuditEvent.record_id == jess)
    ).order_by(AuditEvent.id, ascending=False).first()
    assert "opted_out_at" in json.loads(event["changes"]) and event["actor_kind"] == "system"
    next_id = await sms_to_jess(world, clock, "test:21610-next")
    await dispatcher.tick(materialise=False)
    [row] = await rows_for(id=next_id)
    assert (row["status"], row["reason"]) == ("suppressed", "opted_out")
    assert twilio_server.requests == 1


async def test_crash_after_twilio_accepted_leaves_the_row_unknown_and_never_resends(
        clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    row_id = await sms_to_jess(world, clock, "test:crash-accepted")

    async def die(step: str, row: dict) -> None:
        if step == "accepted" and row["id"] == row_id:
            raise Crash

    with pytest.raises(Crash):
        await dispatchers(real_settings, clock, after_send=die).tick(materialise=False)
    assert len(twilio_server.messages) == 1
    [row] = await rows_for(id=row_id)
    assert row["status"] == "sending" and row["handed_at"] is not None

    survivor = dispatchers(real_settings, clock)
    await survivor.tick(materialise=False)  # lease still running: left alone
    assert (await rows_for(id=row_id))[0]["status"] == "sending"
    clock.advance(seconds=survivor.lease.total_seconds() + 1)
    report = await survivor.tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert row["status"] == "unknown" and report.unknown == 1
    await survivor.tick(materialise=False)
    assert len(twilio_server.messages) == 1 and twilio_server.requests == 1


async def test_crash_after_claiming_before_handing_over_releases_the_row_and_it_is_sent_once(
        clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    row_id = await sms_to_jess(world, clock, "test:crash-claimed")
    dead = dispatchers(real_settings, clock)
    assert row_id in await dead.claim(clock.now(), 100)  # ... and the process dies here
    clock.advance(seconds=dead.lease.total_seconds() + 1)
    report = await dispatchers(real_settings, clock).tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert report.released == 1 and row["status"] == "sent"
    assert len(twilio_server.messages) == 1


async def test_crash_after_recording_changes_nothing(clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    row_id = await sms_to_jess(world, clock, "test:crash-recorded")

    async def die(step: str, row: dict) -> None:
        if step == "recorded":
            raise Crash

    with pytest.raises(Crash):
        await dispatchers(real_settings, clock, after_send=die).tick(materialise=False)
    clock.advance(hours=1)
    await dispatchers(real_settings, clock).tick(materialise=False)
    assert (await rows_for(id=row_id))[0]["status"] == "sent"
    assert len(twilio_server.messages) == 1


async def test_a_text_due_in_the_evening_waits_until_nine_and_is_then_sent(
        clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    clock.at = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
    row_id = await sms_to_jess(world, clock, "test:evening")
    dispatcher = dispatchers(real_settings, clock)
    await dispatcher.tick(materialise=False)
    [row] = await rows_for(id=row_id)
    assert row["status"] == "pending" and row["next_attempt_at"] == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    clock.at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    await dispatcher.tick(materialise=False)
    assert (await rows_for(id=row_id))[0]["status"] == "sent"
    assert len(twilio_server.messages) == 1


async def test_a_text_claimed_just_as_quiet_hours_begin_is_deferred_not_dropped(
        clock, real_settings, twilio_server, dispatchers):
    world = await make_world(clock.now())
    clock.at = datetime(2026, 11, 28, 18, 59, tzinfo=UTC)  # Saturday
    row_id = await sms_to_jess(world, clock, "test:boundary")
    clock.at = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    report = await dispatchers(real_settings, clock).tick(materialise=False)
    [row] = await rows_for(id=row_id)
    # Not Sunday: Monday 09:00.
    assert report.deferred == 1 and row["status"] == "pending" and row["attempts"] == 0
    assert row["next_attempt_at"] == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert twilio_server.requests == 0


async def test_each_suppression_is_recorded_with_its_reason(clock, real_settings, twilio_server,
                                                            smtp_server, dispatchers):
    world = await make_world(clock.now())
    family_id = world.family["id"]

    async def member(**values) -> int:  # type: ignore[no-untyped-def]
        base = dict(family=family_id, name="Alex Example", mobile="+447700900555",
                    email="alex@example.org", preferred_channel="sms", sms_consent=True,
                    safe_to_contact=True)
        base.update(values)
        return (await FamilyMember.insert(FamilyMember(**base)).returning(FamilyMember.id))[0]["id"]

    cases = {
        "not_safe_to_contact": ("sms", await member(safe_to_contact=False)),
        "no_sms_consent": ("sms", await member(sms_consent=False)),
        "opted_out": ("sms", await member(opted_out_at=clock.now())),
        "prefers_no_messages": ("sms", await member(preferred_channel="none")),
        "no_mobile": ("sms", await member(mobile=None)),
        "no_email": ("email", await member(email=None, preferred_channel="email")),
    }
    ids = {}
    for reason, (channel, member_id) in cases.items():
        ids[reason] = await enqueue(windows=WINDOWS, channel=channel, template="member_action_due", due_at=clock.now(),
                                    key=f"test:suppress:{reason}", recipient_member_id=member_id,
                                    context={"name": "Alex", "due_on": "2026-11-24", "needs_link": True})
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == world.outsider.id)
    ids["inactive_user"] = await enqueue(windows=WINDOWS, channel="email", template="action_due", due_at=clock.now(),
                                         key="test:suppress:inactive", recipient_user_id=world.outsider.id,
                                         context={})
    report = await dispatchers(real_settings, clock).tick(materialise=False)
    for reason, row_id in ids.items():
        [row] = await rows_for(id=row_id)
        assert (row["status"], row["reason"]) == ("suppressed", reason)
    assert report.suppressed == len(ids)
    assert twilio_server.requests == 0 and smtp_server.messages == []


async def test_materialise_cancels_a_pending_nudge_when_the_action_is_done(clock, real_settings,
                                                                        dispatchers):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    clock.at = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # due at 09:30, but quiet hours now
    dispatcher = dispatchers(real_settings, clock)
    await dispatcher.tick()
    [row] = await rows_for(recipient_member=jess, rule="action_before")
    assert row["status"] == "pending"
    await service.record_progress(action_id=world.member_action_id, status="done", note="Done it.",
                                  actor=Actor.member(jess, "Jess", channel="family_link"),
                                  now=clock.now())
    clock.advance(minutes=1)
    report = await dispatcher.tick()
    [row] = await rows_for(id=row["id"])
    assert (row["status"], row["reason"]) == ("cancelled", "no_longer_due")
    assert report.cancelled >= 1


async def test_materialise_reschedules_when_the_due_date_moves(clock, real_settings, dispatchers):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    clock.at = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    dispatcher = dispatchers(real_settings, clock)
    await dispatcher.tick()
    [old] = await rows_for(recipient_member=jess, rule="action_before")
    await service.update_action(policy=POLICY, action_id=world.member_action_id, patch=ActionPatch(
        due_on=datetime(2026, 12, 3).date()), actor=Actor.user(world.lead.id, "Sam"), now=clock.now())
    clock.advance(minutes=1)
    await dispatcher.tick()
    rows = await rows_for(recipient_member=jess, rule="action_before")
    assert [(r["status"], r["reason"]) for r in rows] == [("cancelled", "rescheduled"), ("pending", None)]
    assert "2026-12-03" in rows[1]["key"] and rows[0]["id"] == old["id"]


async def test_throttle_spaces_sends_per_sender_on_the_injected_clock(clock):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    throttle = Throttle(1.0, clock, sleep)
    for _ in range(3):
        await throttle.wait("+447700900999")
    await throttle.wait("another-sender")
    assert slept == [1.0, 1.0]


async def test_throttle_sleeps_one_interval_a_send_when_the_clock_does_not_move(clock):
    # A clock that stays still while we sleep (a fixed test clock, a clock read once a tick)
    # must not make each sleep longer than the last: 1, 1, 1 seconds, never 1, 2, 3.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    throttle = Throttle(1.0, clock, sleep)
    for _ in range(4):
        await throttle.wait("+447700900999")
    assert slept == [1.0, 1.0, 1.0]


async def test_the_dispatcher_sends_one_message_a_second_by_default(clock, dispatchers):
    import dataclasses

    from tracker.settings import get_settings

    world = await make_world(clock.now())
    settings = dataclasses.replace(get_settings(), send_rate_per_second=1.0)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    for n in range(3):
        await enqueue(windows=WINDOWS, channel="email", template="action_due", due_at=clock.now(), key=f"test:rate:{n}",
                      recipient_user_id=world.lead.id,
                      context={"family_name": "F", "description": "d", "due_on": "2026-11-24",
                               "plan_id": 1, "action_id": 1})
    report = await dispatchers(settings, clock, sleep=sleep).tick(materialise=False)
    assert report.sent == 3 and slept == [1.0, 1.0]
