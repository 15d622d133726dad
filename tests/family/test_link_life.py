"""A plan link's whole life: texted, looked at, continued, used, texted again, expired, revoked."""

from __future__ import annotations

import httpx

from tests.family.conftest import continue_from, csrf_from, texted_link, token_of
from tracker.audit import Actor, AuditEvent
from tracker.family.routes import BAD_GUESS_LIMIT, TOKEN_LIMIT
from tracker.family.tables import FamilyLink, FamilySession


def jess_of(world) -> int:  # type: ignore[no-untyped-def]
    return world.family["members"][0]["id"]


async def test_a_texted_link_has_at_least_128_random_bits_and_only_its_hash_is_stored(world, clock):
    url = await texted_link(jess_of(world), clock.now())
    token = token_of(url)
    assert url.startswith("http://testserver.local/f/")
    assert len(token) * 6 >= 128
    stored = await FamilyLink.select(FamilyLink.token_hash).where(FamilyLink.member == jess_of(world))
    assert all(token not in row["token_hash"] for row in stored)


async def test_opening_the_link_shows_continue_and_changes_nothing(world, client, clock):
    path = "/f/" + token_of(await texted_link(jess_of(world), clock.now()))
    for _ in range(3):  # a link preview, a scanner, then the person
        page = await client.get(path)
        assert page.status_code == 200
        assert "Continue to your plan" in page.text
    assert "Jess" not in page.text  # a preview learns nothing about the family
    assert await FamilySession.count().where(FamilySession.member == jess_of(world)) == 0
    assert not [c for c in client.cookies.jar if c.name == "family_session"]


async def test_continuing_swaps_the_link_for_a_private_cookie_and_goes_to_the_plan(world, client, clock):
    answer = await continue_from(client, await texted_link(jess_of(world), clock.now()))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/family"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("family_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/family" in cookie
    assert "Secure" not in cookie  # the test server is plain http
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    plan = await client.get("/family")
    assert plan.status_code == 200
    assert "Hello Jess" in plan.text
    started = await AuditEvent.select().where(
        (AuditEvent.record_type == "family_session") & (AuditEvent.actor_member_id == jess_of(world)))
    assert started and started[0]["channel"] == "family_link"


async def test_the_cookie_is_secure_when_the_public_address_is_https(world, migrated, clock):
    from dataclasses import replace

    from tracker.app import create_app
    from tracker.settings import get_settings

    app = create_app(replace(get_settings(), public_base_url="https://plans.example.gov.uk"), clock=clock)
    transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
        answer = await continue_from(c, await texted_link(jess_of(world), clock.now()))
    assert "Secure" in answer.headers["set-cookie"]


async def test_the_same_link_can_be_continued_again_within_its_life(world, client, clock):
    url = await texted_link(jess_of(world), clock.now())
    assert (await continue_from(client, url)).status_code == 303
    clock.advance(days=3)
    assert (await continue_from(client, url)).status_code == 303


async def test_unknown_expired_and_revoked_links_get_the_same_kind_page(world, client, clock):
    jess = jess_of(world)
    expired = token_of(await texted_link(jess, clock.now()))
    clock.advance(days=46)
    revoked = token_of(await texted_link(jess, clock.now()))
    from tracker.family.links import revoke_member_links

    await revoke_member_links(member_id=jess, reason="revoked_by_lead", now=clock.now(),
                              actor=Actor.system("tests"))
    unknown = "A" * 32
    answers = [await client.get(f"/f/{t}") for t in (unknown, expired, revoked)]
    assert {a.status_code for a in answers} == {404}
    assert answers[0].text == answers[1].text == answers[2].text
    assert "This link does not work now" in answers[0].text
    assert "ask the person who leads your plan" in answers[0].text
    assert answers[0].headers["cache-control"] == "no-store"
    # Continuing (a POST) says the same, and makes no session.
    page = await client.get("/f/" + token_of(await texted_link(world.family["members"][0]["id"], clock.now())))
    token = csrf_from(page.text)
    posts = [await client.post(f"/f/{t}", data={"_csrf_token": token}) for t in (unknown, expired, revoked)]
    assert {p.status_code for p in posts} == {404}
    assert posts[0].text == posts[1].text == posts[2].text == answers[0].text


