"""A professional's caseload (/families) and desk (/actions) are kept and served again while no
family they may see has changed (tracker.staff.pages.kept): each kind of change shows on the
very next view, a family joining or leaving what they may see included; admins' pages are never
kept."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import POLICY, SYSTEM, WINDOWS, at, make_user
from tests.support.queries import queries_for
from tests.support.staff_pages import as_user, give_password, signable_world
from tracker.audit import Actor
from tracker.family.service import add_family_message
from tracker.family.sessions import FamilyAccess
from tracker.plans import service
from tracker.plans.progress import record_progress
from tracker.plans.schemas import ConferenceIn, FamilyPatch
from tracker.staff.users import UserForm, get_user, update_user


async def _page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    answer = await client.get(path)
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


async def test_both_pages_are_kept_in_two_queries_and_rebuilt_for_a_new_day(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    for path in ("/families", "/actions"):
        status, built = await queries_for(client, path)
        status, kept = await queries_for(client, path)
        assert status == 200 and kept.count == 2 < built.count, (path, kept.statements)
    clock.advance(days=1)
    await as_user(client, world.invitee)
    for path in ("/families", "/actions"):
        status, next_day = await queries_for(client, path)
        assert status == 200 and next_day.count > 2, path


async def test_an_admins_pages_are_built_every_time(client, clock):
    now = clock.now()
    await signable_world(now)
    admin = await make_user(now, "professional", "admin", name="Ada Admin")
    await give_password(admin.id)
    await as_user(client, admin)
    for path in ("/families", "/actions"):
        await client.get(path)
        status, again = await queries_for(client, path)
        assert status == 200 and again.count > 2, path


async def test_progress_and_family_words_show_on_the_next_view(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    actions = await _page(client, "/actions")
    assert "Mornings are calmer" not in actions
    await _page(client, "/families")
    jess = world.family["members"][0]
    access = FamilyAccess(session_id=0, member_id=jess["id"], member_name=jess["name"],
                          language="en", family_id=world.family["id"], plan_id=world.plan_id)
    await add_family_message(access=access, body="Mornings are calmer this month.", now=now,
                             windows=WINDOWS)
    assert "Mornings are calmer this month." in await _page(client, "/actions")
    await as_user(client, world.invitee)
    assert "Six Monday calls logged" in await _page(client, "/actions")
    await record_progress(action_id=world.action_id, status="done", note="All six calls made.",
                          actor=Actor.user(world.invitee.id, world.invitee.name), now=now)
    # Done: no longer one of the invitee's open actions.
    assert "Six Monday calls logged" not in await _page(client, "/actions")


async def test_a_family_joining_or_leaving_what_i_may_see_shows_on_the_next_view(client, clock):
    now = clock.now()
    world = await signable_world(now)
    other = await signable_world(now)
    await as_user(client, world.lead)
    html = await _page(client, "/families")
    assert world.family["name"] in html and other.family["name"] not in html
    await _page(client, "/actions")
    # Invited to the other family's review: that family joins the lead's caseload.
    await service.create_conference(policy=POLICY, data=ConferenceIn(
        family_id=other.family["id"], kind="review_cp", starts_at=at(now.date() + timedelta(days=9)),
        chair_id=other.chair.id, invitee_ids=[world.lead.id]), actor=SYSTEM, now=now)
    assert other.family["name"] in await _page(client, "/families")
    assert other.family["name"] in await _page(client, "/actions")  # the report asked for
    # The lead hands their own family to someone else and has no other part in it: it leaves.
    await service.update_family(family_id=world.family["id"], actor=SYSTEM, now=now,
                                patch=FamilyPatch(lead_professional_id=world.outsider.id))
    assert world.family["name"] not in await _page(client, "/families")


async def test_a_renamed_lead_and_a_conference_starting_show_without_a_family_change(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await service.create_conference(policy=POLICY, data=ConferenceIn(
        family_id=world.family["id"], kind="review_cp", starts_at=now + timedelta(hours=1),
        chair_id=world.chair.id, invitee_ids=[world.invitee.id]), actor=SYSTEM, now=now)
    await as_user(client, world.invitee)
    html = await _page(client, "/families")
    assert "Sam Lead" in html
    user = await get_user(world.lead.id)
    await update_user(user_id=world.lead.id, now=now,
                      actor=Actor.user(world.chair.id, world.chair.name, channel="web"),
                      data=UserForm(name="Sam Rivers", email=user["email"],
                                    role_title=user["role_title"], agency=user["agency"],
                                    phone=user["phone"] or "", roles=user["roles"].split(",")))
    html = await _page(client, "/families")
    assert "Sam Rivers" in html and "Sam Lead" not in html
    status, kept = await queries_for(client, "/families")
    assert kept.count == 2
    clock.advance(minutes=61)  # the review has started: it is no longer the next conference
    await as_user(client, world.invitee)
    status, rebuilt = await queries_for(client, "/families")
    assert status == 200 and rebuilt.count > 2
