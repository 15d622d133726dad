"""The journey from issue 10, in Chromium: Jess sends a private message; Helen (school, invited to
the family's conferences) sees it on no page, in no summary and not through the API; Sam replies;
Jess reads the reply, and her text carries only her plan link. axe finds nothing on any new or
changed page."""

from __future__ import annotations

import dataclasses
import random

import httpx
import pytest

from tests.family.conftest import texted_link, token_of
from tests.support.browser import assert_axe_clean
from tests.support.factories import make_world
from tests.support.staff import sign_in_page
from tests.support.staff_pages import PASSWORD, give_password
from tracker.bootstrap import build_dispatcher
from tracker.notify.providers import providers_for
from tracker.notify.tables import ConsoleMessage, Outbox
from tracker.security import ratelimit
from tracker.settings import get_settings

pytestmark = pytest.mark.browser

PRIVATE = "I am scared of Tom when he drinks. Please do not tell him I said this."
REPLY = "Thank you for telling me, Jess. You are not in trouble. Can I ring you at 2 today?"


@pytest.fixture(autouse=True)
async def fresh_rate_limit(live_server):  # type: ignore[no-untyped-def]
    await ratelimit.reset("family-link:127.0.0.1")
    yield
    await ratelimit.reset("family-link:127.0.0.1")


async def test_a_private_message_stays_with_the_lead_who_answers_in_the_product(
        live_server, browser, phone_page, live_clock):
    world = await make_world(live_clock.now())
    for user in (world.lead, world.invitee):
        await give_password(user.id)
    jess = world.family["members"][0]["id"]

    # Jess writes, keeping the default: only her lead professional.
    family = phone_page
    await family.goto(f"{live_server}/f/{token_of(await texted_link(jess, live_clock.now()))}")
    await family.get_by_role("button", name="Continue to your plan").click()
    await family.wait_for_url(f"{live_server}/family")
    words = family.locator("section[aria-labelledby=your-words]")
    assert await words.get_by_label("Only Sam, who leads your plan").is_checked()
    await words.get_by_label("Your words").fill(PRIVATE)
    await words.get_by_role("button", name="Send").click()
    await family.wait_for_url(f"{live_server}/family?saved=message")
    assert await family.get_by_text(PRIVATE).is_visible()
    await assert_axe_clean(family, "family plan with the conversation")

    # Helen sees it nowhere: my actions, the plan page, the summary, the API.
    helen_context = await browser.new_context()
    helen = await helen_context.new_page()
    try:
        await sign_in_page(helen, live_server, world.invitee.email, PASSWORD)
        for path in ("/actions", f"/plans/{world.plan_id}", f"/plans/{world.plan_id}/review-summary"):
            answer = await helen.goto(f"{live_server}{path}")
            assert answer is not None and answer.status == 200, path
            assert "scared of Tom" not in await helen.content(), path
        await assert_axe_clean(helen, "review summary as Helen")
    finally:
        await helen_context.close()
    async with httpx.AsyncClient(base_url=live_server) as api:
        seen = await api.get(f"/api/v1/plans/{world.plan_id}/messages", headers=world.invitee.headers)
        assert seen.status_code == 200 and "scared of Tom" not in seen.text
        assert "scared of Tom" in (await api.get(f"/api/v1/plans/{world.plan_id}/messages",
                                                 headers=world.lead.headers)).text

    # Sam reads it on the plan page and replies.
    sam_context = await browser.new_context()
    sam = await sam_context.new_page()
    try:
        await sign_in_page(sam, live_server, world.lead.email, PASSWORD)
        await sam.goto(f"{live_server}/plans/{world.plan_id}")
        assert await sam.get_by_text(PRIVATE).is_visible()
        await sam.get_by_text("Let everyone working with the family read this").click()
        await assert_axe_clean(sam, "plan page with the conversation, as the lead")
        await sam.get_by_label("Who to reply to").select_option(str(jess))
        await sam.get_by_label("Your reply").fill(REPLY)
        await sam.get_by_role("button", name="Send reply").click()
        # Saved (with a second look at the wording when the checks find something): the reply
        # is in the conversation either way.
        said = sam.locator(".tracker-conversation").get_by_text(REPLY)
        await said.wait_for()
        assert await said.is_visible()
        await assert_axe_clean(sam, "plan page after a reply")
    finally:
        await sam_context.close()

    # Jess sees the reply as a conversation on her page.
    await family.goto(f"{live_server}/family")
    assert await family.get_by_text(REPLY).is_visible()
    assert await family.get_by_text("Sam Lead replied").is_visible()
    await assert_axe_clean(family, "family plan with a reply")

    # Her text says only that there is a reply, with her link: no words, no names.
    [row] = await Outbox.select(Outbox.id).where((Outbox.template == "staff_reply")
                                                 & (Outbox.recipient_member == jess))
    settings = dataclasses.replace(get_settings(), send_rate_per_second=0, sms_backend="console",
                                   email_backend="console")
    dispatcher = build_dispatcher(settings, live_clock, providers_for(settings), rng=random.Random(2))
    try:
        await dispatcher.tick(materialise=False)
    finally:
        await dispatcher.providers.close()
    [text] = await ConsoleMessage.select().where(ConsoleMessage.outbox_id == row["id"])
    assert text["channel"] == "sms"
    prefix = "There is a reply to your message on your plan. You can read it here: "
    assert text["body"].startswith(prefix)
    link = text["body"][len(prefix):]
    assert link.startswith(f"{settings.public_base_url}/f/") and " " not in link
    for word in ("Jess", "Sam", "Tom", "Rosie", "ring"):
        assert word not in text["body"]
