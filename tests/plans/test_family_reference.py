"""A family's reference and an adult's interpreter need, through the JSON API."""

from tests.plans.test_families import family_body
from tests.support.factories import make_user
from tracker.plans.tables import Family


async def test_reference_and_interpreter_are_saved_read_and_changed(client, clock):
    sam = await make_user(clock.now())
    body = family_body(reference="CP-2026-0142")
    body["members"][0]["interpreter_needed"] = True
    created = await client.post("/api/v1/families", json=body, headers=sam.headers)
    assert created.status_code == 201, created.text
    family = created.json()
    assert family["reference"] == "CP-2026-0142"
    assert family["members"][0]["interpreter_needed"] is True
    listed = (await client.get("/api/v1/families", headers=sam.headers)).json()
    assert {"id": family["id"], "reference": "CP-2026-0142"}.items() <= next(
        f for f in listed if f["id"] == family["id"]).items()
    member_id = family["members"][0]["id"]
    changed = await client.patch(f"/api/v1/families/{family['id']}", headers=sam.headers, json={
        "reference": " CP/7 ", "members": [{"id": member_id, "interpreter_needed": False}]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["reference"] == "CP/7"
    assert changed.json()["members"][0]["interpreter_needed"] is False


async def test_a_bad_reference_or_interpreter_value_is_refused_and_nothing_is_written(client,
                                                                                      clock):
    sam = await make_user(clock.now())
    before = await Family.count()
    for reference in ("r" * 51, "two\nlines", "tab\there", 7):
        response = await client.post("/api/v1/families", headers=sam.headers,
                                     json=family_body(reference=reference))
        assert response.status_code == 400, reference
        assert "reference" in response.text, reference
    body = family_body()
    body["members"][0]["interpreter_needed"] = "yes"
    response = await client.post("/api/v1/families", json=body, headers=sam.headers)
    assert response.status_code == 400 and "interpreter_needed" in response.text
    assert await Family.count() == before
