"""GET /api/v1/plans/{id} is served again from memory only while nothing in it has changed.

Each test reads the plan first (so it is kept), makes one kind of change, and reads again: the
change must be in that very next answer. Who may read is checked on every request.
"""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import POLICY, SYSTEM, at, make_world
from tests.support.queries import queries_for
from tracker.plans import service
from tracker.plans.schemas import ActionIn, ActionPatch, ConferenceIn, OutcomeIn


async def _plan(client, world):  # type: ignore[no-untyped-def]
    answer = await client.get(f"/api/v1/plans/{world.plan_id}", headers=world.lead.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _actions(plan):  # type: ignore[no-untyped-def]
    return {a["id"]: a for o in plan["outcomes"] for a in o["actions"]}


async def test_a_second_read_runs_two_queries_and_answers_the_same(client, clock):
    world = await make_world(clock.now())
    first = await _plan(client, world)
    status, log = await queries_for(client, f"/api/v1/plans/{world.plan_id}",
                                    headers=world.lead.headers)
    assert status == 200
    # The token; the plan's family, its version and whether this caller may see it.
    assert log.count == 2, log.statements
    assert await _plan(client, world) == first


async def test_who_may_read_is_checked_on_every_read(client, clock):
    world = await make_world(clock.now())
    await _plan(client, world)
    path = f"/api/v1/plans/{world.plan_id}"
    assert (await client.get(path, headers=world.outsider.headers)).status_code == 404
    assert (await client.get(path)).status_code == 401
    assert (await client.get("/api/v1/plans/999999", headers=world.lead.headers)).status_code == 404


async def test_changed_and_new_actions_and_outcomes_show(client, clock):
    world = await make_world(clock.now())
    await _plan(client, world)
    await service.update_action(policy=POLICY, action_id=world.action_id, actor=SYSTEM,
                                now=clock.now(), patch=ActionPatch(status="in_progress"))
    assert _actions(await _plan(client, world))[world.action_id]["status"] == "in_progress"
    outcome = await service.add_outcome(
        plan_id=world.plan_id, actor=SYSTEM, now=clock.now(),
        data=OutcomeIn(child_ids=[world.family["children"][0]["id"]],
                       statement="Rosie sleeps through the night.", measure="A sleep diary."))
    action = await service.add_action(
        policy=POLICY, plan_id=world.plan_id, actor=SYSTEM, now=clock.now(),
        data=ActionIn(outcome_id=outcome, owner_user_id=world.lead.id,
                      description="Bring the sleep diary to each visit.",
                      due_on=clock.now().date() + timedelta(days=7), success_measure="Brought."))
    plan = await _plan(client, world)
    assert outcome in [o["id"] for o in plan["outcomes"]] and action in _actions(plan)


async def test_progress_through_the_api_shows(client, clock):
    world = await make_world(clock.now())
    await _plan(client, world)
    answer = await client.post(f"/api/v1/actions/{world.action_id}/updates",
                               headers=world.invitee.headers,
                               json={"status": "done", "note": "All six calls made."})
    assert answer.status_code in (200, 201), answer.text
    assert _actions(await _plan(client, world))[world.action_id]["status"] == "done"


async def test_a_booked_review_and_the_next_day_show(client, clock):
    world = await make_world(clock.now())
    before = await _plan(client, world)
    review = clock.now().date() + timedelta(days=30)
    await service.create_conference(
        policy=POLICY, actor=SYSTEM, now=clock.now(),
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(review, 14), chair_id=world.chair.id))
    after = await _plan(client, world)
    assert after["next_review_on"] == review.isoformat() != before["next_review_on"]
    # No change at all, but a new day: the step due in 14 days is overdue 15 days on.
    assert not _actions(after)[world.action_id]["overdue"]
    clock.advance(days=15)
    assert _actions(await _plan(client, world))[world.action_id]["overdue"]


async def test_an_ended_plan_shows_as_ended(client, clock):
    world = await make_world(clock.now())
    await _plan(client, world)
    await service.end_plan(plan_id=world.plan_id, actor=SYSTEM, now=clock.now())
    assert (await _plan(client, world))["status"] == "ended"
