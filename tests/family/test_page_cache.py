"""The family page is served again from memory only while nothing it shows has changed.

Each test looks at the page first (so it is kept), makes one kind of change, and looks again:
the change must show on that very next view.
"""

from __future__ import annotations

from datetime import timedelta

from tests.family.conftest import continue_from, csrf_from, texted_link
from tests.support.factories import POLICY, SYSTEM, WINDOWS, at
from tests.support.queries import queries_for
from tracker.audit import Actor
from tracker.family.conversation import add_staff_reply
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.schemas import ActionPatch, ConferenceIn, ConferencePatch, FamilyPatch, MemberIn


async def test_a_second_view_runs_two_queries_and_shows_the_same_page(signed_in):
    first = await signed_in.plan_page()
    status, log = await queries_for(signed_in.client, "/family")
    assert status == 200
    # The session, then the family's version with the professionals' details in one.
    assert log.count == 2, log.statements
    again = await signed_in.plan_page()
    assert again.text == first.text
    assert again.headers["cache-control"] == "no-store"
    assert again.headers["referrer-policy"] == "no-referrer"
    assert again.headers["content-type"].startswith("text/html")


async def test_each_phone_gets_its_own_form_token_from_a_kept_page(signed_in, app, clock):
    import httpx

    await signed_in.plan_page()
    transport = httpx.ASGITransport(app=app, client=("10.77.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as other:
        jess = signed_in.member_id
        assert (await continue_from(other, await texted_link(jess, clock.now()))).status_code == 303
        mine, theirs = await signed_in.plan_page(), await other.get("/family")
        assert csrf_from(mine.text) == signed_in.client.cookies.get("csrftoken")
        assert csrf_from(theirs.text) == other.cookies.get("csrftoken")
        assert csrf_from(mine.text) != csrf_from(theirs.text)
        # The kept page's form works from the second phone.
        answer = await other.post("/family/messages", data={
            "_csrf_token": csrf_from(theirs.text), "message": "From the other phone."})
        assert answer.status_code == 303
    assert "From the other phone." in (await signed_in.plan_page()).text


async def test_a_new_family_message_shows(signed_in):
    await signed_in.plan_page()
    answer = await signed_in.post_form("/family/messages", {"message": "Rosie liked the walk."})
    assert answer.status_code == 303
    assert "Rosie liked the walk." in (await signed_in.plan_page()).text


async def test_a_reply_from_a_professional_shows(signed_in, clock):
    world = signed_in.world
    await signed_in.plan_page()
    await add_staff_reply(plan_id=world.plan_id, member_id=signed_in.member_id,
                          body="Thank you, that is lovely to hear.", caller=world.lead.caller,
                          actor=Actor.user(world.lead.id, world.lead.name), now=clock.now(),
                          windows=WINDOWS)
    assert "Thank you, that is lovely to hear." in (await signed_in.plan_page()).text


async def test_a_progress_note_shared_with_the_family_shows(signed_in, clock):
    world = signed_in.world
    await signed_in.plan_page()
    await service.record_progress(
        action_id=world.action_id, status=None, note="First Monday call went well.",
        actor=Actor.user(world.invitee.id, world.invitee.name), now=clock.now(),
        shared_with_family=True)
    assert "First Monday call went well." in (await signed_in.plan_page()).text


async def test_a_step_done_shows_and_a_new_step_shows(signed_in, clock):
    world = signed_in.world
    before = (await signed_in.plan_page()).text
    assert ">Started<" in before  # her one open step's buttons
    await service.update_action(policy=POLICY, action_id=world.member_action_id,
                                patch=ActionPatch(status="done"), actor=SYSTEM, now=clock.now())
    assert ">Started<" not in (await signed_in.plan_page()).text
    await service.update_action(policy=POLICY, action_id=world.action_id,
                                patch=ActionPatch(description="Phone Jess every Tuesday at 9:15."),
                                actor=SYSTEM, now=clock.now())
    assert "Phone Jess every Tuesday at 9:15." in (await signed_in.plan_page()).text


async def test_an_adult_recorded_as_not_safe_is_taken_out_at_once(signed_in, clock):
    world = signed_in.world
    await service.update_action(
        policy=POLICY, action_id=world.action_id, actor=SYSTEM, now=clock.now(),
        patch=ActionPatch(description="Meet Linda and Jess at the family centre."))
    assert "Linda" in (await signed_in.plan_page()).text
    await service.update_family(
        family_id=world.family["id"], actor=SYSTEM, now=clock.now(),
        patch=FamilyPatch(members=[MemberIn(name="Linda", relationship="Aunt",
                                            preferred_channel="none", safe_to_contact=False)]))
    text = (await signed_in.plan_page()).text
    assert "Linda" not in text and "[name removed]" in text


async def test_a_booked_review_shows_and_goes_when_it_has_started(signed_in, clock):
    world = signed_in.world
    assert "will be on or before" in (await signed_in.plan_page()).text
    # Booked for later today (10:00 UTC now): the page names it at once.
    await service.create_conference(
        policy=POLICY, actor=SYSTEM, now=clock.now(),
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=clock.now() + timedelta(hours=3), chair_id=world.chair.id))
    assert "Your next review meeting is on" in (await signed_in.plan_page()).text
    # The same day, after it started: no change was made, but the kept page is not shown.
    clock.advance(hours=4)
    assert "Your next review meeting is on" not in (await signed_in.plan_page()).text


async def test_the_next_day_is_a_new_page(signed_in, clock):
    world = signed_in.world
    tomorrow = clock.now().date() + timedelta(days=1)
    await service.create_conference(
        policy=POLICY, actor=SYSTEM, now=clock.now(),
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(tomorrow, 8), chair_id=world.chair.id))
    assert "Your next review meeting is on" in (await signed_in.plan_page()).text
    clock.advance(days=1)
    assert "Your next review meeting is on" not in (await signed_in.plan_page()).text


