"""Plan links from the staff family page: send a fresh link once, stop a link, who may do it."""

from __future__ import annotations

import html
import re

from tests.support.staff import csrf_token
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.family.tables import FamilyLink

LINK = re.compile(r"<code>([^<]+/f/[^<]+)</code>")


def _members(world):  # type: ignore[no-untyped-def]
    safe, unsafe = world.family["members"]
    assert safe["safe_to_contact"] and not unsafe["safe_to_contact"]
    return safe, unsafe


def _base(world, member) -> str:  # type: ignore[no-untyped-def]
    return f"/families/{world.family['id']}/members/{member['id']}"


def _token(page: str) -> str:
    found = LINK.search(page)
    assert found, "no link on the page"
    return html.unescape(found.group(1)).rsplit("/f/", 1)[1]


async def test_the_lead_sees_link_buttons_only_for_adults_safe_to_contact(client, clock):
    world = await signable_world(clock.now())
    safe, unsafe = _members(world)
    await as_user(client, world.lead)
    page = (await client.get(f"/families/{world.family['id']}")).text
    assert f'action="{_base(world, safe)}/link"' in page
    assert f'href="{_base(world, safe)}/stop-link"' in page
    assert "No link: not safe to contact" in page
    assert f"{_base(world, unsafe)}/" not in page


async def test_a_link_sent_from_the_family_page_is_shown_once_and_opens_the_plan(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.lead)
    response = await post_as_form(client, f"{_base(world, safe)}/link")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "shown only once" in response.text
    token = _token(response.text)
    assert len(token) >= 22  # 128 bits or more, URL-safe base64
    # Only the hash is stored, and the family page does not show the link again.
    rows = await FamilyLink.select().where(FamilyLink.member == safe["id"])
    assert len(rows) == 1 and token not in str(rows[0])
    assert token not in (await client.get(f"/families/{world.family['id']}")).text
    client.cookies.clear()
    assert (await client.get(f"/f/{token}")).status_code == 200


async def test_sending_the_link_again_sends_the_same_one_until_the_lead_stops_it(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.lead)
    first = _token((await post_as_form(client, f"{_base(world, safe)}/link")).text)
    second = _token((await post_as_form(client, f"{_base(world, safe)}/link")).text)
    assert first == second  # older texts keep working
    await post_as_form(client, f"{_base(world, safe)}/stop-link")
    third = _token((await post_as_form(client, f"{_base(world, safe)}/link")).text)
    assert third != first
    client.cookies.clear()
    assert (await client.get(f"/f/{first}")).status_code == 404
    assert (await client.get(f"/f/{third}")).status_code == 200


async def test_stopping_a_link_asks_first_then_the_link_gets_the_dead_link_page(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.lead)
    token = _token((await post_as_form(client, f"{_base(world, safe)}/link")).text)
    confirm = await client.get(f"{_base(world, safe)}/stop-link")
    assert confirm.status_code == 200
    assert f'action="{_base(world, safe)}/stop-link"' in confirm.text
    assert "Keep the link working" in confirm.text
    # Opening the confirmation changes nothing.
    row = await FamilyLink.select().where(FamilyLink.member == safe["id"]).first()
    assert row["revoked_at"] is None
    posted = await post_as_form(client, f"{_base(world, safe)}/stop-link")
    # Post/redirect/get: the answer is a GET address, so refreshing it stops nothing again.
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{_base(world, safe)}/stop-link?stopped=1"
    stopped = await client.get(posted.headers["location"])
    assert stopped.status_code == 200
    assert stopped.headers["cache-control"] == "no-store"
    assert "has stopped working" in stopped.text
    row = await FamilyLink.select().where(FamilyLink.member == safe["id"]).first()
    assert row["revoked_reason"] == "revoked_by_lead"
    client.cookies.clear()
    dead = await client.get(f"/f/{token}")
    assert dead.status_code == 404 and "This link does not work now" in dead.text


async def test_stopping_when_there_is_no_link_says_so_kindly(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.lead)
    posted = await post_as_form(client, f"{_base(world, safe)}/stop-link")
    assert posted.status_code == 303 and posted.headers["location"].endswith("?stopped=0")
    response = await client.get(posted.headers["location"])
    assert response.status_code == 200 and "had no working link" in response.text