async def test_a_link_stops_working_after_45_days_without_use(world, client, clock):
    url = await texted_link(jess_of(world), clock.now())
    clock.advance(days=44, hours=23)
    assert (await client.get("/f/" + token_of(url))).status_code == 200
    clock.advance(hours=2)
    assert (await client.get("/f/" + token_of(url))).status_code == 404


async def test_using_a_link_starts_its_45_days_afresh(world, client, clock):
    url = await texted_link(jess_of(world), clock.now())
    clock.advance(days=40)
    assert (await continue_from(client, url)).status_code == 303
    clock.advance(days=40)  # 80 days after it was made, 40 after it was last used
    assert (await client.get("/f/" + token_of(url))).status_code == 200
    clock.advance(days=6)
    assert (await client.get("/f/" + token_of(url))).status_code == 404


async def test_every_text_carries_the_same_link_and_older_texts_keep_working(signed_in, clock):
    first = await texted_link(signed_in.member_id, clock.now())
    clock.advance(days=10)
    second = await texted_link(signed_in.member_id, clock.now())
    assert first == second
    assert (await continue_from(signed_in.client, first)).status_code == 303
    assert (await signed_in.plan_page()).status_code == 200
    live = await FamilyLink.select().where(
        (FamilyLink.member == signed_in.member_id) & FamilyLink.revoked_at.is_null())
    assert len(live) == 1 and live[0]["link_key"] and token_of(first) not in str(live[0])


async def test_after_the_lead_stops_a_link_the_next_text_carries_a_new_one(signed_in, clock):
    old = await texted_link(signed_in.member_id, clock.now())
    answer = await signed_in.client.post(f"/api/v1/members/{signed_in.member_id}/revoke-link",
                                         headers=signed_in.world.lead.headers)
    assert answer.status_code == 200
    new = await texted_link(signed_in.member_id, clock.now())
    assert new != old
    assert (await signed_in.client.get("/f/" + token_of(old))).status_code == 404
    assert (await signed_in.client.get("/f/" + token_of(new))).status_code == 200


