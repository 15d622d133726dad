"""The chair's dashboard is kept per chair and served again while nothing it shows has changed
(tracker.staff.pages.kept): each kind of change shows on the very next view, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.support.factories import POLICY, SYSTEM, WINDOWS, at, make_user
from tests.support.queries import queries_for
from tests.support.staff_pages import as_user, give_password, signable_world
from tracker.audit import Actor
from tracker.family.service import add_family_message
from tracker.family.sessions import FamilyAccess
from tracker.plans import service
from tracker.plans.core_groups import create_core_group
from tracker.plans.progress import record_progress
from tracker.plans.schemas import ConferenceIn, CoreGroupIn
from tracker.staff.users import UserForm, deactivate_user, get_user, update_user

CARD = 'class="govuk-summary-card tracker-review-card"'


async def _world_with_review(client, now, days=10):  # type: ignore[no-untyped-def]
    world = await signable_world(now)
    conference_id = await service.create_conference(policy=POLICY, data=ConferenceIn(
        family_id=world.family["id"], kind="review_cp", starts_at=at(now.date() + timedelta(days=days)),
        chair_id=world.chair.id, invitee_ids=[world.invitee.id, world.lead.id]),
        actor=SYSTEM, now=now)
    await as_user(client, world.chair)
    return world, conference_id


async def _dashboard(client) -> str:  # type: ignore[no-untyped-def]
    page = await client.get("/chair")
    assert page.status_code == 200
    return page.text


async def test_a_second_view_is_served_kept_in_far_fewer_queries(client, clock):
    world, _ = await _world_with_review(client, clock.now())
    status, first = await queries_for(client, "/chair")
    assert status == 200
    status, again = await queries_for(client, "/chair")
    assert status == 200
    # The session and the version only: the page itself is not read again.
    assert again.count <= 2 < first.count, (first.count, again.statements)
    assert (await client.get("/chair")).text.count(CARD) == 1
    assert world.family["name"] in await _dashboard(client)


async def test_progress_a_message_and_a_report_each_show_on_the_next_view(client, clock):
    now = clock.now()
    world, conference_id = await _world_with_review(client, now)
    html = await _dashboard(client)
    assert "0 of 2 received" in html
    assert "0 done, 0 in progress, 2 not started" in html
    await record_progress(action_id=world.action_id, status="done", note="All six calls made.",
                          actor=Actor.user(world.invitee.id, world.invitee.name), now=now)
    assert "1 done, 0 in progress, 1 not started" in await _dashboard(client)
    jess = world.family["members"][0]
    access = FamilyAccess(session_id=0, member_id=jess["id"], member_name=jess["name"],
                          language="en", family_id=world.family["id"], plan_id=world.plan_id)
    await add_family_message(access=access, body="Mornings are calmer this month.", now=now,
                             windows=WINDOWS, visibility="core_group")
    assert "Mornings are calmer this month." in await _dashboard(client)
    await service.mark_report_submitted(conference_id=conference_id, user_id=world.invitee.id,
                                        actor=SYSTEM, now=now)
    assert "1 of 2 received" in await _dashboard(client)


async def test_a_professional_renamed_or_leaving_shows_on_the_next_view(client, clock):
    now = clock.now()
    world, _ = await _world_with_review(client, now)
    assert "Helen School" in await _dashboard(client)
    admin = Actor.user(world.lead.id, world.lead.name, channel="web")
    user = await get_user(world.invitee.id)
    await update_user(user_id=world.invitee.id, actor=admin, now=now, data=UserForm(
        name="Helen Brook", email=user["email"], role_title=user["role_title"],
        agency=user["agency"], phone=user["phone"] or "", roles=user["roles"].split(",")))
    html = await _dashboard(client)
    assert "Helen Brook" in html and "Helen School" not in html
    assert "rests with someone who has left" not in html
    await deactivate_user(user_id=world.invitee.id, actor=admin, now=now)
    after = await _dashboard(client)
    # Helen owns the school action: her leaving is flagged on the family's card.
    assert "rests with someone who has left" in after and "1 action" in after


async def test_a_booked_core_group_starting_and_a_new_day_are_seen_without_any_change(client, clock):
    now = clock.now()
    world, _ = await _world_with_review(client, now)
    soon = now + timedelta(hours=2)
    await create_core_group(plan_id=world.plan_id, data=CoreGroupIn(
        starts_at=soon, invitee_ids=[world.invitee.id]),
        actor=Actor.user(world.lead.id, world.lead.name, channel="web"), now=now, policy=POLICY)
    status, built = await queries_for(client, "/chair")
    status, kept = await queries_for(client, "/chair")
    assert kept.count < built.count
    clock.advance(hours=3)  # the meeting has started: the kept page has passed its moment
    await as_user(client, world.chair)  # (signed out by the idle timeout meanwhile)
    status, rebuilt = await queries_for(client, "/chair")
    assert status == 200 and rebuilt.count == built.count
    status, kept = await queries_for(client, "/chair")
    assert kept.count < built.count
    clock.advance(days=1)  # a new day: reports may be late, actions overdue
    await as_user(client, world.chair)
    status, next_day = await queries_for(client, "/chair")
    assert status == 200 and next_day.count == built.count


async def test_a_conference_entering_the_window_or_moved_away_shows_on_the_next_view(client, clock):
    now = clock.now()
    world, conference_id = await _world_with_review(client, now)
    assert (await _dashboard(client)).count(CARD) == 1
    class Nobody:  # who is told is tests/staff/test_conference_booking.py's concern
        async def professional(self, user_id: int, news: dict) -> None:  # type: ignore[type-arg]
            pass

        async def family(self, news: dict) -> None:  # type: ignore[type-arg]
            pass

    await service.move_conference(conference_id=conference_id,
                                  starts_at=at(now.date() + timedelta(days=80)),
                                  actor=SYSTEM, now=now, policy=POLICY, tell=Nobody())
    assert (await _dashboard(client)).count(CARD) == 0


async def test_chairs_never_see_each_others_kept_page_and_each_browser_keeps_its_own_token(
        client, app, clock):
    import httpx

    now = clock.now()
    world, _ = await _world_with_review(client, now)
    other = await make_user(now, "chair", name="Other Chair")
    await give_password(other.id)
    mine = await _dashboard(client)
    mine_again = await _dashboard(client)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', mine_again)
    assert token and token.group(1) in mine
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver.local") as second:
        await as_user(second, other)
        theirs = (await second.get("/chair")).text
        assert world.family["name"] not in theirs
        assert "Other Chair" in theirs
        their_token = re.search(r'name="_csrf_token" value="([^"]+)"', theirs)
        assert their_token and their_token.group(1) != token.group(1)
        # Their token works for them: signing out is a form post carrying it.
        out = await second.post("/signout", data={"_csrf_token": their_token.group(1)})
        assert out.status_code in (302, 303)
    assert world.family["name"] in await _dashboard(client)


async def test_a_conference_handed_to_another_chair_or_given_to_this_one_shows_on_the_next_view(
        client, clock):
    from tracker.plans.schemas import ConferencePatch

    now = clock.now()
    world, conference_id = await _world_with_review(client, now)
    other_world = await signable_world(now)
    other_review = await service.create_conference(policy=POLICY, data=ConferenceIn(
        family_id=other_world.family["id"], kind="review_cp",
        starts_at=at(now.date() + timedelta(days=12)), chair_id=other_world.chair.id,
        invitee_ids=[other_world.lead.id]), actor=SYSTEM, now=now)
    html = await _dashboard(client)
    assert world.family["name"] in html and other_world.family["name"] not in html
    # The families the page can show change in both directions at once.
    await service.update_conference(conference_id=conference_id, actor=SYSTEM, now=now,
                                    policy=POLICY, patch=ConferencePatch(chair_id=other_world.chair.id))
    await service.update_conference(conference_id=other_review, actor=SYSTEM, now=now,
                                    policy=POLICY, patch=ConferencePatch(chair_id=world.chair.id))
    html = await _dashboard(client)
    assert other_world.family["name"] in html
    assert html.count(CARD) == 1 and f'href="/plans/{other_world.plan_id}/review-summary"' in html
