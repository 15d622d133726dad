"""Family records on the web: open a family, change it, add and change adults and children."""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from tests.support.factories import make_user
from tests.support.staff_pages import as_user, give_password, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.plans import service
from tracker.plans.tables import Child, Family, FamilyMember

_n = itertools.count(1)
LINK = re.compile(r"<code>([^<]+/f/[^<]+)</code>")

ADULT = {"name": "Marta", "relationship": "Grandmother", "mobile": "07700 900456",
         "email": "marta@example.org", "preferred_channel": "sms", "sms_consent": "yes",
         "safe_to_contact": "yes", "language": "pl", "interpreter_needed": "yes"}


def _date(prefix: str, d: int | str, m: int | str, y: int | str) -> dict[str, str]:
    return {f"{prefix}-day": str(d), f"{prefix}-month": str(m), f"{prefix}-year": str(y)}


async def test_a_professional_opens_a_family_and_lands_on_its_record(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    form = await client.get("/families/new")
    assert form.status_code == 200
    assert f'<option value="{world.lead.id}" selected' in form.text
    assert f'value="{world.chair.id}"' not in form.text  # a chair-only account leads no family
    name = f"Okoro family {next(_n)}"
    response = await post_as_form(client, "/families/new",
                                  {"name": name, "reference": "CIN-2231", "lead": world.lead.id})
    assert response.status_code == 303
    family_id = int(response.headers["location"].rsplit("/", 1)[1])
    family = await service.family_view(family_id)
    assert (family["name"], family["reference"], family["lead_professional_id"]) == (
        name, "CIN-2231", world.lead.id)
    events = await AuditEvent.select().where((AuditEvent.family_id == family_id)
                                             & (AuditEvent.channel == "web"))
    assert [e["action"] for e in events] == ["create"]
    page = (await client.get(f"/families/{family_id}")).text
    assert "CIN-2231" in page and f'href="/families/{family_id}/members/new"' in page


async def test_the_lead_picker_offers_you_and_finds_anyone_else_without_listing_everyone(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    form = (await client.get("/families/new")).text
    offered = set(re.findall(r'<option value="(\d+)"', form))
    assert offered == {str(world.lead.id)}  # you, not the whole authority
    typed = {"name": "Adeyemi family", "reference": "R-77", "lead": str(world.lead.id),
             "lead_q": world.invitee.email, "find_lead": "1"}
    before = await Family.count()
    found = await post_as_form(client, "/families/new", typed)
    assert found.status_code == 200 and "1 found: choose them in the list above." in found.text
    assert f'<option value="{world.invitee.id}"' in found.text
    assert 'value="Adeyemi family"' in found.text and await Family.count() == before  # kept, not saved
    chosen = await post_as_form(client, "/families/new", {"name": "Adeyemi family", "reference": "R-77",
                                                          "lead": str(world.invitee.id)})
    assert chosen.status_code == 303
    row = await Family.select(Family.lead_professional).where(Family.name == "Adeyemi family").first()
    assert row["lead_professional"] == world.invitee.id


async def test_bad_new_family_input_gets_field_messages_keeps_values_and_saves_nothing(client,
                                                                                       clock):
    world = await signable_world(clock.now())
    inactive = await make_user(clock.now())
    await FamilyMember.raw("UPDATE staff_user SET active = {} WHERE id = {}", False, inactive.id)
    await as_user(client, world.lead)
    before = await Family.count()
    good = {"name": "Fine family", "reference": "R1", "lead": str(world.lead.id)}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"name": ""}, "name", "Enter the family"),
        ({"name": "x" * 201}, "name", "200 characters or fewer"),
        ({"name": "Tab\there"}, "name", ""),
        ({"reference": "r" * 51}, "reference", "50 characters or fewer"),
        ({"reference": "two\nlines"}, "reference", ""),
        ({"lead": "abc"}, "lead", "Choose the lead professional"),
        ({"lead": "99999999999"}, "lead", "Choose the lead professional"),
        ({"lead": str(inactive.id)}, "lead", "Choose an active professional"),
    ]
    for change, field, message in cases:
        response = await post_as_form(client, "/families/new", {**good, **change})
        assert response.status_code == 400, change
        assert f'href="#{field}"' in response.text, change
        assert message in response.text, change
        shown = html.unescape(response.text)
        assert all(v in shown for k, v in {**good, **change}.items() if k != "lead" and
                   "\t" not in v and "\n" not in v), change
    assert await Family.count() == before


