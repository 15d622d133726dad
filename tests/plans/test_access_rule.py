"""One access rule: lead, invitee, action owner and chair see a family; nobody else does."""

from datetime import timedelta

import pytest

from tests.support.factories import make_user, make_world


async def test_a_family_hidden_from_the_caller_answers_exactly_like_a_missing_one(client, clock):
    world = await make_world(clock.now())
    hidden = await client.get(f"/api/v1/families/{world.family['id']}", headers=world.outsider.headers)
    missing = await client.get("/api/v1/families/999999", headers=world.outsider.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize("who", ["lead", "chair", "invitee"])
async def test_lead_chair_and_invited_professional_see_the_family_and_plan(client, clock, who):
    world = await make_world(clock.now())
    user = getattr(world, who)
    assert (await client.get(f"/api/v1/families/{world.family['id']}", headers=user.headers)).status_code == 200
    assert (await client.get(f"/api/v1/plans/{world.plan_id}", headers=user.headers)).status_code == 200
    listed = await client.get("/api/v1/families", headers=user.headers)
    assert world.family["id"] in [f["id"] for f in listed.json()]


async def test_owning_an_action_is_enough_to_see_the_family(client, clock):
    world = await make_world(clock.now())
    owner = await make_user(clock.now())
    response = await client.patch(f"/api/v1/actions/{world.action_id}",
                                  json={"owner_user_id": owner.id}, headers=world.lead.headers)
    assert response.status_code == 200, response.text
    assert (await client.get(f"/api/v1/families/{world.family['id']}", headers=owner.headers)).status_code == 200


async def test_an_admin_sees_every_family(client, clock):
    world = await make_world(clock.now())
    admin = await make_user(clock.now(), "admin")
    assert (await client.get(f"/api/v1/families/{world.family['id']}", headers=admin.headers)).status_code == 200


@pytest.mark.parametrize("path", [
    "/api/v1/plans/{plan}", "/api/v1/plans/{plan}/progress", "/api/v1/plans/{plan}/audit",
    "/api/v1/actions/{action}", "/api/v1/actions/{action}/updates", "/api/v1/conferences/{conf}",
])
async def test_an_outsider_gets_404_on_every_record_of_the_family(client, clock, path):
    world = await make_world(clock.now())
    url = path.format(plan=world.plan_id, action=world.action_id, conf=world.conference_id)
    response = await client.get(url, headers=world.outsider.headers)
    assert response.status_code == 404


async def test_outsiders_cannot_write_to_the_family_either(client, clock):
    world = await make_world(clock.now())
    h = world.outsider.headers
    family_url = f"/api/v1/families/{world.family['id']}"
    assert (await client.patch(family_url, json={"name": "X"}, headers=h)).status_code == 404
    updates_url = f"/api/v1/actions/{world.action_id}/updates"
    assert (await client.post(updates_url, json={"note": "hi"}, headers=h)).status_code == 404
    assert (await client.post(f"/api/v1/plans/{world.plan_id}/outcomes",
                              json={"child_ids": [], "statement": "x"}, headers=h)).status_code == 404
    assert (await client.post("/api/v1/conferences", json={
        "family_id": world.family["id"], "kind": "review_cp",
        "starts_at": (clock.now() + timedelta(days=30)).isoformat()}, headers=h)).status_code == 404


async def test_an_invited_professional_can_see_but_not_change_the_plan(client, clock):
    world = await make_world(clock.now())
    h = world.invitee.headers
    response = await client.patch(f"/api/v1/families/{world.family['id']}", json={"name": "X"}, headers=h)
    assert response.status_code == 403
    response = await client.post(f"/api/v1/plans/{world.plan_id}/outcomes",
                                 json={"child_ids": [world.family["children"][0]["id"]], "statement": "x"},
                                 headers=h)
    assert response.status_code == 403


async def test_no_token_or_a_wrong_token_is_401(client, clock):
    assert (await client.get("/api/v1/me")).status_code == 401
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer trk_not-a-real-token"})
    assert bad.status_code == 401


async def test_me_names_the_caller(client, clock):
    chair = await make_user(clock.now(), "chair", "professional", name="Priya Shah")
    me = (await client.get("/api/v1/me", headers=chair.headers)).json()
    assert me == {"id": chair.id, "name": "Priya Shah", "email": chair.email,
                  "roles": ["chair", "professional"]}


async def test_a_deactivated_users_token_stops_working(client, clock):
    from tracker.people.tables import StaffUser

    user = await make_user(clock.now())
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == user.id)
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 401
