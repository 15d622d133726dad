""""Send a new plan link" on the staff page: the member's one link, shown once and sent by their channel."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from tests.notify.test_webhooks import BASE
from tests.support.inbound import OwnNumbers, dispatch_once
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.notify.tables import Outbox
from tracker.plans.tables import FamilyMember, Plan

pytestmark = pytest.mark.usefixtures("clean_outbox")
LINK = re.compile(r"http://testserver\.local/f/[A-Za-z0-9_\-]+")


own_number = OwnNumbers(800, 900).give
_dispatch = dispatch_once


@pytest.fixture
async def hooks(migrated, clock, real_settings):  # type: ignore[no-untyped-def]
    """The app with Twilio settings, and a client on the same loop."""
    from tracker.app import create_app

    app = create_app(real_settings, clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def test_the_lead_sends_the_link_by_text_and_it_is_the_one_the_page_showed(hooks, clock, real_settings,
                                                                                 twilio_server):
    world = await signable_world(clock.now())
    jess, number = await own_number(world)
    await as_user(hooks, world.lead)
    answer = await post_as_form(hooks, f"/families/{world.family['id']}/members/{jess}/link")
    assert answer.status_code == 200 and "We are texting the link to Jess" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    shown = LINK.search(answer.text).group(0)
    [row] = await Outbox.select().where((Outbox.recipient_member == jess) & (Outbox.template == "family_link"))
    assert row["channel"] == "sms" and shown.rsplit("/", 1)[1] not in row["context"]
    await _dispatch(clock, real_settings)
    [text] = twilio_server.to(number)
    assert LINK.search(text["body"]).group(0) == shown
    # Sending again sends the same link: the one in the first text keeps working.
    clock.advance(minutes=10)
    again = await post_as_form(hooks, f"/families/{world.family['id']}/members/{jess}/link")
    assert again.status_code == 200, again.headers.get("location")
    assert LINK.search(again.text).group(0) == shown
    assert (await hooks.get(shown.removeprefix(BASE))).status_code == 200


async def test_a_member_who_prefers_email_gets_it_by_email(hooks, clock, real_settings, smtp_server):
    world = await signable_world(clock.now())
    jess, _ = await own_number(world)
    await FamilyMember.update({FamilyMember.preferred_channel: "email",
                               FamilyMember.email: "jess.link@example.org"}).where(FamilyMember.id == jess)
    await as_user(hooks, world.lead)
    answer = await post_as_form(hooks, f"/families/{world.family['id']}/members/{jess}/link")
    assert "We are emailing the link to Jess" in answer.text
    await _dispatch(clock, real_settings)
    [mail] = smtp_server.to("jess.link@example.org")
    assert LINK.search(answer.text).group(0) in mail.get_body(("plain",)).get_content()


async def test_without_consent_to_texts_nothing_is_sent_and_the_page_says_why(hooks, clock, twilio_server):
    world = await signable_world(clock.now())
    jess, _ = await own_number(world)
    await FamilyMember.update({FamilyMember.sms_consent: False}).where(FamilyMember.id == jess)
    await as_user(hooks, world.lead)
    answer = await post_as_form(hooks, f"/families/{world.family['id']}/members/{jess}/link")
    assert answer.status_code == 200 and "has not agreed to texts" in answer.text
    assert await Outbox.count().where(Outbox.template == "family_link") == 0


async def test_each_text_starts_the_links_days_afresh_and_a_stopped_or_lapsed_link_is_never_reused(
        migrated, clock):
    """The texts' way to the member's live link (one guarded UPDATE, no transaction): it slides
    the expiry forward, never back, and hands out nothing once the link is stopped or lapsed."""
    from tracker.audit import Actor
    from tracker.errors import FieldErrors
    from tracker.family.links import LinkPolicy, issue_link, revoke_member_links
    from tracker.family.tables import FamilyLink
    from tracker.settings import get_settings

    policy = LinkPolicy.from_settings(get_settings())
    days = timedelta(days=policy.days)
    world = await signable_world(clock.now())
    jess = world.family["members"][0]["id"]

    async def text(at):  # type: ignore[no-untyped-def]
        return await issue_link(member_id=jess, now=at, actor=Actor.system("tests"), policy=policy)

    async def live() -> list[dict]:  # type: ignore[type-arg]
        return await FamilyLink.select(FamilyLink.id, FamilyLink.expires_at).where(
            (FamilyLink.member == jess) & FamilyLink.revoked_at.is_null())

    first = await text(clock.now())
    [made] = await live()
    assert made["expires_at"] == clock.now() + days
    clock.advance(days=10)
    assert await text(clock.now()) == first
    assert await live() == [{"id": made["id"], "expires_at": clock.now() + days}]
    # A text worked out with an earlier instant (a slow sender) never shortens the link's life.
    assert await text(clock.now() - timedelta(days=3)) == first
    assert (await live())[0]["expires_at"] == clock.now() + days
    # Not safe to contact, or no current plan: refused, though the link is still live.
    await FamilyMember.update({FamilyMember.safe_to_contact: False}).where(FamilyMember.id == jess)
    with pytest.raises(FieldErrors):
        await text(clock.now())
    await FamilyMember.update({FamilyMember.safe_to_contact: True}).where(FamilyMember.id == jess)
    await Plan.update({Plan.status: "ended"}).where(Plan.id == world.plan_id)
    with pytest.raises(FieldErrors):
        await text(clock.now())
    await Plan.update({Plan.status: "active"}).where(Plan.id == world.plan_id)
    assert await text(clock.now()) == first
    # Stopped: the next text carries a new link, and the stopped one stays stopped.
    await revoke_member_links(member_id=jess, reason="lead", now=clock.now(), actor=Actor.system("tests"))
    second = await text(clock.now())
    assert second != first
    [replacement] = await live()
    assert replacement["id"] != made["id"]
    # Lapsed (no text or use for its whole life): a new link again, not the lapsed one slid back to life.
    clock.advance(days=policy.days, minutes=1)
    third = await text(clock.now())
    assert third not in (first, second)
    working = [r["id"] for r in await live() if r["expires_at"] > clock.now()]
    assert len(working) == 1 and working[0] != replacement["id"]
