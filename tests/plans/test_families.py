"""Families through the JSON API: create, read, change, and bad input that writes nothing."""

from tests.support.factories import make_user, make_world
from tracker.audit import AuditEvent
from tracker.plans.tables import Family, FamilyMember


def family_body(**overrides):
    body = {
        "name": "Family of Rosie",
        "members": [
            {"name": "Jess Taylor", "relationship": "Mum", "mobile": "07700 900123",
             "email": "jess@example.org", "preferred_channel": "sms", "sms_consent": True,
             "safe_to_contact": True},
        ],
        "children": [
            {"name": "Rosie", "date_of_birth": "2018-05-14"},
            {"name": "Baby", "expected_on": "2027-03-02"},
        ],
    }
    body.update(overrides)
    return body


async def test_a_professional_opens_a_family_and_becomes_its_lead(client, clock):
    sam = await make_user(clock.now())
    response = await client.post("/api/v1/families", json=family_body(), headers=sam.headers)
    assert response.status_code == 201, response.text
    family = response.json()
    assert family["lead_professional_id"] == sam.id
    assert family["members"][0]["mobile"] == "+447700900123"
    assert [c["name"] for c in family["children"]] == ["Rosie", "Baby"]
    assert family["children"][1]["expected_on"] == "2027-03-02"

    listed = await client.get("/api/v1/families", headers=sam.headers)
    assert family["id"] in [f["id"] for f in listed.json()]
    fetched = await client.get(f"/api/v1/families/{family['id']}", headers=sam.headers)
    assert fetched.json()["name"] == "Family of Rosie"


async def test_every_bad_field_is_named_and_nothing_is_written(client, clock):
    sam = await make_user(clock.now())
    before = await Family.count()
    members_before = await FamilyMember.count()
    audit_before = await AuditEvent.count()
    body = family_body(
        name="  ",
        members=[{"name": "", "mobile": "01632 960000", "email": "not-an-email",
                  "preferred_channel": "sms"}],
        children=[{"name": "Rosie"}],
    )
    response = await client.post("/api/v1/families", json=body, headers=sam.headers)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"name", "members[0].name", "members[0].mobile", "members[0].email",
                           "children[0].date_of_birth"}
    assert await Family.count() == before
    assert await FamilyMember.count() == members_before
    assert await AuditEvent.count() == audit_before


async def test_wrong_types_and_unknown_fields_get_a_400_with_the_field_named(client, clock):
    sam = await make_user(clock.now())
    wrong_type = await client.post("/api/v1/families", json={"name": 7}, headers=sam.headers)
    assert wrong_type.status_code == 400
    assert "name" in wrong_type.json()["errors"]
    unknown = await client.post("/api/v1/families", json={"name": "A", "surname": "B"},
                                headers=sam.headers)
    assert unknown.status_code == 400
    not_json = await client.post("/api/v1/families", content=b"{nope",
                                 headers={**sam.headers, "content-type": "application/json"})
    assert not_json.status_code == 400


async def test_texts_need_a_mobile_and_emails_need_an_address(client, clock):
    sam = await make_user(clock.now())
    body = family_body(members=[{"name": "Linda", "preferred_channel": "email"},
                                {"name": "Jess", "preferred_channel": "sms"}])
    response = await client.post("/api/v1/families", json=body, headers=sam.headers)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"members[0].email", "members[1].mobile"}


async def test_the_lead_patches_members_and_adds_a_child_with_every_change_audited(client, clock):
    world = await make_world(clock.now())
    jess = world.family["members"][0]
    response = await client.patch(
        f"/api/v1/families/{world.family['id']}",
        json={"name": "The Taylor family",
              "members": [{"id": jess["id"], "email": "jess@example.org"},
                          {"name": "Linda", "relationship": "Grandmother",
                           "preferred_channel": "email", "email": "linda@example.org"}],
              "children": [{"name": "Alfie", "date_of_birth": "2023-01-09"}]},
        headers=world.lead.headers,
    )
    assert response.status_code == 200, response.text
    family = response.json()
    assert family["name"] == "The Taylor family"
    assert [m["name"] for m in family["members"]] == ["Jess", "Ryan", "Linda"]
    assert family["members"][0]["email"] == "jess@example.org"
    assert [c["name"] for c in family["children"]] == ["Rosie", "Alfie"]
    events = await AuditEvent.select().where(
        (AuditEvent.family_id == world.family["id"]) & (AuditEvent.action == "update")
        & (AuditEvent.record_type == "family_member"))
    assert any('"email": [null, "jess@example.org"]' in e["changes"] for e in events)
    assert all(e["actor_user_id"] == world.lead.id and e["channel"] == "api" for e in events)


async def test_patching_a_member_of_another_family_is_refused(client, clock):
    a = await make_world(clock.now())
    b = await make_world(clock.now())
    other = b.family["members"][0]["id"]
    response = await client.patch(f"/api/v1/families/{a.family['id']}",
                                  json={"members": [{"id": other, "name": "Hijack"}]},
                                  headers=a.lead.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {"members[0].id": "This member is not part of this family."}
    assert (await FamilyMember.select(FamilyMember.name).where(FamilyMember.id == other).first())[
        "name"] != "Hijack"
