"""One bad row never stops the engine: poisoned actions, conferences and outbox rows are set aside.

The issue's reproduction: `PATCH /api/v1/actions/{id}` with `due_on` 9999-12-31 made every
dispatcher tick fail with OverflowError, so nobody got a text. Here the bad values are written
straight into the database (past every check, as an old row or a manual fix might be), and every
other nudge must still go, on both databases.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest

from tests.notify.test_dispatch import WED, rows_for, sms_to_jess
from tests.support.factories import make_world
from tracker.bootstrap import build_dispatcher
from tracker.family.links import LinkPolicy, issue_link
from tracker.notify.dispatcher import Dispatcher
from tracker.notify.providers import providers_for
from tracker.notify.scheduler import dispatch_tick
from tracker.notify.tables import Outbox
from tracker.plans.tables import Action, Conference

pytestmark = pytest.mark.usefixtures("clean_outbox")

# The Monday after WED, with the weekly digest open: the one tick that reads every open action
# (on other ticks an action due far from today is not read at all: no nudge of it can be open).
DIGEST_MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


@pytest.fixture
async def dispatcher(real_settings, clock):  # type: ignore[no-untyped-def]
    d = build_dispatcher(real_settings, clock, providers_for(real_settings), rng=random.Random(7))
    yield d
    await d.providers.close()


async def poison_action_date(action_id: int, value: date) -> None:
    """Write a due date straight into the row, bypassing every check."""
    await Action.update({Action.due_on: value}).where(Action.id == action_id)


async def poison_action_unreadable(action_id: int) -> None:
    """A due date the database holds but Python cannot represent (year 10000)."""
    await Action.raw("UPDATE action SET due_on = '10000-01-01' WHERE id = {}", action_id)


async def test_a_far_future_due_date_on_one_action_does_not_stop_anyone_elses_nudges(
        clock, dispatcher, twilio_server, smtp_server):
    poisoned = await make_world(clock.now())
    healthy = await make_world(clock.now())
    # One action due in year 9999, one in year 1: the dates that crashed every tick.
    await poison_action_date(poisoned.action_id, date(9999, 12, 31))
    await poison_action_date(poisoned.member_action_id, date(1, 1, 1))
    clock.at = WED

    report = await dispatcher.tick()

    # Due dates no nudge window reaches today are not even read, so nothing needs skipping.
    assert report.skipped == 0, report.lines
    assert not report.problems
    # Every healthy nudge went: Helen's email (5 working days before) and Jess's text (2 days).
    jess = healthy.family["members"][0]["id"]
    [text_row] = await rows_for(recipient_member=jess, channel="sms")
    assert text_row["status"] == "sent"
    assert twilio_server.to("+447700900123")
    [email_row] = await rows_for(recipient_user=healthy.invitee.id)
    assert email_row["status"] == "sent"
    assert smtp_server.to(healthy.invitee.email)
    # The poisoned world's actions made no rows, and the dispatcher's heartbeat is healthy.
    assert not await rows_for(recipient_user=poisoned.invitee.id)
    assert dispatcher.heartbeat.last_success_at == WED

    # The digest's tick reads every open action, these too: the digests still go out, and no
    # date is worked out from theirs (no nudge about them can be open), so nothing overflows.
    clock.at = DIGEST_MONDAY
    report = await dispatcher.tick()
    assert not report.problems, report.lines
    assert dispatcher.heartbeat.last_success_at == DIGEST_MONDAY
    digests = await rows_for(recipient_user=healthy.invitee.id, rule="weekly_digest")
    assert [row["status"] for row in digests] == ["sent"]


async def test_a_due_date_the_database_holds_but_python_cannot_read_skips_only_that_action(
        clock, dispatcher, twilio_server, smtp_server):
    poisoned = await make_world(clock.now())
    healthy = await make_world(clock.now())
    try:
        await poison_action_unreadable(poisoned.action_id)
    except Exception as exc:  # noqa: BLE001 - the database itself refuses the value: nothing to read back
        pytest.skip(f"this database refuses a year-10000 date outright: {exc}")
    clock.at = WED

    report = await dispatcher.tick()

    assert not report.problems, report.lines
    assert (await rows_for(recipient_user=healthy.invitee.id))[0]["status"] == "sent"
    # The poisoned family's other action (Jess's step) still nudges.
    jess = poisoned.family["members"][0]["id"]
    assert (await rows_for(recipient_member=jess, channel="sms"))[0]["status"] == "sent"
    # The digest's tick reads every open action: the unreadable one is reported and skipped.
    clock.at = DIGEST_MONDAY
    report = await dispatcher.tick()
    assert f"skipped action #{poisoned.action_id}" in "\n".join(report.lines)
    assert not report.problems, report.lines
    await poison_action_date(poisoned.action_id, date(2026, 12, 8))  # leave the table readable


async def test_a_conference_at_the_end_of_time_does_not_stop_the_other_nudges(
        clock, dispatcher, twilio_server, smtp_server):
    poisoned = await make_world(clock.now())
    healthy = await make_world(clock.now())
    far = await Conference.insert(Conference(
        family=poisoned.family["id"], kind="review_cp", created_at=clock.now(),
        starts_at=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))).returning(Conference.id)
    clock.at = WED

    report = await dispatcher.tick()

    assert not report.problems, report.problems
    assert (await rows_for(recipient_user=healthy.invitee.id))[0]["status"] == "sent"
    await Conference.delete().where(Conference.id == far[0]["id"])


async def test_an_outbox_row_that_fails_unexpectedly_is_set_aside_with_the_reason_and_the_rest_go(
        clock, dispatcher, twilio_server, smtp_server, client):
    world = await make_world(clock.now())
    bad = await sms_to_jess(world, clock, "poisoned")
    good = await sms_to_jess(world, clock, "healthy")
    # A context that is not JSON: rendering this row can only fail, and not in a way we foresaw.
    await Outbox.update({Outbox.context: "{not json"}).where(Outbox.id == bad)

    report = await dispatcher.tick(materialise=False)

    [bad_row] = await rows_for(id=bad)
    assert bad_row["status"] == "error"
    assert bad_row["error_code"] == "internal"
    assert "JSONDecodeError" in bad_row["error_text"]
    assert bad_row["lease_expires_at"] is None
    [good_row] = await rows_for(id=good)
    assert good_row["status"] == "sent"
    assert report.errors == 1 and report.sent == 1
    # Set aside, not retried: the next tick leaves it alone.
    clock.at = clock.now() + timedelta(hours=1)
    again = await dispatcher.tick(materialise=False)
    assert again.claimed == 0
    assert (await rows_for(id=bad))[0]["status"] == "error"
    # Visible in message history, with the reason, to the family's lead.
    answer = await client.get("/api/v1/messages", params={"status": "error"},
                              headers=world.lead.headers)
    assert answer.status_code == 200
    [shown] = [m for m in answer.json() if m["id"] == bad]
    assert shown["status"] == "error" and "JSONDecodeError" in shown["error_text"]


async def test_a_provider_that_blows_up_on_one_row_fails_only_that_row(
        clock, real_settings, twilio_server, smtp_server):
    world = await make_world(clock.now())
    first = await sms_to_jess(world, clock, "first")
    second = await sms_to_jess(world, clock, "second")
    providers = providers_for(real_settings)
    real_send = providers.sms.send_sms

    async def send_sms(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs["outbox_id"] == first:
            raise KeyError("a bug in the provider client")
        return await real_send(**kwargs)

    providers.sms.send_sms = send_sms  # type: ignore[method-assign]
    d = build_dispatcher(real_settings, clock, providers, rng=random.Random(7))
    try:
        report = await d.tick(materialise=False)
    finally:
        await providers.close()
    assert (await rows_for(id=first))[0]["status"] == "error"
    assert (await rows_for(id=second))[0]["status"] == "sent"
    assert report.sent == 1 and report.errors == 1
    # It was handed to the provider before the failure: it is never resent blindly.
    assert (await rows_for(id=first))[0]["handed_at"] is not None


async def test_rules_that_cannot_run_still_send_what_is_queued_and_mark_the_heartbeat(
        clock, real_settings, twilio_server, smtp_server):
    world = await make_world(clock.now())
    queued = await sms_to_jess(world, clock, "queued")

    class BrokenCalendar:
        """A working calendar whose data cannot be read (a broken holidays package, say)."""

        def add_working_days(self, d: date, n: int) -> date:
            raise RuntimeError("no calendar")

        def next_working_day(self, d: date) -> date:
            raise RuntimeError("no calendar")

    d = build_dispatcher(real_settings, clock, providers_for(real_settings), rng=random.Random(7),
                         calendar=BrokenCalendar())
    try:
        report = await d.tick()
    finally:
        await d.providers.close()
    # Every action and conference is skipped, but the tick goes on and sends the queued text.
    assert report.skipped >= 2
    assert (await rows_for(id=queued))[0]["status"] == "sent"


async def test_a_tick_that_fails_outright_is_logged_and_recorded_on_the_heartbeat(
        clock, real_settings, caplog):
    class DatabaseGone(Dispatcher):
        async def claim(self, now: datetime, limit: int) -> list[int]:
            raise ConnectionError("the database went away")

    d = DatabaseGone(settings=real_settings, providers=providers_for(real_settings), clock=clock,
                     link_issuer=partial(issue_link, policy=LinkPolicy.from_settings(real_settings)))
    try:
        await dispatch_tick(d)
    finally:
        await d.providers.close()
    assert "nudge dispatcher tick failed" in caplog.text
    assert d.heartbeat.failing_since == clock.now()
    assert d.heartbeat.last_success_at is None
