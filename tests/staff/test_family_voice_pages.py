"""The family's words on the staff pages: lead-only words stay with the lead on every page; the
lead replies and widens from the plan page; a note is shared with the family only when ticked."""

from __future__ import annotations

from tests.support.factories import WINDOWS
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.family.service import add_family_message
from tracker.family.sessions import FamilyAccess
from tracker.plans.tables import PlanMessage, ProgressUpdate

PRIVATE = "I am scared of Tom when he drinks. Please do not tell him I said this."
SHARED = "Rosie enjoyed breakfast club this week."


async def jess_writes(world, clock) -> None:  # type: ignore[no-untyped-def]
    jess = world.family["members"][0]
    access = FamilyAccess(session_id=0, member_id=jess["id"], member_name=jess["name"],
                          language="en", family_id=world.family["id"], plan_id=world.plan_id)
    await add_family_message(access=access, body=PRIVATE, now=clock.now(), windows=WINDOWS)
    await add_family_message(access=access, body=SHARED, now=clock.now(), windows=WINDOWS,
                             visibility="core_group")


async def test_lead_only_words_appear_for_the_lead_and_on_no_other_professionals_page(client, clock):
    world = await signable_world(clock.now())
    await jess_writes(world, clock)
    await as_user(client, world.lead)
    for path in ("/actions", f"/plans/{world.plan_id}"):
        html = (await client.get(path)).text
        assert "I am scared of Tom" in html and SHARED in html, path
    # The printed summary carries core-group words only, whoever prints it.
    summary = (await client.get(f"/plans/{world.plan_id}/review-summary")).text
    assert SHARED in summary and "I am scared of Tom" not in summary
    for user in (world.invitee, world.chair):
        await as_user(client, user)
        for path in ("/actions", f"/plans/{world.plan_id}", f"/plans/{world.plan_id}/review-summary",
                     "/chair"):
            answer = await client.get(path)
            if answer.status_code == 403:
                continue  # /chair for a professional
            assert "I am scared of Tom" not in answer.text, (user.name, path)
        assert SHARED in (await client.get(f"/plans/{world.plan_id}")).text


async def test_the_lead_replies_from_the_plan_page_and_a_reply_is_checked_on_save(client, clock):
    world = await signable_world(clock.now())
    await jess_writes(world, clock)
    jess = world.family["members"][0]["id"]
    await as_user(client, world.lead)
    page = (await client.get(f"/plans/{world.plan_id}")).text
    assert "Reply to a family member" in page
    assert f'<option value="{jess}"' in page
    assert f'<option value="{world.family["members"][1]["id"]}"' not in page  # not safe to contact
    empty = await post_as_form(client, f"/plans/{world.plan_id}/messages",
                               {"member_id": str(jess), "body": ""})
    assert empty.status_code == 400 and "Enter your reply." in empty.text
    answer = await post_as_form(client, f"/plans/{world.plan_id}/messages",
                                {"member_id": str(jess),
                                 "body": "Thank you for telling me. You failed to attend, so we must escalate."})
    # Post/redirect/get: the result is a GET address, so refreshing it sends nothing again.
    assert answer.status_code == 303, answer.text[:600]
    location = answer.headers["location"]
    assert location.startswith(f"/plans/{world.plan_id}?saved=reply-")
    for _ in range(2):  # the page, then a refresh of it
        shown = (await client.get(location)).text
        assert "Your reply is sent" in shown  # the flash
        assert "a second look at the wording" in shown  # saved, with a second look at the wording
    assert await PlanMessage.count().where((PlanMessage.member == jess)
                                           & PlanMessage.author_user.is_not_null()) == 1
    # The checks are the author's: another manager opening the same address sees none.
    await as_user(client, world.chair)
    assert "a second look at the wording" not in (await client.get(location)).text
    await as_user(client, world.lead)
    plain = await post_as_form(client, f"/plans/{world.plan_id}/messages",
                               {"member_id": str(jess), "body": "Thank you, see you on Monday."})
    assert plain.status_code == 303 and "?saved=reply-" in plain.headers["location"]
    # Helen, invited but supporting none of Jess's steps, has no reply form and is refused.
    await as_user(client, world.invitee)
    assert "Reply to a family member" not in (await client.get(f"/plans/{world.plan_id}")).text
    refused = await post_as_form(client, f"/plans/{world.plan_id}/messages",
                                 {"member_id": str(jess), "body": "Hello"})
    assert refused.status_code == 403


async def test_the_lead_widens_a_message_with_a_reason_from_the_plan_page(client, clock):
    world = await signable_world(clock.now())
    await jess_writes(world, clock)
    [private] = await PlanMessage.select(PlanMessage.id).where(
        (PlanMessage.family == world.family["id"]) & (PlanMessage.visibility == "lead"))
    path = f"/plans/{world.plan_id}/messages/{private['id']}/widen"
    await as_user(client, world.invitee)
    assert (await post_as_form(client, path, {"reason": "I would like to know"})).status_code == 403
    await as_user(client, world.lead)
    assert "Let everyone working with the family read this" in (
        await client.get(f"/plans/{world.plan_id}")).text
    no_reason = await post_as_form(client, path, {"reason": ""})
    assert no_reason.status_code == 400
    assert "Enter why everyone working with the family should read it." in no_reason.text
    done = await post_as_form(client, path, {"reason": "Jess asked me to share it."})
    assert done.status_code == 303
    assert "who can read these words has changed" in (await client.get(done.headers["location"])).text
    assert await AuditEvent.count().where((AuditEvent.record_type == "plan_message")
                                          & (AuditEvent.record_id == private["id"])
                                          & (AuditEvent.action == "update")) == 1
    await as_user(client, world.invitee)
    assert "I am scared of Tom" in (await client.get(f"/plans/{world.plan_id}")).text


async def test_my_actions_says_truthfully_what_the_family_sees_and_shares_only_when_ticked(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    page = (await client.get("/actions")).text
    assert "Each update you add is shown to the family" not in page
    assert "The family sees a note" in page and "Share with the family" in page
    for note, share in (("Called the office about the register.", {}),
                        ("Rosie was on time every day this week.", {"share_with_family": "yes"})):
        answer = await post_as_form(client, f"/actions/{world.action_id}/update",
                                    {"note": note, **share})
        assert answer.status_code in (200, 303), answer.text
    rows = await ProgressUpdate.select(ProgressUpdate.note, ProgressUpdate.shared_with_family).where(
        ProgressUpdate.action == world.action_id).order_by(ProgressUpdate.id)
    assert [(r["note"], r["shared_with_family"]) for r in rows][-2:] == [
        ("Called the office about the register.", False),
        ("Rosie was on time every day this week.", True)]
