"""Routine steps: an action that repeats, with a review-by date instead of a deadline (API, rules, audit)."""

from datetime import date, timedelta

import pytest

from tests.support.factories import make_world
from tracker.audit import AuditEvent
from tracker.clock import local_date
from tracker.plans.routines import how_often
from tracker.plans.smart import ActionFacts, check_action
from tracker.plans.tables import Action


def routine(world, **extra):  # type: ignore[no-untyped-def]
    return {"outcome_id": world.outcome_id, "owner_member_id": world.family["members"][0]["id"],
            "description": "Walk Rosie to school so she is in class by 8:50",
            "success_measure": "The register shows Rosie in class by 8:50",
            "repeats": "each_day", "check_in": "your mornings", **extra}


async def test_a_routine_step_repeats_each_day_with_a_review_by_date_and_is_smart(client, clock):
    world = await make_world(clock.now())
    review_on = (local_date(clock.now()) + timedelta(days=28)).isoformat()
    response = await client.post(f"/api/v1/plans/{world.plan_id}/actions",
                                 json=routine(world, review_on=review_on), headers=world.lead.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["repeats"], body["review_on"], body["due_on"], body["check_in"]) == (
        "each_day", review_on, None, "your mornings")
    assert body["smart"]["is_smart"] is True, body["smart"]
    assert body["smart"]["routine"] is True and body["smart"]["frequency"] == "each day"
    [created] = await AuditEvent.select().where(
        (AuditEvent.record_type == "action") & (AuditEvent.record_id == body["id"]))
    assert "review_on" in created["changes"] and "each_day" in created["changes"]


async def test_a_routine_on_given_weekdays_says_which_days(client, clock):
    world = await make_world(clock.now())
    review_on = (local_date(clock.now()) + timedelta(days=28)).isoformat()
    response = await client.post(
        f"/api/v1/plans/{world.plan_id}/actions", headers=world.lead.headers,
        json=routine(world, repeats="days", repeat_days=["wed", "mon", "mon"], review_on=review_on))
    assert response.status_code == 201, response.text
    assert response.json()["repeat_days"] == ["mon", "wed"]
    assert response.json()["smart"]["frequency"] == "on Mondays and Wednesdays"


