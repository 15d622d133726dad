"""Re-dating on revision: carried actions get new due dates (moved by the review interval, or
chosen one by one), never in the past, audited, and no overdue nudge follows."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

from tests.support.factories import POLICY, SYSTEM, at
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.bootstrap import build_dispatcher
from tracker.notify.providers import providers_for
from tracker.notify.sending import TickReport
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.plan_versions import carried_actions
from tracker.plans.schemas import ActionIn, ConferenceIn, ConferencePatch
from tracker.plans.tables import Action, Plan
from tracker.settings import get_settings

# The world's actions fall due on 4 December (Jess) and 8 December (Helen); the review is on
# Tuesday 15 December, so both are overdue when it meets. The next review: 15 June 2027.
REVIEW_DAY = date(2026, 12, 15)
NEXT_REVIEW = date(2027, 6, 15)
INTERVAL = NEXT_REVIEW - REVIEW_DAY
ROUTINE_REVIEW = date(2026, 12, 10)  # a routine step's review-by date, passed by the review


async def _held_review(clock, *, before=None):  # type: ignore[no-untyped-def]
    """A world whose review conference has met and recorded its decision (the clock is on its day).
    `before(world)` runs first, while the clock is still before the review."""
    world = await signable_world(clock.now())
    if before is not None:
        await before(world)
    review_id = await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp", starts_at=at(REVIEW_DAY),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=clock.now(), policy=POLICY)
    clock.at = at(REVIEW_DAY, 12)
    await service.update_conference(
        conference_id=review_id, actor=SYSTEM, now=clock.now(), policy=POLICY,
        patch=ConferencePatch(decision="cp_plan", categories=["neglect"], next_review_on=NEXT_REVIEW))
    return world, review_id


async def _held_review_with_routine(clock):  # type: ignore[no-untyped-def]
    """_held_review, where Jess also has a routine step (Mondays and Thursdays, reviewed by
    10 December): (world, review id, the routine step's id)."""
    made: list[int] = []

    async def add_routine(world) -> None:  # type: ignore[no-untyped-def]
        made.append(await service.add_action(policy=POLICY, actor=SYSTEM, now=clock.now(), data=ActionIn(
            outcome_id=world.outcome_id, owner_member_id=world.family["members"][0]["id"],
            description="Jess walks Rosie to school so she is in class by 8:50",
            success_measure="The register shows Rosie in class by 8:50", repeats="days",
            repeat_days=["thu", "mon"], review_on=ROUTINE_REVIEW, check_in="your mornings"),
            plan_id=world.plan_id))

    world, review_id = await _held_review(clock, before=add_routine)
    return world, review_id, made[0]


async def _carried(plan_id: int) -> dict[int, date]:
    rows = await Action.select(Action.carried_from, Action.due_on).where(Action.plan == plan_id)
    return {r["carried_from"]: r["due_on"] for r in rows}


async def _old_due(action_id: int) -> date:
    row = await Action.select(Action.due_on).where(Action.id == action_id).first()
    return row["due_on"]


async def test_by_default_every_carried_action_moves_on_by_the_review_interval(client, clock):
    world, review_id = await _held_review(clock)
    old = {i: await _old_due(i) for i in (world.action_id, world.member_action_id)}
    response = await client.post("/api/v1/plans", json={"conference_id": review_id,
                                                        "kind": "child_protection"}, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    carried = await _carried(response.json()["id"])
    assert carried == {i: d + INTERVAL for i, d in old.items()}
    assert all(d >= REVIEW_DAY for d in carried.values())


async def test_one_date_chosen_and_the_rest_moved_through_the_api_audited(client, clock):
    world, review_id = await _held_review(clock)
    chosen = date(2027, 1, 29)
    response = await client.post("/api/v1/plans", json={
        "conference_id": review_id, "kind": "child_protection",
        "due_dates": {str(world.action_id): chosen.isoformat()}}, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    plan_id = response.json()["id"]
    carried = await _carried(plan_id)
    assert carried[world.action_id] == chosen
    assert carried[world.member_action_id] == date(2026, 12, 4) + INTERVAL
    events = await AuditEvent.select(AuditEvent.changes).where(
        (AuditEvent.record_type == "action") & (AuditEvent.plan_id == plan_id))
    changes = [json.loads(e["changes"]) for e in events]
    assert ["2026-12-08", "2027-01-29"] in [c["due_on"] for c in changes]


async def test_a_carried_due_date_in_the_past_or_for_another_action_is_refused(client, clock):
    world, review_id = await _held_review(clock)
    before = (await Plan.count(), await AuditEvent.count())
    past = await client.post("/api/v1/plans", json={
        "conference_id": review_id, "kind": "child_protection",
        "due_dates": {str(world.action_id): "2026-12-14"}}, headers=world.lead.headers)
    assert past.status_code == 400
    assert "today or later" in past.json()["errors"][f"due_dates.{world.action_id}"]
    stranger = await client.post("/api/v1/plans", json={
        "conference_id": review_id, "kind": "child_protection",
        "due_dates": {"999999": "2027-01-10"}}, headers=world.lead.headers)
    assert stranger.status_code == 400 and "due_dates.999999" in stranger.json()["errors"]
    bad_key = await client.post("/api/v1/plans", json={
        "conference_id": review_id, "kind": "child_protection",
        "due_dates": {"0": "2027-01-10"}}, headers=world.lead.headers)
    assert bad_key.status_code == 400
    assert (await Plan.count(), await AuditEvent.count()) == before


async def test_no_overdue_nudge_follows_the_revised_plan(client, clock):
    world, review_id = await _held_review(clock)
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings))
    await Outbox.delete(force=True)
    response = await client.post("/api/v1/plans", json={"conference_id": review_id,
                                                        "kind": "child_protection"}, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    new_ids = [r["id"] for r in await Action.select(Action.id).where(Action.plan == response.json()["id"])]
    for days in (0, 1, 7, 14):
        clock.at = at(REVIEW_DAY + timedelta(days=days), 10)
        await dispatcher.materialise(clock.now(), TickReport(now=clock.now()))
    rows = await Outbox.select(Outbox.key).where(Outbox.rule == "action_overdue")
    assert not [r for r in rows if any(f":action:{i}:" in r["key"] for i in new_ids)]
    # ...and the nudges follow the new dates: the reminder before Jess's new date is made for it.
    clock.at = at(date(2026, 12, 4) + INTERVAL - timedelta(days=2), 10)
    wanted = await dispatcher.materialise(clock.now(), TickReport(now=clock.now()))
    assert any(n.rule == "action_before" and (date(2026, 12, 4) + INTERVAL).isoformat() in n.key
               for n in wanted)


# ---------------------------------------------------------------- the staff page


def _dates(action_id: int, d: date) -> dict[str, str]:
    return {f"due-{action_id}-day": str(d.day), f"due-{action_id}-month": str(d.month),
            f"due-{action_id}-year": str(d.year)}


async def test_the_revise_page_lists_old_dates_and_proposes_new_ones(client, clock):
    world, review_id = await _held_review(clock)
    await as_user(client, world.lead)
    conference = await client.get(f"/conferences/{review_id}")
    assert f'href="/conferences/{review_id}/revise"' in conference.text
    page = await client.get(f"/conferences/{review_id}/revise")
    assert page.status_code == 200
    assert "Was due Tuesday 8 December 2026" in page.text and "Was due Friday 4 December 2026" in page.text
    moved = date(2026, 12, 8) + INTERVAL
    assert f'name="due-{world.action_id}-day" type="text" inputmode="numeric" value="{moved.day}"' in page.text
    # Not connected to the family: refused.
    await as_user(client, world.outsider)
    assert (await client.get(f"/conferences/{review_id}/revise")).status_code in (403, 404)


async def test_the_revise_form_saves_each_date_refuses_a_past_one_and_moves_all_in_one_choice(client, clock):
    world, review_id = await _held_review(clock)
    await as_user(client, world.lead)
    url = f"/conferences/{review_id}/revise"
    plans = await Plan.count()
    past = await post_as_form(client, url, {**_dates(world.action_id, date(2026, 12, 1)),
                                            **_dates(world.member_action_id, date(2027, 1, 8))})
    assert past.status_code == 400
    assert f'href="#due-{world.action_id}"' in past.text and "today or later" in past.text
    assert await Plan.count() == plans
    chosen = await post_as_form(client, url, {**_dates(world.action_id, date(2027, 2, 1)),
                                              **_dates(world.member_action_id, date(2027, 1, 8)),
                                              "redate": "all"})
    assert chosen.status_code == 303, chosen.text[:800]
    plan_id = int(chosen.headers["location"].split("/")[2].split("?")[0])
    # "Move every date on" ignores the typed dates: each moved by the interval.
    assert await _carried(plan_id) == {world.action_id: date(2026, 12, 8) + INTERVAL,
                                       world.member_action_id: date(2026, 12, 4) + INTERVAL}
    # The plan is made: the page now leads to it.
    again = await client.get(url)
    assert again.status_code == 303 and again.headers["location"] == f"/plans/{plan_id}"


async def test_the_revise_form_saves_the_dates_typed(client, clock):
    world, review_id = await _held_review(clock)
    await as_user(client, world.lead)
    saved = await post_as_form(client, f"/conferences/{review_id}/revise",
                               {**_dates(world.action_id, date(2027, 2, 1)),
                                **_dates(world.member_action_id, date(2027, 1, 8))})
    assert saved.status_code == 303, saved.text[:800]
    plan_id = int(saved.headers["location"].split("/")[2].split("?")[0])
    assert await _carried(plan_id) == {world.action_id: date(2027, 2, 1),
                                       world.member_action_id: date(2027, 1, 8)}


# ---------------------------------------------------------------- routine steps


async def _routine_dates(plan_id: int, routine_id: int) -> tuple[date | None, date | None]:
    row = await Action.select(Action.due_on, Action.review_on).where(
        (Action.plan == plan_id) & (Action.carried_from == routine_id)).first()
    return row["due_on"], row["review_on"]


async def test_a_carried_routines_review_by_date_moves_on_never_past_the_next_review(client, clock):
    world, review_id, routine_id = await _held_review_with_routine(clock)
    carried = await carried_actions(review_id, now=clock.now(), policy=POLICY)
    proposed = {a["id"]: a["proposed_due_on"] for a in carried["actions"]}
    assert proposed[routine_id] == ROUTINE_REVIEW + INTERVAL
    # A conference whose next review comes sooner caps the moved date at that review.
    sooner = date(2027, 3, 1)
    await service.update_conference(conference_id=review_id, actor=SYSTEM, now=clock.now(),
                                    policy=POLICY, patch=ConferencePatch(next_review_on=sooner))
    capped = await carried_actions(review_id, now=clock.now(), policy=POLICY)
    assert {a["id"]: a["proposed_due_on"] for a in capped["actions"]}[routine_id] <= sooner
    response = await client.post("/api/v1/plans", json={"conference_id": review_id,
                                                        "kind": "child_protection"}, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    plan_id = response.json()["id"]
    due_on, review_on = await _routine_dates(plan_id, routine_id)
    assert due_on is None and review_on is not None and REVIEW_DAY <= review_on <= sooner
    events = await AuditEvent.select(AuditEvent.changes).where(
        (AuditEvent.record_type == "action") & (AuditEvent.plan_id == plan_id))
    changes = [json.loads(e["changes"]) for e in events]
    assert ["2026-12-10", review_on.isoformat()] in [c.get("review_on") for c in changes]


async def test_a_routines_new_review_by_date_is_chosen_on_the_revise_page(client, clock):
    world, review_id, routine_id = await _held_review_with_routine(clock)
    await as_user(client, world.lead)
    url = f"/conferences/{review_id}/revise"
    page = " ".join((await client.get(url)).text.split())
    assert "New review-by date" in page and "Was to be reviewed by" in page
    moved = ROUTINE_REVIEW + INTERVAL
    assert f'name="due-{routine_id}-day" type="text" inputmode="numeric" value="{moved.day}"' in page
    others = {**_dates(world.action_id, date(2027, 2, 1)),
              **_dates(world.member_action_id, date(2027, 1, 8))}
    past = await post_as_form(client, url, {**others, **_dates(routine_id, date(2026, 12, 1))})
    assert past.status_code == 400
    assert f'href="#due-{routine_id}"' in past.text and "new review-by date" in past.text
    saved = await post_as_form(client, url, {**others, **_dates(routine_id, date(2027, 1, 20))})
    assert saved.status_code == 303, saved.text[:800]
    plan_id = int(saved.headers["location"].split("/")[2].split("?")[0])
    assert await _routine_dates(plan_id, routine_id) == (None, date(2027, 1, 20))
    # The plan page's card says how often and when it is reviewed, not a due date.
    card = " ".join((await client.get(f"/plans/{plan_id}")).text.split())
    assert "How often</dt> <dd class=\"govuk-summary-list__value\">Mondays and Thursdays" in card
    assert "Review by</dt> <dd class=\"govuk-summary-list__value\">Wednesday 20 January 2027" in card