async def test_the_lead_adds_and_changes_an_adult_with_every_field(client, clock):
    world = await signable_world(clock.now())
    family_id = world.family["id"]
    await as_user(client, world.lead)
    assert (await client.get(f"/families/{family_id}/members/new")).status_code == 200
    response = await post_as_form(client, f"/families/{family_id}/members/new", ADULT)
    assert response.status_code == 303
    marta = next(m for m in (await service.family_view(family_id))["members"]
                 if m["name"] == "Marta")
    assert marta["mobile"] == "+447700900456" and marta["interpreter_needed"]
    assert marta["language"] == "pl" and marta["sms_consent"]
    form = (await client.get(f"/families/{family_id}/members/{marta['id']}")).text
    assert 'value="+447700900456"' in form
    record = (await client.get(f"/families/{family_id}")).text
    assert "07700 900456" in record and "+447700900456" not in record  # as people write it
    changed = await post_as_form(client, f"/families/{family_id}/members/{marta['id']}",
                                 {**ADULT, "preferred_channel": "email", "interpreter_needed": "no"})
    assert changed.status_code == 303
    row = await FamilyMember.select().where(FamilyMember.id == marta["id"]).first()
    assert row["preferred_channel"] == "email" and not row["interpreter_needed"]
    audit = await AuditEvent.select().where((AuditEvent.record_type == "family_member")
                                            & (AuditEvent.record_id == marta["id"]))
    assert [e["action"] for e in audit] == ["create", "update"]


async def test_bad_adult_input_gets_field_messages_and_saves_nothing(client, clock):
    world = await signable_world(clock.now())
    family_id = world.family["id"]
    jess = world.family["members"][0]
    await as_user(client, world.lead)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "name"), ({"name": "n" * 201}, "name"),
        ({"relationship": "r" * 101}, "relationship"), ({"relationship": "a\x0bb"}, ""),
        ({"mobile": "12345"}, "mobile"), ({"mobile": "0" * 41}, "mobile"),
        ({"email": "not-an-email"}, "email"), ({"email": "a@" + "b" * 260 + ".org"}, "email"),
        ({"preferred_channel": "fax"}, "preferred-channel"),
        ({"preferred_channel": "sms", "mobile": ""}, "mobile"),
        ({"sms_consent": ""}, "sms-consent"), ({"safe_to_contact": "maybe"}, "safe-to-contact"),
        ({"language": "xx"}, "language"), ({"interpreter_needed": "1"}, "interpreter-needed"),
    ]
    members_before = await FamilyMember.count()
    events_before = await AuditEvent.count()
    for change, field in cases:
        for path in (f"/families/{family_id}/members/new",
                     f"/families/{family_id}/members/{jess['id']}"):
            response = await post_as_form(client, path, {**ADULT, **change})
            assert response.status_code == 400, (path, change)
            if field:
                assert f'href="#{field}"' in response.text, (path, change)
    assert await FamilyMember.count() == members_before
    assert await AuditEvent.count() == events_before
    assert (await FamilyMember.select().where(FamilyMember.id == jess["id"]).first())["name"] == "Jess"


async def test_marking_an_adult_not_safe_asks_first_then_ends_their_plan_link(client, clock):
    world = await signable_world(clock.now())
    family_id = world.family["id"]
    jess = world.family["members"][0]
    await as_user(client, world.lead)
    sent = await post_as_form(client, f"/families/{family_id}/members/{jess['id']}/link")
    token = html.unescape(LINK.search(sent.text).group(1)).rsplit("/f/", 1)[1]  # type: ignore[union-attr]
    current = {"name": "Jess", "relationship": "Mum", "mobile": "07700 900123", "email": "",
               "preferred_channel": "sms", "sms_consent": "yes", "language": "en",
               "interpreter_needed": "no"}
    asked = await post_as_form(client, f"/families/{family_id}/members/{jess['id']}",
                               {**current, "safe_to_contact": "no"})
    assert asked.status_code == 200
    assert "their plan link stops working" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert (await FamilyMember.select().where(FamilyMember.id == jess["id"]).first())[
        "safe_to_contact"]
    done = await post_as_form(client, f"/families/{family_id}/members/{jess['id']}",
                              {**current, "safe_to_contact": "no", "confirm": "yes"})
    assert done.status_code == 303
    assert not (await FamilyMember.select().where(FamilyMember.id == jess["id"]).first())[
        "safe_to_contact"]
    client.cookies.clear()
    assert (await client.get(f"/f/{token}")).status_code == 404


