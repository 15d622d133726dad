"""Core group meetings through the API: arrange, record (only once started), bad input, access."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories import make_user, make_world
from tracker.audit import AuditEvent
from tracker.plans.tables import (
    Action,
    CoreGroupActionReview,
    CoreGroupMeeting,
    CoreGroupPerson,
    FamilyMember,
    ProgressUpdate,
)

# The world's clock is Tuesday 24 November 2026, 10:00; its initial conference was 17 November.
MEETING_AT = "2026-11-30T14:00:00+00:00"


async def _counts() -> tuple[int, int, int, int]:
    return (await CoreGroupMeeting.count(), await CoreGroupPerson.count(),
            await CoreGroupActionReview.count(), await ProgressUpdate.count())


async def _arrange(client, world, **extra):  # type: ignore[no-untyped-def]
    response = await client.post(f"/api/v1/plans/{world.plan_id}/core-groups", json={
        "starts_at": MEETING_AT, "invitee_ids": [world.invitee.id], **extra,
    }, headers=world.lead.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_lead_arranges_a_core_group_and_everyone_on_the_family_can_read_it(client, clock):
    world = await make_world(clock.now())
    meeting = await _arrange(client, world)
    assert meeting["plan_id"] == world.plan_id
    assert meeting["invitee_ids"] == [world.invitee.id]
    assert meeting["attended_user_ids"] == [] and meeting["recorded_at"] is None
    assert meeting["people"] == [{"user_id": world.invitee.id, "member_id": None,
                                  "name": "Helen School", "invited": True, "attended": False}]
    listed = await client.get(f"/api/v1/plans/{world.plan_id}/core-groups",
                              headers=world.invitee.headers)
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()] == [meeting["id"]]
    one = await client.get(f"/api/v1/core-groups/{meeting['id']}", headers=world.chair.headers)
    assert one.status_code == 200 and one.json() == meeting
    events = await AuditEvent.select(AuditEvent.record_type).where(
        AuditEvent.plan_id == world.plan_id)
    assert {"core_group_meeting", "core_group_person"} <= {e["record_type"] for e in events}


async def test_the_record_cannot_be_saved_before_the_meeting_starts(client, clock):
    world = await make_world(clock.now())
    meeting = await _arrange(client, world)
    url = f"/api/v1/core-groups/{meeting['id']}"
    record = {
        "attended_user_ids": [world.invitee.id],
        "attended_member_ids": [world.family["members"][0]["id"]],
        "action_reviews": [{"action_id": world.action_id, "status": "in_progress",
                            "note": "Two Monday calls made; Jess says they help."}],
        "better": "Rosie was in school four days out of five.",
        "family_view": "Jess says mornings are calmer.",
        "children_view": "Rosie likes breakfast club.",
        "next_steps": "Keep the Monday calls; ask about a reading buddy.",
    }
    before = await _counts()
    early = await client.patch(url, json=record, headers=world.lead.headers)
    assert early.status_code == 400
    assert set(early.json()["errors"]) == set(record)
    assert "once the meeting has started" in early.json()["errors"]["better"]
    assert await _counts() == before

    clock.at = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    saved = await client.patch(url, json=record, headers=world.lead.headers)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["better"] == record["better"] and body["recorded_at"] is not None
    assert body["attended_member_ids"] == record["attended_member_ids"]
    assert body["invitee_ids"] == [world.invitee.id] == body["attended_user_ids"]
    review = body["action_reviews"][0]
    assert review["status"] == "in_progress"
    update = await ProgressUpdate.select().where(
        ProgressUpdate.id == review["progress_update_id"]).first()
    assert update["channel"] == "web" and update["author_user"] == world.lead.id
    assert update["to_status"] == "in_progress" and update["note"].startswith("Two Monday calls")
    action = await Action.select(Action.status).where(Action.id == world.action_id).first()
    assert action["status"] == "in_progress"
    again = await client.patch(url, json={"action_reviews": record["action_reviews"]},
                               headers=world.lead.headers)
    assert again.status_code == 400
    assert "already been reviewed" in again.json()["errors"]["action_reviews[0].action_id"]
    later = await client.patch(url, json={"starts_at": "2026-12-20T10:00:00+00:00"},
                               headers=world.lead.headers)
    assert later.status_code == 400 and "recorded" in later.json()["errors"]["starts_at"]


async def test_a_meeting_already_held_can_be_entered_with_its_record(client, clock):
    world = await make_world(clock.now())
    meeting = await _arrange(client, world, starts_at="2026-11-23T10:00:00+00:00",
                             better="Rosie has a new coat and likes school.")
    assert meeting["recorded_at"] is not None
    assert meeting["better"] == "Rosie has a new coat and likes school."


def _bad_bodies(world, other):  # type: ignore[no-untyped-def]
    """(extra body for a meeting already held, the field that must be named)."""
    held = "2026-11-23T10:00:00+00:00"
    return [
        ({"starts_at": "2040-01-01T10:00:00+00:00"}, "starts_at"),
        ({"starts_at": "2026-11-10T10:00:00+00:00"}, "starts_at"),
        ({"starts_at": "2026-11-30T10:00:00+20:00"}, "starts_at"),
        ({"starts_at": held, "invitee_ids": [world.invitee.id, world.invitee.id]}, "invitee_ids"),
        ({"starts_at": held, "invitee_ids": [2_000_000_000]}, "invitee_ids"),
        ({"starts_at": held, "attended_user_ids": [world.lead.id, world.lead.id]}, "attended_user_ids"),
        ({"starts_at": held, "attended_member_ids": [other.family["members"][0]["id"]]},
         "attended_member_ids"),
        ({"starts_at": held, "attended_member_ids": [world.family["members"][0]["id"]] * 2},
         "attended_member_ids"),
        ({"starts_at": held, "action_reviews": [
            {"action_id": world.action_id, "status": "done", "note": "a"},
            {"action_id": world.action_id, "status": "done", "note": "b"}]}, "action_reviews"),
        ({"starts_at": held, "action_reviews": [
            {"action_id": other.action_id, "status": "done", "note": "Done."}]},
         "action_reviews[0].action_id"),
        ({"starts_at": held, "action_reviews": [
            {"action_id": world.action_id, "status": "done", "note": "x" * 2001}]},
         "action_reviews[0].note"),
        ({"starts_at": held, "action_reviews": [
            {"action_id": world.action_id, "status": "done", "note": "bad\x00note"}]},
         "action_reviews[0].note"),
        ({"starts_at": held, "action_reviews": [
            {"action_id": world.action_id, "status": "not_started", "note": ""}]},
         "action_reviews[0].note"),
        ({"starts_at": held, "action_reviews": [
            {"action_id": world.action_id, "status": "finished", "note": "x"}]},
         "action_reviews[0].status"),
        ({"starts_at": held, "better": "b" * 10_001}, "better"),
        ({"starts_at": held, "family_view": "bell\x07"}, "family_view"),
        ({"starts_at": held, "children_view": "nul\x00"}, "children_view"),
        ({"starts_at": held, "next_steps": "n" * 10_001}, "next_steps"),
    ]


async def test_bad_input_on_every_field_is_named_and_nothing_is_written(client, clock):
    world = await make_world(clock.now())
    other = await make_world(clock.now())
    url = f"/api/v1/plans/{world.plan_id}/core-groups"
    before = await _counts()
    for body, field in _bad_bodies(world, other):
        response = await client.post(url, json=body, headers=world.lead.headers)
        assert response.status_code == 400, (body, response.text)
        errors = response.json().get("errors", {})
        assert any(k == field or k.startswith(field) for k in errors) or field in response.text, (
            field, response.text)
    missing = await client.post(url, json={"invitee_ids": []}, headers=world.lead.headers)
    assert missing.status_code == 400 and "starts_at" in missing.json()["errors"]
    unknown = await client.post(url, json={"starts_at": MEETING_AT, "venue": "x"},
                                headers=world.lead.headers)
    assert unknown.status_code == 400
    assert await _counts() == before


async def test_only_those_who_manage_the_family_arrange_or_record_and_strangers_see_nothing(
        client, clock):
    world = await make_world(clock.now())
    meeting = await _arrange(client, world)
    url = f"/api/v1/core-groups/{meeting['id']}"
    plan_url = f"/api/v1/plans/{world.plan_id}/core-groups"
    for response in (
        await client.get(url, headers=world.outsider.headers),
        await client.get(plan_url, headers=world.outsider.headers),
        await client.post(plan_url, json={"starts_at": MEETING_AT}, headers=world.outsider.headers),
        await client.patch(url, json={"invitee_ids": []}, headers=world.outsider.headers),
        await client.get("/api/v1/core-groups/2000000000", headers=world.lead.headers),
    ):
        assert response.status_code == 404, response.text
    for response in (
        await client.post(plan_url, json={"starts_at": MEETING_AT}, headers=world.invitee.headers),
        await client.patch(url, json={"invitee_ids": []}, headers=world.invitee.headers),
    ):
        assert response.status_code == 403, response.text
    assert (await client.get(url)).status_code == 401


async def test_invitations_and_attendance_are_changed_as_sets(client, clock):
    world = await make_world(clock.now())
    dan = await make_user(clock.now(), name="Dan Health")
    meeting = await _arrange(client, world)
    url = f"/api/v1/core-groups/{meeting['id']}"
    moved = await client.patch(url, json={"invitee_ids": [dan.id],
                                          "starts_at": "2026-12-01T10:00:00+00:00"},
                               headers=world.lead.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["invitee_ids"] == [dan.id]
    assert [p["user_id"] for p in moved.json()["people"]] == [dan.id]


async def test_adults_from_the_family_can_be_recorded_as_attending(client, clock):
    world = await make_world(clock.now())
    members = await FamilyMember.select(FamilyMember.id).where(
        FamilyMember.family == world.family["id"])
    ids = [m["id"] for m in members]
    meeting = await _arrange(client, world, starts_at="2026-11-23T10:00:00+00:00",
                             attended_member_ids=ids)
    assert sorted(meeting["attended_member_ids"]) == sorted(ids)


@pytest.mark.parametrize("when", [timedelta(days=-1), timedelta(0)])
async def test_a_plan_kept_as_history_takes_no_core_groups(client, clock, when):
    world = await make_world(clock.now())
    ended = await client.post(f"/api/v1/plans/{world.plan_id}/end", headers=world.lead.headers)
    assert ended.status_code == 200
    response = await client.post(f"/api/v1/plans/{world.plan_id}/core-groups",
                                 json={"starts_at": (clock.now() + when).isoformat()},
                                 headers=world.lead.headers)
    assert response.status_code == 400 and "plan" in response.json()["errors"]


async def test_a_professional_invited_only_to_a_core_group_may_see_the_family_and_its_plan(
        client, clock):
    world = await make_world(clock.now())
    housing = await make_user(clock.now(), name="Hana Housing")
    plan_url = f"/api/v1/plans/{world.plan_id}"
    assert (await client.get(plan_url, headers=housing.headers)).status_code == 404
    families = await client.get("/api/v1/families", headers=housing.headers)
    assert world.family["id"] not in [f["id"] for f in families.json()]
    await _arrange(client, world, invitee_ids=[housing.id])
    assert (await client.get(plan_url, headers=housing.headers)).status_code == 200
    families = await client.get("/api/v1/families", headers=housing.headers)
    assert world.family["id"] in [f["id"] for f in families.json()]
    patch = await client.post(f"/api/v1/plans/{world.plan_id}/core-groups",
                              json={"starts_at": MEETING_AT}, headers=housing.headers)
    assert patch.status_code == 403