async def test_the_lead_professional_revokes_a_link_and_the_page_stops_at_the_next_click(signed_in, clock):
    client, world = signed_in.client, signed_in.world
    url = await texted_link(signed_in.member_id, clock.now())
    answer = await client.post(f"/api/v1/members/{signed_in.member_id}/revoke-link",
                               headers=world.lead.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked"] >= 2  # the link and the open session
    assert (await client.get("/f/" + token_of(url))).status_code == 404
    page = await signed_in.plan_page()
    assert page.status_code == 401
    assert "Open the link in your text message" in page.text
    events = await AuditEvent.select().where(
        (AuditEvent.record_type == "family_link") & (AuditEvent.actor_user_id == world.lead.id))
    assert events


async def test_only_whoever_manages_the_family_can_revoke_a_link(world, client):
    member = world.family["members"][0]["id"]
    outsider = await client.post(f"/api/v1/members/{member}/revoke-link", headers=world.outsider.headers)
    assert outsider.status_code == 404  # the family is hidden from them
    invitee = await client.post(f"/api/v1/members/{member}/revoke-link", headers=world.invitee.headers)
    assert invitee.status_code == 403
    nobody = await client.post("/api/v1/members/999999/revoke-link", headers=world.lead.headers)
    assert nobody.status_code == 404
    no_token = await client.post(f"/api/v1/members/{member}/revoke-link")
    assert no_token.status_code == 401


async def test_bad_guesses_are_limited_per_address_with_retry_after(world, client, clock):
    for i in range(BAD_GUESS_LIMIT.attempts):
        assert (await client.get(f"/f/guess{i:04d}xxxxxxxxxxxxxxxxxxxxxxxx")).status_code == 404
    wrong = await client.get("/f/guess-again-xxxxxxxxxxxxxxxxxxxxxxxx")
    assert wrong.status_code == 429
    assert "Please wait and try again" in wrong.text
    assert 0 < int(wrong.headers["retry-after"]) <= BAD_GUESS_LIMIT.window
    # Another address is not held up, and the wait ends with the window.
    transport = httpx.ASGITransport(app=client._transport.app, client=("10.200.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as other:
        assert (await other.get("/f/guess-other-xxxxxxxxxxxxxxxxxxxxxxxx")).status_code == 404
    clock.advance(seconds=int(wrong.headers["retry-after"]))
    assert (await client.get("/f/guess-later-xxxxxxxxxxxxxxxxxxxxxxxx")).status_code == 404


async def test_a_real_link_opens_from_an_address_over_its_bad_guess_limit(world, client, clock):
    """A family hub or a refuge's wifi: someone's old links must not lock the next family out."""
    url = await texted_link(jess_of(world), clock.now())
    for i in range(BAD_GUESS_LIMIT.attempts + 5):
        await client.get(f"/f/guess{i:04d}xxxxxxxxxxxxxxxxxxxxxxxx")
    assert (await client.get("/f/guess-again-xxxxxxxxxxxxxxxxxxxxxxxx")).status_code == 429
    assert (await client.get("/f/" + token_of(url))).status_code == 200
    answer = await continue_from(client, url)
    assert answer.status_code == 303 and answer.headers["location"] == "/family"


async def test_one_link_opened_over_and_over_is_limited_per_token(world, client, clock):
    path = "/f/" + token_of(await texted_link(jess_of(world), clock.now()))
    for _ in range(TOKEN_LIMIT.attempts):
        assert (await client.get(path)).status_code == 200
    held = await client.get(path)
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 0
    clock.advance(seconds=TOKEN_LIMIT.window)
    assert (await client.get(path)).status_code == 200


async def test_a_session_lasts_hours_not_weeks(signed_in, clock):
    clock.advance(hours=11)
    assert (await signed_in.plan_page()).status_code == 200
    clock.advance(hours=2)
    assert (await signed_in.plan_page()).status_code == 401


async def test_leaving_ends_the_session_on_this_phone(signed_in):
    answer = await signed_in.post_form("/family/leave", {})
    assert answer.status_code == 200
    assert "This page is closed" in answer.text
    assert 'family_session=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    assert (await signed_in.plan_page()).status_code == 401


async def test_the_family_page_without_a_session_says_how_to_get_in(client, migrated):
    page = await client.get("/family")
    assert page.status_code == 401
    assert "Open the link in your text message" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_a_cookie_that_was_never_issued_opens_nothing(client, migrated):
    client.cookies.set("family_session", "made-up-value", domain="testserver.local", path="/family")
    assert (await client.get("/family")).status_code == 401


async def test_any_other_family_address_gets_a_kind_page_not_json(signed_in):
    page = await signed_in.client.get("/family/not-a-page")
    assert page.status_code == 404
    assert "We cannot find that page" in page.text
    assert page.headers["content-type"].startswith("text/html")


async def test_every_family_answer_keeps_the_link_out_of_referrers_and_caches(signed_in, clock):
    client = signed_in.client
    answers = {
        "continue": await client.get("/f/" + token_of(await texted_link(signed_in.member_id, clock.now()))),
        "not working": await client.get("/f/unknown-token-xxxxxxxxxxxxxxxxxxxxxx"),
        "plan": await signed_in.plan_page(),
        "plan with an error": await signed_in.post_form("/family/messages", {"message": ""}),
        "not found": await client.get("/family/not-a-page"),
        "left": await signed_in.post_form("/family/leave", {}),
        "signed out": await client.get("/family"),
    }
    for name, answer in answers.items():
        assert answer.headers["referrer-policy"] == "no-referrer", name
        assert answer.headers["cache-control"] == "no-store", name
        assert "default-src 'self'" in answer.headers["content-security-policy"], name


async def test_a_failure_on_our_side_shows_a_kind_page_not_a_stack_trace(signed_in, monkeypatch):
    from tracker.family import service

    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database fell over")

    monkeypatch.setattr(service, "family_page", broken)
    page = await signed_in.plan_page()
    assert page.status_code == 500
    assert "This is our fault, not yours." in page.text
    assert "database fell over" not in page.text and "Traceback" not in page.text
    assert page.headers["cache-control"] == "no-store"
