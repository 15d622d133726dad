"""Core group nudges end to end: the lead is emailed once when the next meeting is due and none is
booked; each invited professional is emailed an invitation (real SMTP, the outbox)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories import make_core_group, make_world
from tracker.bootstrap import build_dispatcher
from tracker.notify.providers import providers_for
from tracker.notify.tables import Outbox

pytestmark = pytest.mark.usefixtures("clean_outbox")


async def _tick(settings, clock) -> None:  # type: ignore[no-untyped-def]
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(3))
    try:
        await dispatcher.tick()
    finally:
        await dispatcher.providers.close()


async def test_the_lead_is_emailed_once_when_the_first_core_group_is_due_and_none_is_booked(
        clock, real_settings, smtp_server):
    # The world's initial conference was Tuesday 17 November: the first core group is due by
    # Tuesday 1 December, and the lead is reminded five working days before (24 November).
    world = await make_world(clock.now())
    await _tick(real_settings, clock)
    rows = await Outbox.select().where((Outbox.rule == "core_group_due")
                                       & (Outbox.recipient_user == world.lead.id))
    assert [r["key"] for r in rows] == [
        f"core_group_due:plan:{world.plan_id}:user:{world.lead.id}:2026-12-01:due"]
    assert rows[0]["status"] == "sent"
    [mail] = smtp_server.to(world.lead.email)
    assert "Core group meeting due by Tue 1 Dec" in mail["Subject"]
    assert world.family["name"] not in mail["Subject"]
    assert f"/plans/{world.plan_id}/core-groups/new" in mail.get_body(("plain",)).get_content()
    clock.at = clock.now() + timedelta(hours=2)
    await _tick(real_settings, clock)
    assert len(smtp_server.to(world.lead.email)) == 1
    assert await Outbox.count().where(Outbox.rule == "core_group_due",
                                      Outbox.recipient_user == world.lead.id) == 1


async def test_a_booked_meeting_means_no_reminder_and_invitees_get_one_invitation_each(
        clock, real_settings, smtp_server):
    world = await make_world(clock.now())
    await make_core_group(world, clock.now(), starts_at=datetime(2026, 11, 30, 14, tzinfo=UTC))
    await _tick(real_settings, clock)
    assert await Outbox.count().where(Outbox.rule == "core_group_due",
                                      Outbox.recipient_user == world.lead.id) == 0
    [mail] = smtp_server.to(world.invitee.email)
    assert mail["Subject"] == (f"Invitation: core group meeting (F{world.family['id']}), "
                               "Mon 30 Nov at 2:00pm")
    body = mail.get_body(("plain",)).get_content()
    assert "Monday 30 November at 2:00pm" in body and "calendar feed" in body
    await _tick(real_settings, clock)
    assert len(smtp_server.to(world.invitee.email)) == 1