async def test_children_and_an_unborn_baby_with_dates_checked(client, clock):
    world = await signable_world(clock.now())
    family_id = world.family["id"]
    today = clock.now().date()
    await as_user(client, world.lead)
    baby = await post_as_form(client, f"/families/{family_id}/children/new", {
        "name": "Baby", **_date("expected-on", today.day, today.month % 12 + 1,
                                today.year + (today.month == 12))})
    assert baby.status_code == 303
    children_before = await Child.count()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "", **_date("born-on", 1, 2, 2020)}, "name"),
        ({"name": "c" * 101, **_date("born-on", 1, 2, 2020)}, "name"),
        ({"name": "Ann"}, "born-on"),
        ({"name": "Ann", **_date("born-on", 31, 2, 2020)}, "born-on"),
        ({"name": "Ann", **_date("born-on", 1, 2, "20")}, "born-on"),
        ({"name": "Ann", **_date("born-on", 1, "", 2020)}, "born-on"),
        ({"name": "Ann", **_date("born-on", 1, 2, 1850)}, "born-on"),
        ({"name": "Ann", **_date("born-on", 1, 2, today.year + 1)}, "born-on"),
        ({"name": "Ann", **_date("expected-on", 1, 2, today.year + 3)}, "expected-on"),
        ({"name": "Ann", **_date("born-on", 1, 2, 2020), **_date("expected-on", 1, 2,
                                                                  today.year)}, "expected-on"),
    ]
    rosie = world.family["children"][0]
    for change, field in cases:
        for path in (f"/families/{family_id}/children/new",
                     f"/families/{family_id}/children/{rosie['id']}"):
            if path.endswith(str(rosie["id"])) and field == "born-on" and "born-on-day" not in change:
                continue  # an existing child may be left without a date change
            response = await post_as_form(client, path, change)
            assert response.status_code == 400, (path, change)
            assert f'href="#{field}"' in response.text, (path, change)
    assert await Child.count() == children_before
    page = (await client.get(f"/families/{family_id}")).text
    assert "Unborn baby, expected" in page


async def test_a_child_with_no_date_is_asked_for_one_in_plain_words(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    response = await post_as_form(client, f"/families/{world.family['id']}/children/new",
                                  {"name": "Ann"})
    assert response.status_code == 400
    text = " ".join(response.text.split())
    assert "Enter the date of birth, or the expected date for an unborn baby." in text
    assert "expected_on" not in text  # no API field names on a web page


async def test_who_may_change_the_record(client, clock):
    world = await signable_world(clock.now())
    family_id = world.family["id"]
    rosie, jess = world.family["children"][0], world.family["members"][0]
    other = await signable_world(clock.now())
    paths = [f"/families/{family_id}/details", f"/families/{family_id}/members/new",
             f"/families/{family_id}/members/{jess['id']}", f"/families/{family_id}/children/new",
             f"/families/{family_id}/children/{rosie['id']}"]
    await as_user(client, world.outsider)
    for path in paths:
        assert (await client.get(path)).status_code == 404, path
        assert (await post_as_form(client, path, ADULT)).status_code == 404, path
    await as_user(client, world.invitee)  # sees the family, does not manage it
    for path in paths:
        assert (await client.get(path)).status_code == 403, path
    assert "/members/new" not in (await client.get(f"/families/{family_id}")).text
    await as_user(client, world.lead)
    other_child = other.family["children"][0]["id"]
    other_member = other.family["members"][0]["id"]
    for path in (f"/families/{family_id}/children/{other_child}",
                 f"/families/{family_id}/members/{other_member}",
                 f"/families/{family_id}/members/2147483647"):
        assert (await client.get(path)).status_code == 404, path
        assert (await post_as_form(client, path, ADULT)).status_code == 404, path
    await give_password(world.chair.id)


async def test_the_lead_changes_the_family_details(client, clock):
    world = await signable_world(clock.now())
    family_id = world.family["id"]
    await as_user(client, world.lead)
    form = (await client.get(f"/families/{family_id}/details")).text
    assert f'value="{world.family["name"]}"' in form
    bad = await post_as_form(client, f"/families/{family_id}/details",
                             {"name": "", "reference": "R", "lead": str(world.lead.id)})
    assert bad.status_code == 400 and 'href="#name"' in bad.text
    ok = await post_as_form(client, f"/families/{family_id}/details",
                            {"name": "The Hart family", "reference": "CP/99",
                             "lead": str(world.lead.id)})
    assert ok.status_code == 303
    view = await service.family_view(family_id)
    assert (view["name"], view["reference"]) == ("The Hart family", "CP/99")


async def test_opening_a_family_for_another_lead_says_so_in_the_caseload(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    response = await post_as_form(client, "/families/new", {
        "name": f"Baker family {next(_n)}", "reference": "", "lead": str(world.lead.id)})
    assert response.status_code == 303
    assert response.headers["location"] == "/families?opened=1"
    page = (await client.get(response.headers["location"])).text
    assert "The family is open" in page


async def test_a_bad_lead_search_gets_a_field_message_and_saves_nothing(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    before = await Family.count()
    for bad in ("Sam\x00", "x" * 101):
        answer = await post_as_form(client, "/families/new", {"name": "Kept family", "lead": str(world.lead.id),
                                                              "lead_q": bad, "find_lead": "1"})
        # A NUL is refused at the edge for every form ("Nothing was saved"); a long search on its field.
        assert answer.status_code == 400
        assert ("Nothing was saved" in answer.text) if "\x00" in bad else ('href="#lead-q"' in answer.text)
        if "\x00" not in bad:
            assert 'value="Kept family"' in answer.text
    assert await Family.count() == before
