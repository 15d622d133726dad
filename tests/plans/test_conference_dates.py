"""Conference dates that follow reality, under the injected clock: past conferences can be entered,
nothing is recorded before a conference starts, weekends and bank holidays are warned about, and a
recorded review's reminders stop."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from tests.support.factories import POLICY, SYSTEM, at, make_user, make_world
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.bootstrap import build_dispatcher
from tracker.notify.providers import providers_for
from tracker.notify.rules import ConferenceFacts, InviteeFacts, MemberFacts, PlanState, RuleSettings, nudges_due
from tracker.notify.sending import TickReport
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.dates import WorkingCalendar
from tracker.plans.schemas import ConferenceIn, ConferencePatch, FamilyIn, MemberIn
from tracker.plans.tables import Conference, Plan
from tracker.settings import get_settings

CONFERENCE_RULES = ["report_due", "review_coming", "chair_summary"]


async def _new_family(world, now) -> int:  # type: ignore[no-untyped-def]
    return await service.create_family(
        data=FamilyIn(name="The Brook family", lead_professional_id=world.lead.id,
                      members=[MemberIn(name="Amy", relationship="Mum", preferred_channel="none")]),
        caller=world.lead.caller, actor=SYSTEM, now=now)


async def _world(clock):  # type: ignore[no-untyped-def]
    return await make_world(clock.now())


async def test_a_conference_that_has_already_happened_is_entered_with_its_record_and_plan(client, clock):
    world = await _world(clock)
    family_id = await _new_family(world, clock.now())
    # A live plan brought in: its initial conference was held in September, before the tracker.
    held = at(date(2026, 9, 1))
    response = await client.post("/api/v1/conferences", json={
        "family_id": family_id, "kind": "initial_cp", "starts_at": held.isoformat(),
        "chair_id": world.chair.id, "worries": "Rosie missed school.", "decision": "cp_plan",
        "categories": ["neglect"], "next_review_on": "2026-11-30"}, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    plan = await client.post("/api/v1/plans", json={"conference_id": response.json()["id"],
                                                    "kind": "child_protection"}, headers=world.lead.headers)
    assert plan.status_code == 201, plan.text
    # Entered as held before its record is written: a past date is fine, and the record follows.
    later = await client.post("/api/v1/conferences", json={
        "family_id": family_id, "kind": "review_cp", "held": True,
        "starts_at": (clock.now() - timedelta(days=2)).isoformat(), "chair_id": world.chair.id},
        headers=world.lead.headers)
    assert later.status_code == 201, later.text
    recorded = await client.patch(f"/api/v1/conferences/{later.json()['id']}", json={
        "decision": "cp_plan", "categories": ["neglect"]}, headers=world.chair.headers)
    assert recorded.status_code == 200, recorded.text
    # Without saying it was held, a past date with no decision is a mistyped arrangement.
    mistyped = await client.post("/api/v1/conferences", json={
        "family_id": family_id, "kind": "review_cp",
        "starts_at": (clock.now() - timedelta(days=2)).isoformat(), "chair_id": world.chair.id},
        headers=world.lead.headers)
    assert mistyped.status_code == 400 and "today or later" in mistyped.json()["errors"]["starts_at"]


async def test_the_record_and_decision_cannot_be_saved_before_the_conference_starts(client, clock):
    world = await _world(clock)
    starts = clock.now() + timedelta(days=1)
    review = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp", "starts_at": starts.isoformat(),
        "chair_id": world.chair.id}, headers=world.lead.headers)
    assert review.status_code == 201, review.text
    url = f"/api/v1/conferences/{review.json()['id']}"
    before = await AuditEvent.count()
    early = await client.patch(url, json={"decision": "cp_plan", "categories": ["neglect"],
                                          "worries": "Attendance."}, headers=world.chair.headers)
    assert early.status_code == 400
    assert "once it has started" in early.json()["errors"]["decision"]
    steps_only = await client.patch(url, json={"worries": "Attendance."}, headers=world.chair.headers)
    assert steps_only.status_code == 400 and "once it has started" in steps_only.json()["errors"]["worries"]
    ahead = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp", "starts_at": starts.isoformat(),
        "chair_id": world.chair.id, "decision": "cp_plan", "categories": ["neglect"]},
        headers=world.lead.headers)
    assert ahead.status_code == 400 and "decision" in ahead.json()["errors"]
    row = await Conference.select().where(Conference.id == review.json()["id"]).first()
    assert row["decision"] is None and row["worries"] == ""
    assert await AuditEvent.count() == before
    # Once it has started, the record is saved.
    clock.advance(days=1, minutes=5)
    on_the_day = await client.patch(url, json={"decision": "cp_plan", "categories": ["neglect"]},
                                    headers=world.chair.headers)
    assert on_the_day.status_code == 200, on_the_day.text
    # A recorded conference has happened: it cannot be moved later than now.
    moved = await client.patch(url, json={"starts_at": (clock.now() + timedelta(days=3)).isoformat()},
                               headers=world.chair.headers)
    assert moved.status_code == 400 and "starts_at" in moved.json()["errors"]


async def test_the_revised_plan_cannot_be_made_before_the_conference_starts(client, clock):
    world = await _world(clock)
    review = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": (clock.now() + timedelta(days=3)).isoformat(), "chair_id": world.chair.id},
        headers=world.lead.headers)
    # A decision written before this rule existed (straight into the row).
    await Conference.update({Conference.decision: "cp_plan", Conference.categories: "neglect"}).where(
        Conference.id == review.json()["id"])
    plans = await Plan.count()
    early = await client.post("/api/v1/plans", json={"conference_id": review.json()["id"],
                                                     "kind": "child_protection"}, headers=world.lead.headers)
    assert early.status_code == 400
    assert "once it has started" in early.json()["errors"]["conference_id"]
    assert await Plan.count() == plans


@pytest.mark.parametrize(("day", "words"), [
    (date(2026, 12, 5), "is a weekend day"),       # a Saturday
    (date(2026, 12, 28), "is a bank holiday"),     # Boxing Day's substitute, a Monday
    (date(2026, 12, 1), None),                     # an ordinary Tuesday
])
async def test_a_weekend_or_bank_holiday_date_is_warned_about_not_refused(client, clock, day, words):
    world = await _world(clock)
    response = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp", "starts_at": at(day).isoformat(),
        "chair_id": world.chair.id}, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    warning = response.json()["date_warning"]
    assert (warning is None) if words is None else (words in warning)


async def test_the_arrange_form_warns_about_a_saturday_and_keeps_it_when_saved_again(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    saturday = date(2026, 12, 5)
    form = {"kind": "review_cp", "starts-on-day": "5", "starts-on-month": "12",
            "starts-on-year": "2026", "starts_time": "10:00", "chair": str(world.chair.id),
            "invitees": [str(world.invitee.id)]}
    url = f"/families/{world.family['id']}/conferences/new"
    count = await Conference.count()
    warned = await post_as_form(client, url, form)
    assert warned.status_code == 200
    assert "Saturday 5 December 2026 is a weekend day" in warned.text
    assert f'name="non_working_ok" value="{saturday.isoformat()}"' in warned.text
    assert await Conference.count() == count
    kept = await post_as_form(client, url, {**form, "non_working_ok": saturday.isoformat()})
    assert kept.status_code == 303, kept.text[:500]
    assert await Conference.count() == count + 1
    page = await client.get(kept.headers["location"])
    assert "is a weekend day" in page.text and 'id="record-waits"' in page.text
    record = await client.get(kept.headers["location"] + "/record")
    assert 'id="not-started"' in record.text


# ---------------------------------------------------------------- reminders stop once recorded


REVIEW = ConferenceFacts(id=4, family_id=1, family_name="Taylor", kind="review_cp",
                         starts_at=at(date(2026, 12, 17)), chair_id=9, plan_id=3,
                         invitees=(InviteeFacts(user_id=5, report_due_on=date(2026, 12, 15),
                                                submitted=False),))
JESS = MemberFacts(id=7, family_id=1, name="Jess", preferred_channel="sms")


@pytest.mark.parametrize("now", [at(date(2026, 12, 8)), at(date(2026, 12, 16)), at(date(2026, 12, 10))])
def test_a_recorded_review_makes_no_reminders_by_the_rules(now):
    cal, cfg = WorkingCalendar.england(), RuleSettings()
    state = PlanState(conferences=(REVIEW,), members=(JESS,))
    assert {n.rule for n in nudges_due(state, now, cal, cfg)} & set(CONFERENCE_RULES)
    recorded = PlanState(conferences=(dataclasses.replace(REVIEW, recorded=True),), members=(JESS,))
    assert not {n.rule for n in nudges_due(recorded, now, cal, cfg)} & set(CONFERENCE_RULES)


def _dispatcher(clock):  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    return build_dispatcher(settings, clock, providers_for(settings))


async def _conference_rows(conference_id: int) -> list[dict]:
    rows = await Outbox.select(Outbox.key, Outbox.status, Outbox.rule).where(
        Outbox.rule.is_in(CONFERENCE_RULES))
    return [r for r in rows if f":conference:{conference_id}:" in r["key"]]


async def test_once_a_review_is_recorded_its_reminders_stop_and_pending_ones_are_cancelled(migrated, clock):
    await Outbox.delete(force=True)
    world = await make_world(clock.now())
    school = await make_user(clock.now())
    # A review on Thursday 17 December; reports due Tuesday 15th.
    review_id = await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                                  starts_at=at(date(2026, 12, 17)), chair_id=world.chair.id,
                                  invitee_ids=[world.invitee.id, school.id]),
        actor=SYSTEM, now=clock.now(), policy=POLICY)
    dispatcher = _dispatcher(clock)
    clock.at = at(date(2026, 12, 15), 12)  # reports due today; the family's week-ahead reminder
    await dispatcher.materialise(clock.now(), TickReport(now=clock.now()))
    pending = await _conference_rows(review_id)
    assert {r["rule"] for r in pending} == {"report_due", "review_coming"}
    assert {r["status"] for r in pending} == {"pending"}
    # The review's decision is in (a row from before the rule, dated still to come): nothing more
    # is made for it, and what was waiting is cancelled on the next tick.
    await Conference.update({Conference.decision: "cp_plan", Conference.categories: "neglect"}).where(
        Conference.id == review_id)
    await dispatcher.materialise(clock.now(), TickReport(now=clock.now()))
    after = await _conference_rows(review_id)
    assert {r["status"] for r in after} == {"cancelled"} and len(after) == len(pending)
    # The next day (the chair's summary would be ready) and on its day: nothing more for it.
    clock.at = at(date(2026, 12, 16), 8)
    await dispatcher.materialise(clock.now(), TickReport(now=clock.now()))
    clock.at = at(date(2026, 12, 17), 12)
    await dispatcher.materialise(clock.now(), TickReport(now=clock.now()))
    assert {r["status"] for r in await _conference_rows(review_id)} == {"cancelled"}


async def test_a_recorded_weekend_conference_no_longer_asks_to_check_its_date(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    saturday = date(2026, 11, 21)
    held = await service.create_conference(policy=POLICY, actor=SYSTEM, now=clock.now(), data=ConferenceIn(
        family_id=world.family["id"], kind="review_cp", chair_id=world.chair.id, starts_at=at(saturday),
        held=True))
    assert "is a weekend day" in (await client.get(f"/conferences/{held}")).text
    await service.update_conference(conference_id=held, actor=SYSTEM, now=clock.now(), policy=POLICY,
                                    patch=ConferencePatch(decision="cin_plan",
                                                          next_review_on=date(2027, 2, 1)))
    page = (await client.get(f"/conferences/{held}")).text
    assert "Child in need plan" in page and "is a weekend day" not in page