async def test_routine_rules_are_field_errors_and_nothing_is_written(client, clock):
    world = await make_world(clock.now())
    before = await Action.count()
    today = local_date(clock.now())
    url = f"/api/v1/plans/{world.plan_id}/actions"
    cases = [
        (routine(world), "review_on"),  # no review-by date
        (routine(world, review_on=str(today + timedelta(days=9)), due_on=str(today)), "due_on"),
        (routine(world, repeats="days", review_on=str(today + timedelta(days=9))), "repeat_days"),
        (routine(world, review_on=str(today + timedelta(days=9)), check_in="Rosie's mornings"),
         "check_in"),  # a check-in text never names anyone
        (routine(world, review_on=str(today + timedelta(days=9)), check_in="mornings 4 u"), "check_in"),
        (routine(world, review_on=str(today + timedelta(days=9)), check_in="school mornings"),
         "check_in"),  # nor a school, a service or a worry
        (routine(world, repeats="", review_on=str(today + timedelta(days=9))), "review_on"),
        (routine(world, review_on="9999-12-31"), "review_on"),
    ]
    for body, field in cases:
        response = await client.post(url, json=body, headers=world.lead.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["errors"], (body, response.json())
    too_long = await client.post(url, json=routine(world, check_in="x" * 61), headers=world.lead.headers)
    assert too_long.status_code == 400
    assert await Action.count() == before


async def test_a_step_becomes_a_routine_and_back_and_each_change_is_audited(client, clock):
    world = await make_world(clock.now())
    review_on = (local_date(clock.now()) + timedelta(days=20)).isoformat()
    url = f"/api/v1/actions/{world.member_action_id}"
    refused = await client.patch(url, json={"repeats": "each_day", "review_on": review_on},
                                 headers=world.lead.headers)
    assert refused.status_code == 400 and "due_on" in refused.json()["errors"]
    made = await client.patch(url, json={"repeats": "each_day", "review_on": review_on, "due_on": None,
                                         "check_in": "your mornings"}, headers=world.lead.headers)
    assert made.status_code == 200, made.text
    row = await Action.select().where(Action.id == world.member_action_id).first()
    assert (row["repeats"], row["review_on"], row["due_on"]) == ("each_day", date.fromisoformat(review_on), None)
    back = await client.patch(url, json={"repeats": "", "due_on": review_on}, headers=world.lead.headers)
    assert back.status_code == 200, back.text
    row = await Action.select().where(Action.id == world.member_action_id).first()
    assert (row["repeats"], row["review_on"], row["check_in"]) == ("", None, "")
    changes = [e["changes"] for e in await AuditEvent.select().where(
        (AuditEvent.record_type == "action") & (AuditEvent.record_id == world.member_action_id)
        & (AuditEvent.action == "update"))]
    assert any("repeats" in c and "each_day" in c for c in changes)
    assert len(changes) == 2


async def test_a_revised_plan_carries_a_routine_step_as_a_routine(client, clock):
    world = await make_world(clock.now())
    review_on = (local_date(clock.now()) + timedelta(days=20)).isoformat()
    made = await client.post(f"/api/v1/plans/{world.plan_id}/actions",
                             json=routine(world, review_on=review_on), headers=world.lead.headers)
    review = await client.post("/api/v1/conferences", json={
        # Recorded with its decision, so already held: an hour ago.
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "chair_id": world.chair.id, "decision": "cp_plan", "categories": ["neglect"]},
        headers=world.chair.headers)
    revised = await client.post("/api/v1/plans", json={"conference_id": review.json()["id"],
                                                       "kind": "child_protection"}, headers=world.chair.headers)
    assert revised.status_code == 201, revised.text
    [carried] = [a for o in revised.json()["outcomes"] for a in o["actions"]
                 if a["carried_from"] == made.json()["id"]]
    assert (carried["repeats"], carried["due_on"], carried["check_in"]) == (
        "each_day", None, "your mornings")
    # Its review-by date is proposed anew like a due date: moved on by the review interval.
    assert carried["review_on"] > review_on


def facts(**changes):  # type: ignore[no-untyped-def]
    values = dict(description="Walk Rosie to school so she is in class by 8:50", has_owner=True,
                  success_measure="The register shows Rosie in class by 8:50", has_outcome=True,
                  due_on=None, next_review_on=date(2027, 2, 1))
    values.update(changes)
    return ActionFacts(**values)


def test_a_stored_routine_with_owner_measure_and_review_date_is_smart():
    result = check_action(facts(repeats="each_day", review_on=date(2027, 1, 15)))
    assert result.is_smart and result.frequency == "each day"


def test_each_day_without_a_review_date_is_not_time_bound():
    result = check_action(facts(repeats="each_day"))
    assert result.missing == ("time_bound",)
    assert "each day" in result.gaps[0].reason and "review" in result.gaps[0].reason


def test_a_routine_reviewed_after_the_next_review_is_not_time_bound():
    result = check_action(facts(repeats="days", repeat_days="tue,thu", review_on=date(2027, 3, 1)))
    assert result.missing == ("time_bound",) and result.frequency == "on Tuesdays and Thursdays"
    assert "1 February 2027" in result.gaps[0].reason


def test_a_routine_still_needs_a_measure_and_an_owner():
    result = check_action(facts(repeats="each_day", review_on=date(2027, 1, 15), success_measure="",
                                has_owner=False))
    assert result.missing == ("specific", "measurable")


@pytest.mark.parametrize(("days", "said"), [
    ("mon,tue,wed,thu,fri", "on weekdays"),
    ("fri,thu,wed,tue,mon", "on weekdays"),
    ("sat,sun", "at weekends"),
    ("mon,wed", "on Mondays and Wednesdays"),
    ("mon,tue,wed,thu", "on Mondays, Tuesdays, Wednesdays and Thursdays"),
])
def test_how_often_says_weekdays_and_weekends_in_plain_words(days: str, said: str) -> None:
    assert how_often("days", days) == said
