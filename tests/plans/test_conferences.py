"""Conferences through the API: the seven steps, the decision, invitees and report due dates."""

from datetime import date

from tests.support.factories import make_user, make_world
from tracker.plans.tables import Conference


async def test_a_review_is_scheduled_with_reports_due_two_working_days_before(client, clock):
    world = await make_world(clock.now())
    school = await make_user(clock.now())
    # Monday 4 January 2027 at 10:00: the reports are due Wednesday 30 December (the bank
    # holidays on 28 December and 1 January are skipped, and so is the weekend).
    response = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": "2027-01-04T10:00:00+00:00", "chair_id": world.chair.id,
        "invitee_ids": [world.invitee.id, school.id],
    }, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    conference = response.json()
    assert conference["invitee_ids"] == [world.invitee.id, school.id]
    assert {i["report_due_on"] for i in conference["invitees"]} == {"2026-12-30"}


async def test_the_seven_steps_and_decision_are_recorded_in_order(client, clock):
    world = await make_world(clock.now())
    steps = {
        "family_description": "Jess says Rosie is funny and kind.",
        "children_views": "Rosie likes school when she is on time.",
        "worries": "Attendance is 78%.",
        "impact": "Rosie is behind in reading.",
        "family_reflections": "Jess wants a routine; Linda can help.",
        "what_better_looks_like": "Rosie in school every day.",
        "support_and_contributions": "Breakfast club; weekly call.",
    }
    response = await client.patch(f"/api/v1/conferences/{world.conference_id}",
                                  json={**steps, "decision": "cp_plan", "categories": ["neglect", "emotional"]},
                                  headers=world.chair.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body["steps"]) == list(steps)
    assert body["steps"] == steps
    assert body["categories"] == ["emotional", "neglect"]


async def test_decision_rules_are_explained_per_field(client, clock):
    world = await make_world(clock.now())
    url = f"/api/v1/conferences/{world.conference_id}"
    no_category = await client.patch(url, json={"decision": "cp_plan", "categories": []},
                                     headers=world.lead.headers)
    assert no_category.status_code == 400
    assert "categories" in no_category.json()["errors"]
    cin_with_category = await client.patch(url, json={"decision": "cin_plan"}, headers=world.lead.headers)
    assert cin_with_category.status_code == 400
    too_late = await client.patch(url, json={"next_review_on": "2028-01-01"}, headers=world.lead.headers)
    assert too_late.status_code == 400
    assert "on or before" in too_late.json()["errors"]["next_review_on"]
    row = await Conference.select(Conference.decision, Conference.next_review_on).where(
        Conference.id == world.conference_id).first()
    assert row["decision"] == "cp_plan"
    assert row["next_review_on"] != date(2028, 1, 1)


async def test_a_chair_must_hold_the_chair_role_and_invitees_must_be_real(client, clock):
    world = await make_world(clock.now())
    response = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp", "starts_at": "2027-01-04T10:00:00Z",
        "chair_id": world.invitee.id, "invitee_ids": [424242, world.invitee.id],
    }, headers=world.lead.headers)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"chair_id", "invitee_ids"}
    missing_time = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp"}, headers=world.lead.headers)
    assert missing_time.status_code == 400
    assert "starts_at" in missing_time.json()["errors"]
    bad_kind = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "party", "starts_at": "2027-01-04T10:00:00Z"},
        headers=world.lead.headers)
    assert bad_kind.status_code == 400


async def test_changing_invitees_removes_and_adds_and_lists_conferences(client, clock):
    world = await make_world(clock.now())
    extra = await make_user(clock.now())
    url = f"/api/v1/conferences/{world.conference_id}"
    response = await client.patch(url, json={"invitee_ids": [extra.id]}, headers=world.lead.headers)
    assert response.json()["invitee_ids"] == [extra.id]
    listed = await client.get(f"/api/v1/conferences?family_id={world.family['id']}", headers=world.lead.headers)
    assert [c["id"] for c in listed.json()] == [world.conference_id]
    # The removed invitee no longer sees the family (they own no action in it? they do:
    # make_world gives the invitee an action, so they still see it).
    still = await client.get(url, headers=world.invitee.headers)
    assert still.status_code == 200


async def test_a_conference_shows_its_statutory_dates(client, clock):
    world = await make_world(clock.now())
    # An initial conference on Tuesday 1 December 2026.
    response = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "initial_cp", "starts_at": "2026-12-01T10:00:00Z",
        "chair_id": world.chair.id}, headers=world.lead.headers)
    statutory = response.json()["statutory"]
    assert statutory == {"reports_due_on": "2026-11-27", "latest_next_review_on": "2027-03-01",
                         "first_core_group_by": "2026-12-15"}


async def test_a_chair_who_may_only_see_a_family_cannot_arrange_its_conference_through_the_api(client, clock):
    """One rule for the API and the page: arranging needs the right to manage the family."""
    from tests.support.factories import SYSTEM
    from tracker.plans import service
    from tracker.plans.schemas import ConferencePatch

    world = await make_world(clock.now())
    other_chair = await make_user(clock.now(), "chair", name="Cara Chair")
    # Invited to the family's conference: she may see the family, but does not manage it.
    await service.update_conference(
        conference_id=world.conference_id,
        patch=ConferencePatch(invitee_ids=[world.invitee.id, other_chair.id]), actor=SYSTEM,
        now=clock.now())
    before = await Conference.count()
    response = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": "2027-01-04T10:00:00+00:00", "chair_id": other_chair.id,
    }, headers=other_chair.headers)
    assert response.status_code == 403
    assert "arrange a conference" in response.json()["detail"]
    assert await Conference.count() == before
