"""Plans, outcomes, actions and progress updates through the API, with SMART results."""

from datetime import timedelta

from tests.support.factories import make_world
from tracker.audit import AuditEvent
from tracker.plans.tables import Action, ProgressUpdate


async def test_the_plan_shows_outcomes_actions_and_a_smart_result_for_every_action(client, clock):
    world = await make_world(clock.now())
    plan = (await client.get(f"/api/v1/plans/{world.plan_id}", headers=world.lead.headers)).json()
    assert plan["kind"] == "child_protection" and plan["version"] == 1
    [outcome] = plan["outcomes"]
    assert outcome["child_ids"] == [world.family["children"][0]["id"]]
    assert {a["id"] for a in outcome["actions"]} == {world.action_id, world.member_action_id}
    assert all(a["smart"]["is_smart"] for a in outcome["actions"])


async def test_a_vague_action_comes_back_with_what_is_missing(client, clock):
    world = await make_world(clock.now())
    response = await client.post(f"/api/v1/plans/{world.plan_id}/actions", json={
        "outcome_id": world.outcome_id, "description": "Engage with services",
        "owner_member_id": world.family["members"][0]["id"],
    }, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    smart = response.json()["smart"]
    assert smart["is_smart"] is False
    assert smart["missing"] == ["specific", "measurable", "time_bound"]
    assert all(g["reason"] for g in smart["gaps"])


async def test_an_action_due_after_the_next_review_is_not_time_bound(client, clock):
    world = await make_world(clock.now())
    plan = (await client.get(f"/api/v1/plans/{world.plan_id}", headers=world.lead.headers)).json()
    late = plan["next_review_on"]
    response = await client.post(f"/api/v1/plans/{world.plan_id}/actions", json={
        "outcome_id": world.outcome_id, "owner_user_id": world.invitee.id,
        "description": "Book a weekly reading session with Rosie's class teacher on Fridays",
        "success_measure": "Six sessions recorded in the reading log",
        "due_on": str(__import__("datetime").date.fromisoformat(late) + timedelta(days=1)),
    }, headers=world.lead.headers)
    assert response.json()["smart"]["missing"] == ["time_bound"]


async def test_an_action_has_exactly_one_owner_who_may_be_contacted(client, clock):
    world = await make_world(clock.now())
    url = f"/api/v1/plans/{world.plan_id}/actions"
    base = {"outcome_id": world.outcome_id, "description": "Phone the school every Monday at 9"}
    nobody = await client.post(url, json=base, headers=world.lead.headers)
    assert nobody.status_code == 400 and "owner_user_id" in nobody.json()["errors"]
    both = await client.post(url, json={**base, "owner_user_id": world.invitee.id,
                                        "owner_member_id": world.family["members"][0]["id"]},
                             headers=world.lead.headers)
    assert both.status_code == 400 and "owner_member_id" in both.json()["errors"]
    unsafe = await client.post(url, json={**base, "owner_member_id": world.family["members"][1]["id"]},
                               headers=world.lead.headers)
    assert unsafe.status_code == 400
    assert "not safe to contact" in unsafe.json()["errors"]["owner_member_id"]
    wrong_outcome = await client.post(url, json={**base, "outcome_id": 999999, "owner_user_id": world.invitee.id},
                                      headers=world.lead.headers)
    assert wrong_outcome.status_code == 400 and "outcome_id" in wrong_outcome.json()["errors"]


async def test_outcomes_are_for_children_of_this_family(client, clock):
    world = await make_world(clock.now())
    other = await make_world(clock.now())
    url = f"/api/v1/plans/{world.plan_id}/outcomes"
    bad = await client.post(url, json={"child_ids": [other.family["children"][0]["id"]], "statement": "Safe"},
                            headers=world.lead.headers)
    assert bad.status_code == 400 and "child_ids" in bad.json()["errors"]
    empty = await client.post(url, json={"child_ids": [], "statement": ""}, headers=world.lead.headers)
    assert set(empty.json()["errors"]) == {"child_ids", "statement"}
    good = await client.post(url, json={"child_ids": [world.family["children"][0]["id"]],
                                        "statement": "Rosie sleeps well", "measure": "Bed by 8pm"},
                             headers=world.lead.headers)
    assert good.status_code == 201 and good.json()["statement"] == "Rosie sleeps well"


async def test_the_owner_records_progress_and_it_is_immutable_and_attributed(client, clock):
    world = await make_world(clock.now())
    url = f"/api/v1/actions/{world.action_id}/updates"
    response = await client.post(url, json={"status": "in_progress", "note": "First call made."},
                                 headers=world.invitee.headers)
    assert response.status_code == 201, response.text
    update = response.json()
    assert update["from_status"] == "not_started" and update["to_status"] == "in_progress"
    assert update["author"] == {"kind": "user", "user_id": world.invitee.id, "member_id": None,
                                "name": world.invitee.name}
    listed = (await client.get(url, headers=world.lead.headers)).json()
    assert [u["note"] for u in listed] == ["First call made."]
    action = (await client.get(f"/api/v1/actions/{world.action_id}", headers=world.lead.headers)).json()
    assert action["status"] == "in_progress"
    events = (await client.get(f"/api/v1/plans/{world.plan_id}/audit", headers=world.lead.headers)).json()
    status_events = [e for e in events if e["record_type"] == "action" and e["action"] == "update"]
    assert status_events[-1]["changes"] == {"status": ["not_started", "in_progress"]}
    assert status_events[-1]["actor"]["user_id"] == world.invitee.id
    assert not hasattr(ProgressUpdate, "update_note")  # no edit path exists in the API


async def test_an_empty_update_or_unknown_status_is_refused_without_writing(client, clock):
    world = await make_world(clock.now())
    url = f"/api/v1/actions/{world.action_id}/updates"
    before = await ProgressUpdate.count()
    empty = await client.post(url, json={"note": "   "}, headers=world.invitee.headers)
    assert empty.status_code == 400 and "note" in empty.json()["errors"]
    unknown = await client.post(url, json={"status": "finished"}, headers=world.invitee.headers)
    assert unknown.status_code == 400
    too_long = await client.post(url, json={"note": "x" * 2001}, headers=world.invitee.headers)
    assert too_long.status_code == 400
    assert await ProgressUpdate.count() == before


async def test_an_owner_may_change_status_but_not_the_rest_of_the_action(client, clock):
    world = await make_world(clock.now())
    url = f"/api/v1/actions/{world.action_id}"
    status = await client.patch(url, json={"status": "done", "note": "All six calls made."},
                                headers=world.invitee.headers)
    assert status.status_code == 200 and status.json()["status"] == "done"
    rewrite = await client.patch(url, json={"due_on": "2030-01-01"}, headers=world.invitee.headers)
    assert rewrite.status_code == 403
    lead = await client.patch(url, json={"due_on": str((clock.now() + timedelta(days=20)).date())},
                              headers=world.lead.headers)
    assert lead.status_code == 200


async def test_another_professional_cannot_update_someone_elses_action(client, clock):
    world = await make_world(clock.now())
    # The chair's colleague invited to the conference (invitee) owns world.action_id; the
    # member action belongs to Jess: the invitee may see it but not update it.
    response = await client.post(f"/api/v1/actions/{world.member_action_id}/updates",
                                 json={"status": "done"}, headers=world.invitee.headers)
    assert response.status_code == 403


async def test_progress_counts_statuses_overdue_and_per_outcome(client, clock):
    world = await make_world(clock.now())
    await client.post(f"/api/v1/actions/{world.action_id}/updates", json={"status": "done"},
                      headers=world.invitee.headers)
    await Action.update({Action.due_on: (clock.now() - timedelta(days=2)).date()}).where(
        Action.id == world.member_action_id)
    progress = (await client.get(f"/api/v1/plans/{world.plan_id}/progress", headers=world.chair.headers)).json()
    assert progress["by_status"]["done"] == 1 and progress["by_status"]["not_started"] == 1
    assert progress["overdue"] == 1 and progress["overdue_action_ids"] == [world.member_action_id]
    assert progress["outcomes"][0]["percent_done"] == 50


async def test_a_review_conference_revises_the_plan_carrying_open_actions_forward(client, clock):
    world = await make_world(clock.now())
    await client.post(f"/api/v1/actions/{world.action_id}/updates", json={"status": "done"},
                      headers=world.invitee.headers)
    review = await client.post("/api/v1/conferences", json={
        # Recorded with its decision, so already held: an hour ago (a record cannot come first).
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "chair_id": world.chair.id, "decision": "cp_plan", "categories": ["neglect"]},
        headers=world.chair.headers)
    assert review.status_code == 201, review.text
    response = await client.post("/api/v1/plans", json={"conference_id": review.json()["id"],
                                                        "kind": "child_protection"},
                                 headers=world.chair.headers)
    assert response.status_code == 201, response.text
    revised = response.json()
    assert revised["version"] == 2 and revised["previous_plan_id"] == world.plan_id
    carried = [a for o in revised["outcomes"] for a in o["actions"]]
    assert [a["carried_from"] for a in carried] == [world.member_action_id]
    old = (await client.get(f"/api/v1/plans/{world.plan_id}", headers=world.chair.headers)).json()
    assert old["status"] == "superseded"
    again = await client.post("/api/v1/plans", json={"conference_id": review.json()["id"],
                                                     "kind": "child_protection"}, headers=world.chair.headers)
    assert again.status_code == 400
    mismatch = await client.post("/api/v1/plans", json={"conference_id": world.conference_id,
                                                        "kind": "child_in_need"}, headers=world.chair.headers)
    assert mismatch.status_code == 400


async def test_every_change_is_in_the_audit_trail_with_who_and_channel(client, clock):
    world = await make_world(clock.now())
    await client.post(f"/api/v1/actions/{world.action_id}/updates", json={"note": "Left a message."},
                      headers=world.invitee.headers)
    events = (await client.get(f"/api/v1/plans/{world.plan_id}/audit", headers=world.lead.headers)).json()
    kinds = {(e["record_type"], e["action"]) for e in events}
    assert {("family", "create"), ("conference", "create"), ("plan", "create"), ("outcome", "create"),
            ("action", "create"), ("progress_update", "create")} <= kinds
    last = events[-1]
    assert last["channel"] == "api" and last["actor"]["user_id"] == world.invitee.id
    assert await AuditEvent.count() >= len(events)


async def test_actions_on_a_superseded_plan_are_history_and_cannot_change(client, clock):
    world = await make_world(clock.now())
    review = await client.post("/api/v1/conferences", json={
        # Recorded with its decision, so already held: an hour ago (a record cannot come first).
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "chair_id": world.chair.id, "decision": "cp_plan", "categories": ["neglect"]},
        headers=world.chair.headers)
    revised = await client.post("/api/v1/plans", json={"conference_id": review.json()["id"],
                                                       "kind": "child_protection"}, headers=world.chair.headers)
    assert revised.status_code == 201, revised.text
    update = await client.post(f"/api/v1/actions/{world.action_id}/updates", json={"status": "done"},
                               headers=world.invitee.headers)
    assert update.status_code == 400 and "history" in update.json()["errors"]["plan"]
    patch = await client.patch(f"/api/v1/actions/{world.action_id}", json={"due_on": "2027-01-01"},
                               headers=world.lead.headers)
    assert patch.status_code == 400
    old = (await client.get(f"/api/v1/actions/{world.action_id}", headers=world.lead.headers)).json()
    assert old["status"] == "not_started"


async def test_a_plan_needs_the_conference_decision_first_through_the_api_as_on_the_page(client, clock):
    from tracker.audit import AuditEvent
    from tracker.plans.tables import Plan

    world = await make_world(clock.now())
    review = await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp", "starts_at": "2027-01-12T10:00:00Z",
        "chair_id": world.chair.id}, headers=world.chair.headers)
    before = (await Plan.count(), await AuditEvent.count())
    response = await client.post("/api/v1/plans", json={"conference_id": review.json()["id"],
                                                        "kind": "child_protection"}, headers=world.chair.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {"conference_id": "Record the conference's decision as a child "
                                                          "protection plan or a child in need plan first."}
    assert (await Plan.count(), await AuditEvent.count()) == before
