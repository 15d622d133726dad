"""Pick-lists that fit an authority: the people around the family first, then a search."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from tests.support.factories import make_user
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.people.tables import StaffUser
from tracker.plans.tables import Action, Conference

_n = itertools.count(1)


def _owner_options(page: str) -> list[str]:
    select = re.search(r'<select[^>]*id="action-owner".*?</select>', page, re.S)
    assert select, "no owner list on the page"
    return re.findall(r'<option value="([^"]+)"', select.group(0))


async def _strangers(now, tag: str):  # type: ignore[no-untyped-def]
    """A professional, a chair-only and an admin-only account, none working with any family."""
    pro = await make_user(now, name=f"Zed {tag} Worker")
    chair = await make_user(now, "chair", name=f"Zed {tag} Chair")
    admin = await make_user(now, "admin", name=f"Zed {tag} Admin")
    gone = await make_user(now, name=f"Zed {tag} Leaver")
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == gone.id)
    return pro, chair, admin, gone


async def test_the_owner_list_offers_the_family_and_its_professionals_not_the_authority(client,
                                                                                        clock):
    world = await signable_world(clock.now())
    pro, chair, admin, _ = await _strangers(clock.now(), f"own{next(_n)}")
    await as_user(client, world.lead)
    options = _owner_options((await client.get(f"/plans/{world.plan_id}")).text)
    jess, ryan = world.family["members"]
    assert f"member:{jess['id']}" in options and f"member:{ryan['id']}" not in options
    for user in (world.lead, world.invitee, world.chair):  # the chair chairs their conference
        assert f"user:{user.id}" in options
    for user in (pro, chair, admin, world.outsider):
        assert f"user:{user.id}" not in options


async def test_find_keeps_what_was_typed_and_offers_active_professionals_only(client, clock):
    world = await signable_world(clock.now())
    tag = f"own{next(_n)}"
    pro, chair, admin, gone = await _strangers(clock.now(), tag)
    await as_user(client, world.lead)
    typed = {"outcome_id": str(world.outcome_id), "owner": "",
             "description": "Marta meets Jess at the library on Wednesdays at 10.",
             "success_measure": "Four library visits noted.", "owner_q": f"zed {tag}",
             "find_owner": "1"}
    before = await Action.count()
    response = await post_as_form(client, f"/plans/{world.plan_id}/actions", typed)
    assert response.status_code == 200
    options = _owner_options(response.text)
    assert f"user:{pro.id}" in options
    for user in (chair, admin, gone):
        assert f"user:{user.id}" not in options
    assert "Marta meets Jess at the library" in response.text
    assert f'value="zed {tag}"' in response.text
    assert await Action.count() == before
    # Choosing the found person and saving keeps them as the owner.
    due = clock.now().date() + timedelta(days=14)
    saved = await post_as_form(client, f"/plans/{world.plan_id}/actions", {
        **{k: v for k, v in typed.items() if k != "find_owner"}, "owner": f"user:{pro.id}",
        "action-due-day": str(due.day), "action-due-month": str(due.month),
        "action-due-year": str(due.year)})
    assert saved.status_code == 303, saved.text[:300]
    assert await Action.count().where(Action.owner_user == pro.id) == 1
    edit = (await client.get(f"/actions/{world.action_id}/edit")).text
    assert f"user:{world.invitee.id}" in _owner_options(edit)


async def test_a_bad_search_gets_a_field_message(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    for q in ("x" * 101, "a\tb"):
        response = await post_as_form(client, f"/actions/{world.action_id}/edit",
                                      {"owner_q": q, "find_owner": "1"})
        assert response.status_code == 400
        assert 'href="#owner-q"' in response.text


async def test_the_invitee_picker_is_a_search_that_keeps_the_form(client, clock):
    world = await signable_world(clock.now())
    tag = f"inv{next(_n)}"
    pro, chair, admin, gone = await _strangers(clock.now(), tag)
    await as_user(client, world.lead)
    form = (await client.get(f"/families/{world.family['id']}/conferences/new")).text
    assert f'value="{world.invitee.id}"' in form
    assert f'name="invitees" type="checkbox" value="{pro.id}"' not in form
    before = await Conference.count()
    response = await post_as_form(client, f"/families/{world.family['id']}/conferences/new", {
        "kind": "review_cp", "starts-on-day": "3", "starts-on-month": "2",
        "starts-on-year": "2027", "starts_time": "10:30", "chair": str(world.chair.id),
        "invitees": [str(world.invitee.id)], "invitee_q": f"ZED {tag}", "find_invitees": "1"})
    assert response.status_code == 200
    assert await Conference.count() == before
    assert f'name="invitees" type="checkbox" value="{pro.id}"' in response.text
    for user in (chair, admin, gone):
        assert f'type="checkbox" value="{user.id}"' not in response.text
    assert re.search(rf'value="{world.invitee.id}"\s+checked', response.text)
    assert 'value="10:30"' in response.text and 'value="2027"' in response.text
    changed = await post_as_form(client, f"/conferences/{world.conference_id}/arrangements", {
        "invitee_q": "x" * 101, "find_invitees": "1"})
    assert changed.status_code == 400 and 'href="#invitee-q"' in changed.text
