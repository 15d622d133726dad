"""What staff see: GET /api/v1/messages for families they may see, and the console's /dev/messages page."""

from __future__ import annotations

import dataclasses
import random

import pytest

from tests.support.factories import make_world
from tracker.bootstrap import build_dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.settings import get_settings

pytestmark = pytest.mark.usefixtures("clean_outbox")


async def _send_some(world, clock) -> dict[str, int]:  # type: ignore[no-untyped-def]
    jess, ryan = (m["id"] for m in world.family["members"])
    ids = {
        "jess": await enqueue(channel="sms", template="member_action_due", due_at=clock.now(),
                              key=f"test:hist:jess:{jess}", recipient_member_id=jess,
                              context={"name": "Jess", "due_on": "2026-11-24", "needs_link": True}),
        "ryan": await enqueue(channel="sms", template="member_action_due", due_at=clock.now(),
                              key=f"test:hist:ryan:{ryan}", recipient_member_id=ryan,
                              context={"name": "Ryan", "due_on": "2026-11-24", "needs_link": True}),
    }
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(1))
    await dispatcher.tick(materialise=False)
    return ids  # type: ignore[return-value]


async def test_staff_see_what_was_sent_to_a_family_and_why_not(client, clock):
    world = await make_world(clock.now())
    ids = await _send_some(world, clock)
    response = await client.get("/api/v1/messages", params={"family_id": world.family["id"]},
                                headers=world.lead.headers)
    assert response.status_code == 200
    by_id = {m["id"]: m for m in response.json()}
    assert by_id[ids["jess"]]["status"] == "sent" and by_id[ids["jess"]]["segments"] == 1
    assert by_id[ids["jess"]]["text"].startswith("Hi Jess") and by_id[ids["jess"]]["sent_at"]
    assert (by_id[ids["ryan"]]["status"], by_id[ids["ryan"]]["why_not"]) == ("suppressed",
                                                                              "not_safe_to_contact")
    assert by_id[ids["ryan"]]["recipient"] == {"kind": "member", "id": world.family["members"][1]["id"],
                                               "name": "Ryan"}


async def test_filters_by_status_and_member(client, clock):
    world = await make_world(clock.now())
    ids = await _send_some(world, clock)
    suppressed = await client.get("/api/v1/messages", headers=world.lead.headers,
                                  params={"family_id": world.family["id"], "status": "suppressed"})
    assert [m["id"] for m in suppressed.json()] == [ids["ryan"]]
    jess = await client.get("/api/v1/messages", headers=world.lead.headers,
                            params={"member_id": world.family["members"][0]["id"]})
    assert [m["id"] for m in jess.json()] == [ids["jess"]]
    bad = await client.get("/api/v1/messages", headers=world.lead.headers, params={"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


async def test_someone_without_access_to_the_family_gets_404_and_sees_none_of_its_messages(client, clock):
    world = await make_world(clock.now())
    ids = await _send_some(world, clock)
    hidden = await client.get("/api/v1/messages", params={"family_id": world.family["id"]},
                              headers=world.outsider.headers)
    assert hidden.status_code == 404
    member = await client.get("/api/v1/messages", params={"member_id": world.family["members"][0]["id"]},
                              headers=world.outsider.headers)
    assert member.status_code == 404
    everything = await client.get("/api/v1/messages", headers=world.outsider.headers)
    assert everything.status_code == 200
    assert not {m["id"] for m in everything.json()} & set(ids.values())
    assert (await client.get("/api/v1/messages")).status_code == 401


async def test_dev_messages_page_shows_console_messages_to_signed_in_staff(client, clock):
    from tests.support.staff_pages import as_user, give_password

    world = await make_world(clock.now())
    await give_password(world.lead.id)
    ids = await _send_some(world, clock)
    assert ids["jess"]
    anonymous = await client.get("/dev/messages", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    await as_user(client, world.lead)
    page = await client.get("/dev/messages")
    assert page.status_code == 200
    assert "Text to +447700900123" in page.text and "Hi Jess, a step in your plan is due" in page.text


async def test_dev_messages_shows_a_worker_nothing_of_another_family(client, clock):
    from tests.support.staff_pages import as_user, give_password

    world = await make_world(clock.now())
    await give_password(world.outsider.id)
    await _send_some(world, clock)
    # A message to the outsider themself (about no family) is theirs to see.
    own = await enqueue(channel="email", template="password_reset", due_at=clock.now(),
                        key=f"test:dev:own:{world.outsider.id}", recipient_user_id=world.outsider.id,
                        context={"name": "Olly", "link": "http://x/reset/t", "minutes": 10, "hours": 0})
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0)
    dispatcher = build_dispatcher(settings, clock, providers_for(settings), rng=random.Random(1))
    await dispatcher.tick(materialise=False)
    await as_user(client, world.outsider)
    page = await client.get("/dev/messages")
    assert page.status_code == 200
    assert "+447700900123" not in page.text and "Hi Jess" not in page.text and "/f/" not in page.text
    assert f"#{own}" in page.text


async def test_dev_messages_is_not_found_unless_a_console_backend_is_in_use(migrated, clock):
    import httpx

    from tests.support.staff_pages import as_user, give_password
    from tracker.app import create_app

    world = await make_world(clock.now())
    await give_password(world.lead.id)
    await _send_some(world, clock)
    for sms, email, shown in (("twilio", "smtp", None), ("twilio", "console", "Email"),
                              ("console", "smtp", "Text")):
        settings = dataclasses.replace(get_settings(), sms_backend=sms, email_backend=email)
        app = create_app(settings, clock=clock, scheduler=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver.local") as c:
            await as_user(c, world.lead)
            page = await c.get("/dev/messages")
            if shown is None:
                assert page.status_code == 404
                continue
            assert page.status_code == 200
            # Only what the console backend in use recorded.
            assert ("Text to +447700900123" in page.text) is (shown == "Text")
