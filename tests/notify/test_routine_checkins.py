"""Routine steps are checked in on once a week, never "due"; a member's texts are capped each week
and paused over Christmas (held, never dropped) — under an injected clock, through the dispatcher."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.support.factories import POLICY, WINDOWS, make_world
from tracker.audit import Actor
from tracker.bootstrap import build_dispatcher
from tracker.clock import LONDON
from tracker.notify.outbox import enqueue
from tracker.notify.pacing import MemberPacing
from tracker.notify.providers import providers_for
from tracker.notify.rules import ActionFacts, MemberFacts, PlanState, RuleSettings, all_nudges
from tracker.notify.tables import ConsoleMessage, Outbox
from tracker.notify.templates import Letterhead, render
from tracker.plans import service
from tracker.plans.dates import WorkingCalendar
from tracker.plans.schemas import ActionPatch
from tracker.plans.tables import Action
from tracker.settings import get_settings

CAL = WorkingCalendar.england()

JESS = MemberFacts(id=7, family_id=1, name="Jess Taylor", preferred_channel="sms")


def routine_facts(**changes):  # type: ignore[no-untyped-def]
    values = dict(id=3, plan_id=1, family_id=1, family_name="Rosie's family (Taylor)",
                  description="Walk Rosie to school each day", due_on=None, status="in_progress",
                  owner_member_id=JESS.id, repeats="each_day", review_on=date(2027, 1, 29),
                  check_in="your mornings", created_on=date(2026, 11, 24))
    values.update(changes)
    return ActionFacts(**values)


def nudges_over(facts: ActionFacts, days: int, start: date = date(2026, 11, 24)) -> list:  # type: ignore[type-arg]
    seen = {}
    for n in range(days):
        now = datetime.combine(start + timedelta(days=n), time(12), LONDON)
        for nudge in all_nudges(PlanState(actions=(facts,), members=(JESS,)), now, CAL, RuleSettings()):
            if nudge.due_at <= now < nudge.until:
                seen[nudge.key] = nudge
    return sorted(seen.values(), key=lambda n: n.due_at)


def test_a_routine_step_gets_a_weekly_check_in_and_never_a_due_or_overdue_nudge():
    found = nudges_over(routine_facts(), 42)
    assert {n.rule for n in found} == {"routine_checkin"}
    assert {n.template for n in found} == {"member_routine_checkin"}
    days = [n.due_at.astimezone(LONDON).date() for n in found]
    assert all(later - earlier == timedelta(days=7) for earlier, later in zip(days, days[1:], strict=False))
    assert days[0] > date(2026, 11, 29)  # none in the week it was agreed
    assert all(d.weekday() == 2 for d in days)  # each day: Wednesdays
    assert all("due_on" not in n.context and n.context["check_in"] == "your mornings" for n in found)


def test_check_ins_stop_at_the_review_by_date_and_when_the_step_is_closed():
    assert all(n.due_at.date() <= date(2026, 12, 20) for n in nudges_over(
        routine_facts(review_on=date(2026, 12, 20)), 60))
    assert nudges_over(routine_facts(status="done"), 30) == []


def test_a_routine_on_given_days_is_checked_in_on_one_of_its_days():
    found = nudges_over(routine_facts(repeats="days", repeat_days="mon,tue"), 21)
    assert found and all(n.due_at.astimezone(LONDON).weekday() == 0 for n in found)


def test_the_check_in_text_asks_how_it_is_going_with_no_names_and_no_due():
    text = render("sms", "member_routine_checkin", {"name": "Jess Taylor", "check_in": "your mornings",
                                                    "link": "https://t.example/f/abc"},
                  letterhead=Letterhead(authority_name="Anytown", base_url="https://t.example")).text
    assert "How are your mornings going?" in text
    assert "due" not in text.lower() and "Jess" not in text and "Taylor" not in text


def test_quiet_days_run_over_the_new_year():
    pacing = MemberPacing()
    assert [pacing.is_quiet_day(date(2026, 12, d)) for d in (23, 24, 31)] == [False, True, True]
    assert pacing.is_quiet_day(date(2027, 1, 1)) and not pacing.is_quiet_day(date(2027, 1, 2))
    assert pacing.after_quiet_days(datetime(2026, 12, 27, 10, tzinfo=UTC)) == datetime(2027, 1, 2, tzinfo=UTC)


# ---------------------------------------------------------------- through the dispatcher

async def _texts_to(member_id: int) -> list[dict]:  # type: ignore[type-arg]
    return await Outbox.select().where(
        (Outbox.recipient_member == member_id) & (Outbox.channel == "sms")).order_by(Outbox.id)


@pytest.mark.usefixtures("clean_outbox")
async def test_six_would_be_texts_over_christmas_come_at_most_two_a_week_and_none_on_quiet_days(clock):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    # Jess's step becomes a routine (each day, reviewed at the end of January).
    await service.update_action(
        action_id=world.member_action_id, actor=Actor.system("tests"), now=clock.now(), policy=POLICY,
        patch=ActionPatch(repeats="each_day", due_on=None, review_on=date(2027, 1, 29),
                          check_in="your mornings"))
    # Other texts someone queues for her, whatever the rules say: three in one week, two on
    # quiet days (one about a step due that very day), one after.
    wanted = {date(2026, 12, 14): None, date(2026, 12, 15): None, date(2026, 12, 16): None,
              date(2026, 12, 28): None, date(2026, 12, 29): "2026-12-29", date(2027, 1, 5): None}
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(3))
    day = date(2026, 12, 12)
    handed: dict[int, date] = {}
    try:
        while day <= date(2027, 1, 6):
            if day in wanted:
                due = datetime.combine(day, time(9, 45), LONDON)
                await enqueue(windows=WINDOWS, channel="sms", template="member_action_before", due_at=due,
                              key=f"xmas:{jess}:{day}", recipient_member_id=jess,
                              context={"name": "Jess", "due_on": wanted[day] or "2027-02-01",
                                       "needs_link": True})
            for hour in (10, 12, 15, 18):
                clock.at = datetime.combine(day, time(hour), LONDON).astimezone(UTC)
                await dispatcher.tick()
            for row in await _texts_to(jess):
                if row["handed_at"] is not None and row["id"] not in handed:
                    handed[row["id"]] = row["handed_at"].astimezone(LONDON).date()
            day += timedelta(days=1)
    finally:
        await dispatcher.providers.close()
    rows = {r["id"]: r for r in await _texts_to(jess)}
    assert len(handed) >= 6, sorted(handed.values())
    # Any rolling 7 days: at most 2, besides a text about something due that very day.
    sent_days = sorted(d for row_id, d in handed.items()
                       if '"due_on": "' + d.isoformat() not in rows[row_id]["context"])
    for d in sent_days:
        assert sum(1 for other in sent_days if d <= other < d + timedelta(days=7)) <= 2, sent_days
    for row_id, d in handed.items():
        if MemberPacing().is_quiet_day(d):
            assert '"due_on": "' + d.isoformat() in rows[row_id]["context"], (d, rows[row_id]["key"])
    # Held, not dropped: everything queued by hand went, or is still waiting its turn.
    queued = [r for r in rows.values() if r["key"].startswith("xmas:")]
    assert all(r["status"] in ("sent", "pending") for r in queued), [(r["key"], r["status"]) for r in queued]
    assert any(r["reason"] and r["reason"].startswith("held") for r in rows.values())
    checkins = [r for r in rows.values() if r["template"] == "member_routine_checkin" and r["status"] == "sent"]
    assert checkins
    bodies = [m["body"] for m in await ConsoleMessage.select().where(
        ConsoleMessage.outbox_id.is_in([r["id"] for r in checkins]))]
    assert all("How are your mornings going?" in b and "due" not in b.lower() for b in bodies), bodies
    assert not [r for r in rows.values()
                if r["rule"] in ("action_before", "action_due", "action_overdue")]  # a routine is never "due"


@pytest.mark.usefixtures("clean_outbox")
async def test_on_a_quiet_day_only_what_falls_due_that_day_goes(clock):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    await Action.update({Action.status: "cancelled"}).where(Action.id == world.member_action_id)
    clock.at = datetime(2026, 12, 29, 10, 30, tzinfo=UTC)
    for key, due_on in (("today", "2026-12-29"), ("later", "2027-01-20")):
        await enqueue(windows=WINDOWS, channel="sms", template="member_action_before", due_at=clock.now(),
                      key=f"quiet:{key}:{jess}", recipient_member_id=jess,
                      context={"name": "Jess", "due_on": due_on, "needs_link": True})
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(3))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
    rows = {r["key"].split(":")[1]: r for r in await _texts_to(jess)}
    assert rows["today"]["status"] == "sent"
    assert rows["later"]["status"] == "pending" and rows["later"]["reason"] == "held: quiet days"
    assert rows["later"]["next_attempt_at"] == datetime(2027, 1, 2, tzinfo=UTC)


@pytest.mark.usefixtures("clean_outbox")
async def test_the_weekly_cap_is_a_setting_and_holds_the_third_text_until_the_week_allows(clock):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    await Action.update({Action.status: "cancelled"}).where(Action.id == world.member_action_id)
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, member_texts_per_week=2)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(3))
    first = datetime(2026, 12, 1, 10, tzinfo=UTC)
    try:
        for n in range(3):
            clock.at = first + timedelta(hours=n)
            await enqueue(windows=WINDOWS, channel="sms", template="member_action_before", due_at=clock.now(),
                          key=f"cap:{n}:{jess}", recipient_member_id=jess,
                          context={"name": "Jess", "due_on": "2027-01-20", "needs_link": True})
            await dispatcher.tick(materialise=False)
        # A step due today is the one text never held back (it still counts in her week).
        clock.at = first + timedelta(hours=4)
        await enqueue(windows=WINDOWS, channel="sms", template="member_action_due", due_at=clock.now(),
                      key=f"cap:due:{jess}", recipient_member_id=jess,
                      context={"name": "Jess", "due_on": "2026-12-01", "needs_link": True})
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
    rows = await _texts_to(jess)
    assert [r["status"] for r in rows] == ["sent", "sent", "pending", "sent"]
    assert rows[2]["reason"] == "held: at most 2 texts a week"
    assert rows[2]["next_attempt_at"] == first + timedelta(days=7)


def test_the_pacing_settings_are_checked_when_read():
    from tracker.settings import Settings, SettingsError

    assert Settings.from_env({"QUIET_DAYS": "", "SECRET_KEY": "x" * 40}).quiet_days == ""
    for bad in ({"QUIET_DAYS": "12-32..01-01"}, {"QUIET_DAYS": "christmas"}, {"MEMBER_TEXTS_PER_WEEK": "0"}):
        with pytest.raises(SettingsError):
            Settings.from_env({**bad, "SECRET_KEY": "x" * 40})
