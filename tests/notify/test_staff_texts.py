"""Professionals' own choice of nudges: email, text or both; texts neutral, in the same quiet hours."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, time, timedelta

import pytest

from tests.support.factories import make_world
from tracker.bootstrap import build_dispatcher
from tracker.clock import LONDON
from tracker.notify.providers import providers_for
from tracker.notify.rules import Nudge
from tracker.notify.staff_texts import by_choice
from tracker.notify.tables import Outbox
from tracker.people.tables import StaffUser

pytestmark = pytest.mark.usefixtures("clean_outbox")
MOBILE = "+447700900011"  # its own number: the tests that hand out numbers count from 100 up


async def _tick(clock, settings) -> None:  # type: ignore[no-untyped-def]
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(1))
    try:
        await dispatcher.tick()
    finally:
        await dispatcher.providers.close()


async def _invitee_due_today(clock, choice: str, at: time = time(10, 0)):  # type: ignore[no-untyped-def]
    """A world whose invitee chose `choice`, with the clock on their action's due day."""
    # Earlier tests' professionals go back to email: this test's texts are its own.
    await StaffUser.update({StaffUser.nudge_by: "email", StaffUser.mobile: None}, force=True)
    world = await make_world(clock.now())
    await StaffUser.update({StaffUser.nudge_by: choice, StaffUser.mobile: MOBILE}).where(
        StaffUser.id == world.invitee.id)
    due = clock.now().astimezone(LONDON).date() + timedelta(days=14)
    clock.at = datetime.combine(due, at, LONDON)
    return world


def _action_due_emails(smtp_server, email: str) -> list:  # type: ignore[no-untyped-def]
    return [m for m in smtp_server.to(email) if str(m["Subject"]).startswith("Due today")]


async def test_text_only_sends_a_neutral_text_and_no_email(clock, real_settings, twilio_server, smtp_server):
    world = await _invitee_due_today(clock, "sms")
    await _tick(clock, real_settings)
    texts = twilio_server.to(MOBILE)
    assert [t["body"] for t in texts] == [
        "You have a step due today in the plan tracker. Sign in to see it: http://testserver.local/actions"]
    assert _action_due_emails(smtp_server, world.invitee.email) == []
    family_name = world.family["name"]
    assert all(family_name not in t["body"] and "Rosie" not in t["body"] for t in texts)


async def test_both_sends_the_email_and_the_text(clock, real_settings, twilio_server, smtp_server):
    world = await _invitee_due_today(clock, "both")
    await _tick(clock, real_settings)
    assert len(twilio_server.to(MOBILE)) == 1
    [email] = _action_due_emails(smtp_server, world.invitee.email)
    assert world.family["name"] not in str(email["Subject"])


async def test_email_only_is_the_default_and_sends_no_text(clock, real_settings, twilio_server, smtp_server):
    world = await _invitee_due_today(clock, "email")
    await _tick(clock, real_settings)
    assert twilio_server.to(MOBILE) == []
    assert len(_action_due_emails(smtp_server, world.invitee.email)) == 1


async def test_staff_texts_keep_the_quiet_hours_and_go_when_they_end(clock, real_settings, twilio_server,
                                                                    smtp_server):
    settings = dataclasses.replace(real_settings, sms_hours="11:00-19:00")
    world = await _invitee_due_today(clock, "both")
    await _tick(clock, settings)
    assert twilio_server.to(MOBILE) == []  # 10:00: too early for texts
    assert len(_action_due_emails(smtp_server, world.invitee.email)) == 1
    held = await Outbox.select().where((Outbox.channel == "sms") & (Outbox.recipient_user == world.invitee.id))
    assert [r["status"] for r in held] == ["pending"]
    clock.advance(hours=1)
    await _tick(clock, settings)
    assert len(twilio_server.to(MOBILE)) == 1


async def test_a_text_queued_before_the_professional_went_back_to_email_is_not_sent(
        clock, real_settings, twilio_server):
    world = await _invitee_due_today(clock, "sms", at=time(9, 45))
    settings = dataclasses.replace(real_settings, sms_hours="10:00-19:00")
    await _tick(clock, settings)  # queued, held until 10:00
    await StaffUser.update({StaffUser.nudge_by: "email"}).where(StaffUser.id == world.invitee.id)
    clock.advance(minutes=30)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(1))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
    assert twilio_server.to(MOBILE) == []
    [row] = await Outbox.select().where((Outbox.channel == "sms") & (Outbox.recipient_user == world.invitee.id))
    assert (row["status"], row["reason"]) == ("suppressed", "prefers_email")


def test_choices_turn_only_textable_staff_nudges_into_texts():
    at = datetime(2026, 12, 1, 9, 30, tzinfo=LONDON)
    due = Nudge(key="action_due:action:1:user:7:2026-12-01:due", rule="action_due", channel="email",
                template="action_due", context={}, due_at=at, until=at, recipient_user_id=7)
    digest = dataclasses.replace(due, key="weekly_digest:user:7:2026-W49:digest", template="weekly_digest")
    member = dataclasses.replace(due, key="action_due:action:2:member:3:2026-12-01:due", channel="sms",
                                 template="member_action_due", recipient_user_id=None, recipient_member_id=3)
    assert by_choice([due, digest, member], {}) == [due, digest, member]
    texted = by_choice([due, digest, member], {7: "sms"})
    assert [(n.channel, n.template) for n in texted] == [
        ("sms", "action_due"), ("email", "weekly_digest"), ("sms", "member_action_due")]
    assert texted[0].key == "action_due:action:1:user:7:sms:2026-12-01:due"
    both = by_choice([due], {7: "both"})
    assert [n.channel for n in both] == ["email", "sms"]