async def test_words_the_chair_shares_show(signed_in, clock):
    world = signed_in.world
    await signed_in.plan_page()
    await service.update_conference(
        policy=POLICY, conference_id=world.conference_id, actor=SYSTEM, now=clock.now(),
        patch=ConferencePatch(children_views="Rosie says she likes her teacher.",
                              share_children_views=True))
    assert "Rosie says she likes her teacher." in (await signed_in.plan_page()).text


async def test_a_professional_s_new_name_or_phone_shows_even_without_a_family_change(signed_in):
    world = signed_in.world
    before = (await signed_in.plan_page()).text
    assert "Sam Lead" in before and "Helen School" in before
    # Straight to the table: whatever path changes a professional's details, the page follows.
    await StaffUser.update({StaffUser.name: "Samira Lead", StaffUser.phone: "01632 960123"}).where(
        StaffUser.id == world.lead.id)
    after = (await signed_in.plan_page()).text
    assert "Samira Lead" in after and "01632 960123" in after
    await StaffUser.update({StaffUser.role_title: "Learning mentor"}).where(
        StaffUser.id == world.invitee.id)
    assert "Learning mentor" in (await signed_in.plan_page()).text


async def test_the_saved_banner_and_the_language_are_part_of_what_is_kept(signed_in):
    plain = (await signed_in.plan_page()).text
    saved = (await signed_in.client.get("/family?saved=message")).text
    assert saved != plain
    assert (await signed_in.plan_page()).text == plain


async def test_a_kept_page_is_never_shown_once_the_link_is_stopped(signed_in, clock):
    from tracker.family.links import revoke_member_links

    assert (await signed_in.plan_page()).status_code == 200
    await revoke_member_links(member_id=signed_in.member_id, reason="revoked_by_lead",
                              now=clock.now(), actor=SYSTEM)
    answer = await signed_in.plan_page()
    assert answer.status_code == 401
    assert "Walk Rosie to school" not in answer.text


async def test_a_kept_page_is_never_shown_after_the_session_expires(signed_in, clock):
    assert (await signed_in.plan_page()).status_code == 200
    clock.advance(hours=13)  # sessions last 12 hours
    answer = await signed_in.plan_page()
    assert answer.status_code == 401
    assert "Walk Rosie to school" not in answer.text


class _NobodyTold:
    """Who is told of a move is tests/notify/test_family_told_of_conference.py's concern."""

    async def professional(self, user_id: int, news: dict) -> None:  # type: ignore[type-arg]
        pass

    async def family(self, news: dict) -> None:  # type: ignore[type-arg]
        pass


async def test_a_booked_review_moved_or_cancelled_shows_on_the_next_view(signed_in, clock):
    world = signed_in.world
    first = clock.now().date() + timedelta(days=20)
    conference_id = await service.create_conference(
        policy=POLICY, actor=SYSTEM, now=clock.now(),
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(first), chair_id=world.chair.id))
    assert f"{first:%A} {first.day} {first:%B}" in (await signed_in.plan_page()).text
    moved_to = first + timedelta(days=2)
    await service.move_conference(conference_id=conference_id, starts_at=at(moved_to, 14),
                                  actor=SYSTEM, now=clock.now(), policy=POLICY, tell=_NobodyTold())
    text = (await signed_in.plan_page()).text
    assert f"{moved_to:%A} {moved_to.day} {moved_to:%B}" in text and "2:00" in text
    assert f"{first:%A} {first.day} {first:%B}" not in text
    await service.cancel_conference(conference_id=conference_id, reason="A new date is needed.",
                                    actor=SYSTEM, now=clock.now(), tell=_NobodyTold())
    text = (await signed_in.plan_page()).text
    assert "Your next review meeting is on" not in text and "will be on or before" in text
