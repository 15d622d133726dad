"""Words on the family's pages (and what staff see about an adult's language): plain, restorative,
no grammar slips, and honest about a language we have no catalogue for."""

from __future__ import annotations

from tests.support.factories import POLICY, SYSTEM
from tests.support.staff_pages import as_user, signable_world
from tracker.audit import Actor
from tracker.notify.templates import Letterhead, render
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.schemas import ActionPatch
from tracker.plans.tables import FamilyMember


async def test_the_family_closes_the_page_and_is_told_the_plan_has_not_changed(signed_in):
    page = (await signed_in.plan_page()).text
    assert "Close this page" in page and "close this page when you have finished" in page
    assert "Leave your plan" not in page and "leave when you have finished" not in page
    closed = await signed_in.post_form("/family/leave", {})
    assert "This page is closed" in closed.text and "Your plan has not changed." in closed.text
    assert "left your plan" not in closed.text


async def test_the_lead_and_the_helper_are_named_without_grammar_slips(signed_in, clock):
    world = signed_in.world
    await StaffUser.update({StaffUser.role_title: "Social worker"}).where(StaffUser.id == world.lead.id)
    await service.update_action(action_id=world.member_action_id, actor=SYSTEM, now=clock.now(), policy=POLICY,
                                patch=ActionPatch(support_offered="A bus pass for the school run.",
                                                  support_by_user_id=world.invitee.id))
    page = (await signed_in.plan_page()).text
    assert "Sam Lead, your social worker, leads your plan with you." in page
    assert "(Social worker)" not in page
    assert "lead professional" not in page.lower()  # a professionals' word: the page says who leads
    assert "Who offers it: Helen School" in page and "(Helen School)" not in page


async def test_a_language_without_a_catalogue_is_named_plainly_and_the_page_stays_english(signed_in):
    await FamilyMember.update({FamilyMember.language: "ur"}).where(FamilyMember.id == signed_in.member_id)
    page = (await signed_in.plan_page()).text
    assert '<html lang="en"' in page
    assert ("You asked for your pages in Urdu. We do not have them in Urdu yet, so they are in English."
            in page)
    assert "They can find an interpreter for you." in page
    await FamilyMember.update({FamilyMember.language: "en"}).where(FamilyMember.id == signed_in.member_id)
    assert "You asked for your pages in" not in (await signed_in.plan_page()).text


async def test_staff_see_each_adults_language(client, clock):
    world = await signable_world(clock.now())
    jess = world.family["members"][0]["id"]
    await FamilyMember.update({FamilyMember.language: "pl"}).where(FamilyMember.id == jess)
    await as_user(client, world.lead)
    page = (await client.get(f"/families/{world.family['id']}")).text
    assert "Jess (Mum), speaks Polish" in page


async def test_the_summary_does_not_double_a_full_stop(client, clock):
    world = await signable_world(clock.now())
    await service.update_action(action_id=world.member_action_id, actor=Actor.system("t"), now=clock.now(),
                                policy=POLICY, patch=ActionPatch(success_measure="Confirmed in writing."))
    await as_user(client, world.chair)
    page = (await client.get(f"/plans/{world.plan_id}/review-summary")).text
    assert "How we'll know: Confirmed in writing." in page and "writing.." not in page


def test_the_leads_email_uses_the_neutral_reference_not_the_familys_name():
    # Staff emails reach school and agency inboxes: the family is "family F1", never its name
    # (so no "Rosie's family (Taylor)'s plan" slip either).
    context = {"member_name": "Jess", "family_name": "Rosie's family (Taylor)", "family_ref": "F1",
               "plan_id": 1, "asked_for_help": True, "choice": "help"}
    message = render("email", "family_update_to_lead", context,
                     letterhead=Letterhead(authority_name="Anytown", base_url="https://t.example"))
    assert "family F1" in message.text and "F1" in message.subject
    for words in ("Taylor", "Rosie", "Jess", "'s plan"):
        assert words not in message.text and words not in message.subject, words


async def test_a_reply_names_its_writer_and_role_without_brackets(signed_in):
    world = signed_in.world
    await StaffUser.update({StaffUser.role_title: "Social worker"}).where(StaffUser.id == world.lead.id)
    await signed_in.post_form("/family/messages", {"message": "Can we talk about mornings?"})
    answer = await signed_in.client.post(
        f"/api/v1/plans/{world.plan_id}/messages", headers=world.lead.headers,
        json={"member_id": signed_in.member_id, "body": "Yes. I can come on Tuesday at 10."})
    assert answer.status_code == 201, answer.text
    page = (await signed_in.plan_page()).text
    assert "Sam Lead, your social worker, replied" in page
    assert "(Social worker)" not in page
