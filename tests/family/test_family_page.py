"""What the family page shows a member, and what it never shows."""

from __future__ import annotations

from datetime import timedelta

from tests.family.conftest import continue_from, texted_link
from tests.support.factories import POLICY, SYSTEM, at, make_world
from tracker.plans import service
from tracker.plans.schemas import ActionIn, ConferenceIn, ConferencePatch, FamilyPatch, MemberIn


async def test_the_page_shows_what_better_looks_like_their_steps_the_professionals_and_the_next_meeting(signed_in):
    page = await signed_in.plan_page()
    text = page.text
    assert page.status_code == 200
    assert "Your family's plan" in text  # the header, under the authority's name
    assert "Demo Children&#39;s Services" in text
    # What better looks like, for the named child.
    assert "For Rosie" in text and "Rosie goes to school every day." in text
    assert "95% attendance." in text
    # Her own step, its due date, status and the three buttons.
    assert "Walk Rosie to school so she is in class by 8:50 each day." in text
    assert "Friday 4 December 2026" in text
    assert "Not started" in text
    for button in (">Done<", ">Started<", ">I need help with this<"):
        assert button in text
    # What each professional offered: their name and role, not their agency.
    assert "Phone Jess every Monday at 9:15 to plan the school week." in text
    assert "Helen School" in text
    assert "Test agency" not in text
    # The next review and the seven steps in plain words.
    assert "Your next review meeting will be on or before Saturday 23 January 2027" in text
    assert text.count("<li>") >= 7 and "This is your family's meeting." in text
    # Who to contact.
    assert "Sam Lead leads your plan with you." in text
    assert f"mailto:{signed_in.world.lead.email}" in text


async def test_a_booked_review_conference_shows_its_day_and_time(signed_in, clock):
    world = signed_in.world
    review_day = clock.now().date() + timedelta(days=50)
    await service.create_conference(policy=POLICY,
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp", starts_at=at(review_day, 14),
                          chair_id=world.chair.id),
        actor=SYSTEM, now=clock.now())
    text = (await signed_in.plan_page()).text
    assert "Your next review meeting is on Wednesday 13 January 2027 at 2:00pm." in text


async def test_nothing_of_an_adult_who_is_not_safe_to_contact_appears(signed_in, clock):
    world = signed_in.world
    # A professional slips the name into text the family sees; the page takes it out.
    await service.add_action(policy=POLICY,
        plan_id=world.plan_id, actor=SYSTEM, now=clock.now(),
        data=ActionIn(outcome_id=world.outcome_id, owner_user_id=world.lead.id,
                      description="Agree with Ryan that contact happens at the family centre only.",
                      due_on=clock.now().date() + timedelta(days=20), success_measure="Agreed."))
    text = (await signed_in.plan_page()).text
    assert "Ryan" not in text and "ryan" not in text.lower()
    assert "[name removed]" in text


async def test_the_worries_recorded_about_an_adult_are_not_shown(signed_in, clock):
    world = signed_in.world
    await service.update_conference(policy=POLICY,
        conference_id=world.conference_id, actor=SYSTEM, now=clock.now(),
        patch=ConferencePatch(worries="Concerns about domestic abuse by a former partner.",
                              impact="Rosie is frightened at night."))
    text = (await signed_in.plan_page()).text
    assert "domestic abuse" not in text
    assert "frightened" not in text
    assert "neglect" not in text.lower()  # the plan's category


async def test_another_family_and_other_adults_steps_are_not_shown(signed_in, clock):
    other = await make_world(clock.now())
    await service.update_family(
        family_id=signed_in.world.family["id"], actor=SYSTEM, now=clock.now(),
        patch=FamilyPatch(members=[MemberIn(name="Linda", relationship="Nan", preferred_channel="none")]))
    family = await service.family_view(signed_in.world.family["id"])
    linda = next(m["id"] for m in family["members"] if m["name"] == "Linda")
    await service.add_action(policy=POLICY,
        plan_id=signed_in.world.plan_id, actor=SYSTEM, now=clock.now(),
        data=ActionIn(outcome_id=signed_in.world.outcome_id, owner_member_id=linda,
                      description="Do the Tuesday school run.", due_on=clock.now().date() + timedelta(days=9)))
    text = (await signed_in.plan_page()).text
    assert other.family["name"] not in text
    assert "Do the Tuesday school run." not in text
    assert text.count('action="/family/actions/') == 1


async def test_a_member_of_one_family_only_ever_sees_their_own_family(world, client, clock):
    other = await make_world(clock.now())
    await continue_from(client, await texted_link(other.family["members"][0]["id"], clock.now()))
    text = (await client.get("/family")).text
    assert f"/family/actions/{other.member_action_id}" in text
    assert f"/family/actions/{world.member_action_id}" not in text