async def test_the_chair_may_send_a_link(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.chair)
    assert (await post_as_form(client, f"{_base(world, safe)}/link")).status_code == 200


async def test_a_professional_who_does_not_manage_the_family_is_refused(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.invitee)  # sees the family, but is not its lead or chair
    page = (await client.get(f"/families/{world.family['id']}")).text
    assert "Send a new plan link" not in page and "Stop their link working" not in page
    assert (await post_as_form(client, f"{_base(world, safe)}/link")).status_code == 403
    assert (await client.get(f"{_base(world, safe)}/stop-link")).status_code == 403
    assert (await post_as_form(client, f"{_base(world, safe)}/stop-link")).status_code == 403
    assert await FamilyLink.count().where(FamilyLink.member == safe["id"]) == 0


async def test_an_outsider_gets_not_found(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.outsider)
    assert (await post_as_form(client, f"{_base(world, safe)}/link")).status_code == 404
    assert (await client.get(f"{_base(world, safe)}/stop-link")).status_code == 404
    assert (await post_as_form(client, f"{_base(world, safe)}/stop-link")).status_code == 404
    assert await FamilyLink.count().where(FamilyLink.member == safe["id"]) == 0


async def test_a_member_of_another_family_is_not_found(client, clock):
    world = await signable_world(clock.now())
    other = await signable_world(clock.now())
    other_member, _ = _members(other)
    await as_user(client, world.lead)
    path = f"/families/{world.family['id']}/members/{other_member['id']}/link"
    assert (await post_as_form(client, path)).status_code == 404
    assert await FamilyLink.count().where(FamilyLink.member == other_member["id"]) == 0


async def test_no_link_for_an_adult_not_safe_to_contact(client, clock):
    world = await signable_world(clock.now())
    _, unsafe = _members(world)
    await as_user(client, world.lead)
    response = await post_as_form(client, f"{_base(world, unsafe)}/link")
    assert response.status_code == 400
    assert "not safe to contact" in response.text and "/f/" not in response.text
    assert await FamilyLink.count().where(FamilyLink.member == unsafe["id"]) == 0


async def test_link_forms_without_a_csrf_token_are_refused(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await as_user(client, world.lead)
    token = await csrf_token(client, "/actions")
    for path in (f"{_base(world, safe)}/link", f"{_base(world, safe)}/stop-link"):
        assert (await client.post(path, data={})).status_code == 403
        assert (await client.post(path, data={"_csrf_token": token + "x"})).status_code == 403
    assert await FamilyLink.count().where(FamilyLink.member == safe["id"]) == 0


async def test_two_apps_with_different_public_addresses_each_link_to_their_own(migrated, clock):
    """Settings are passed, not fetched: each app's family links use its own PUBLIC_BASE_URL."""
    import dataclasses

    import httpx

    from tracker.app import create_app
    from tracker.settings import get_settings

    world = await signable_world(clock.now())
    safe, _ = _members(world)
    seen = {}
    for base in ("https://north.example.org", "https://south.example.org"):
        settings = dataclasses.replace(get_settings(), public_base_url=base)
        app = create_app(settings, clock=clock, scheduler=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base) as c:
            await as_user(c, world.lead)
            page = (await post_as_form(c, f"{_base(world, safe)}/link")).text
        found = LINK.search(page)
        assert found, "no link on the page"
        seen[base] = html.unescape(found.group(1))
    assert seen["https://north.example.org"].startswith("https://north.example.org/f/")
    assert seen["https://south.example.org"].startswith("https://south.example.org/f/")


async def test_asking_to_stop_a_link_that_was_never_sent_says_there_is_nothing_to_stop(client, clock):
    world = await signable_world(clock.now())
    safe, _ = _members(world)
    await FamilyLink.delete().where(FamilyLink.member == safe["id"])
    await as_user(client, world.lead)
    confirm = await client.get(f"{_base(world, safe)}/stop-link")
    assert confirm.status_code == 200
    assert "has no plan link working now" in confirm.text and "nothing to stop" in confirm.text
    assert f'action="{_base(world, safe)}/stop-link"' not in confirm.text
    await post_as_form(client, f"{_base(world, safe)}/link")
    confirm = await client.get(f"{_base(world, safe)}/stop-link")
    assert f'action="{_base(world, safe)}/stop-link"' in confirm.text
