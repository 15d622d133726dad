"""A family member says how their steps are going and writes on the plan; the lead is told."""

from __future__ import annotations

import json

from tests.family.conftest import continue_from, texted_link
from tests.support.factories import make_world
from tracker.audit import AuditEvent
from tracker.notify.tables import Outbox
from tracker.plans.tables import Action, PlanMessage, ProgressUpdate


async def status_of(action_id: int) -> str:
    return (await Action.select(Action.status).where(Action.id == action_id).first())["status"]


async def outbox_for(user_id: int, template: str) -> list[dict]:
    return await Outbox.select().where(
        (Outbox.recipient_user == user_id) & (Outbox.template == template))


async def test_done_marks_the_step_done_as_the_member_and_tells_the_lead(signed_in):
    world = signed_in.world
    answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "done", "note": ""})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/family?saved=done"
    page = await signed_in.client.get(answer.headers["location"])
    assert "You said your step is done. We have let Sam Lead know." in page.text
    assert (await Action.select(Action.status).where(Action.id == world.member_action_id).first())["status"] == "done"
    update = await ProgressUpdate.select().where(ProgressUpdate.action == world.member_action_id).first()
    assert update["author_member"] == signed_in.member_id and update["channel"] == "family_link"
    assert (update["from_status"], update["to_status"]) == ("not_started", "done")
    events = await AuditEvent.select().where(
        (AuditEvent.record_type == "progress_update") & (AuditEvent.actor_member_id == signed_in.member_id))
    assert events and events[0]["channel"] == "family_link"
    told = await outbox_for(world.lead.id, "family_update_to_lead")
    assert len(told) == 1 and told[0]["channel"] == "email" and told[0]["status"] == "pending"
    context = json.loads(told[0]["context"])
    assert context["member_name"] == "Jess" and context["asked_for_help"] is False
    assert "note" not in context  # the words stay in the tracker
    # Once done, the buttons go: the page thanks them instead.
    assert f'action="/family/actions/{world.member_action_id}"' not in page.text


async def test_started_moves_the_step_in_progress(signed_in):
    world = signed_in.world
    answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}",
                                       {"choice": "started", "note": "Walked her in on Monday."})
    assert answer.status_code == 303
    row = await Action.select(Action.status).where(Action.id == world.member_action_id).first()
    assert row["status"] == "in_progress"
    # Saying "started" again with nothing new is gently refused, not a second update.
    again = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "started"})
    assert again.status_code == 400
    assert "You have already said you have started this." in again.text


async def test_asking_for_help_is_plain_to_the_professionals_in_the_updates_list(signed_in):
    world = signed_in.world
    answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}",
                                       {"choice": "help", "note": "The bus times changed."})
    assert answer.status_code == 303
    updates = await signed_in.client.get(f"/api/v1/actions/{world.member_action_id}/updates",
                                         headers=world.lead.headers)
    latest = updates.json()[-1]
    assert latest["note"] == "I need help with this: The bus times changed."
    assert latest["author"] == {"kind": "member", "user_id": None, "member_id": signed_in.member_id, "name": "Jess"}
    assert latest["channel"] == "family_link" and latest["to_status"] is None
    told = await outbox_for(world.lead.id, "family_update_to_lead")
    assert json.loads(told[-1]["context"])["asked_for_help"] is True
    page = await signed_in.client.get(answer.headers["location"])
    assert "We have let Sam Lead know you would like help with your step." in page.text


async def test_help_needs_no_words(signed_in):
    world = signed_in.world
    answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "help", "note": "  "})
    assert answer.status_code == 303
    update = await ProgressUpdate.select().where(ProgressUpdate.action == world.member_action_id).first()
    assert update["note"] == "I need help with this."


async def test_a_message_on_the_plan_is_kept_shown_back_escaped_and_the_lead_is_told(signed_in):
    world = signed_in.world
    words = "Mornings are calmer.\n<script>alert('x')</script> Rosie & me are OK"
    answer = await signed_in.post_form("/family/messages", {"message": words})
    assert answer.status_code == 303
    saved = await PlanMessage.select().where(PlanMessage.member == signed_in.member_id).first()
    assert saved["body"] == words.strip() and saved["channel"] == "family_link" and saved["plan"] == world.plan_id
    page = await signed_in.client.get(answer.headers["location"])
    assert "We have added your words to the plan and let Sam Lead know." in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Rosie &amp; me are OK" in page.text
    assert "<script>alert" not in page.text
    assert len(await outbox_for(world.lead.id, "family_message_to_lead")) == 1
    events = await AuditEvent.select().where(
        (AuditEvent.record_type == "plan_message") & (AuditEvent.record_id == saved["id"]))
    assert events[0]["actor_member_id"] == signed_in.member_id


# ---------------------------------------------------------------- bad input, every form


async def test_words_that_are_too_long_are_refused_on_the_page_and_nothing_is_lost(signed_in):
    world = signed_in.world
    long_words = "<b>" + "x" * 600
    answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}",
                                       {"choice": "done", "note": long_words})
    assert answer.status_code == 400
    text = answer.text
    assert "There is a problem" in text  # the error summary
    assert f'href="#note-{world.member_action_id}"' in text
    assert f'id="note-{world.member_action_id}-error"' in text  # the inline error
    assert "Your words must be 500 characters or fewer." in text
    assert "&lt;b&gt;" + "x" * 600 in text  # what they typed, shown back escaped
    assert "<title>Error: Your family's plan" in text
    assert await status_of(world.member_action_id) == "not_started"
    assert not await outbox_for(world.lead.id, "family_update_to_lead")


async def test_an_unknown_choice_is_refused_on_the_page(signed_in):
    world = signed_in.world
    for choice in ("", "delete", "done' OR 1=1"):
        answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": choice})
        assert answer.status_code == 400
        assert "Choose Done, Started or I need help with this." in answer.text
        assert f'href="#choice-{world.member_action_id}"' in answer.text


async def test_a_closed_step_cannot_be_changed_from_the_page(signed_in):
    world = signed_in.world
    await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "done"})
    again = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "started"})
    assert again.status_code == 400
    assert "This step is closed." in again.text


async def test_an_empty_or_too_long_message_is_refused_and_kept(signed_in):
    empty = await signed_in.post_form("/family/messages", {"message": "   "})
    assert empty.status_code == 400
    assert "Write your message." in empty.text and 'href="#message"' in empty.text
    long_words = "y" * 1001
    long = await signed_in.post_form("/family/messages", {"message": long_words})
    assert long.status_code == 400
    assert "Your message must be 1000 characters or fewer." in long.text
    assert long_words in long.text
    assert await PlanMessage.count().where(PlanMessage.member == signed_in.member_id) == 0


async def test_a_form_field_missing_altogether_is_a_page_error_not_a_crash(signed_in):
    world = signed_in.world
    answer = await signed_in.post_form(f"/family/actions/{world.member_action_id}", {})
    assert answer.status_code == 400 and "There is a problem" in answer.text
    answer = await signed_in.post_form("/family/messages", {})
    assert answer.status_code == 400 and "Write your message." in answer.text


async def test_every_family_form_refuses_a_post_without_its_csrf_token(signed_in, world, clock):
    from tests.family.conftest import token_of

    client = signed_in.client
    forms = [
        (f"/family/actions/{world.member_action_id}", {"choice": "done"}),
        ("/family/messages", {"message": "Hello"}),
        ("/family/leave", {}),
        ("/f/" + token_of(await texted_link(signed_in.member_id, clock.now())), {}),
    ]
    for path, fields in forms:
        answer = await client.post(path, data=fields)
        assert answer.status_code == 403, path
        assert "Please try that again" in answer.text
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
    assert await status_of(world.member_action_id) == "not_started"
    assert (await signed_in.plan_page()).status_code == 200  # still signed in


# ---------------------------------------------------------------- scope


async def test_a_professionals_step_cannot_be_changed_by_the_family(signed_in):
    world = signed_in.world
    answer = await signed_in.post_form(f"/family/actions/{world.action_id}", {"choice": "done"})
    assert answer.status_code == 404
    assert "We cannot find that page" in answer.text
    row = await Action.select(Action.status).where(Action.id == world.action_id).first()
    assert row["status"] == "not_started"


async def test_another_familys_step_looks_like_no_step_at_all(signed_in, clock):
    other = await make_world(clock.now())
    theirs = await signed_in.post_form(f"/family/actions/{other.member_action_id}", {"choice": "done"})
    missing = await signed_in.post_form("/family/actions/987654", {"choice": "done"})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    row = await Action.select(Action.status).where(Action.id == other.member_action_id).first()
    assert row["status"] == "not_started"


async def test_after_revocation_the_family_can_no_longer_act(signed_in, clock):
    from tests.family.conftest import csrf_from

    world = signed_in.world
    token = csrf_from((await signed_in.plan_page()).text)
    await signed_in.client.post(f"/api/v1/members/{signed_in.member_id}/revoke-link", headers=world.lead.headers)
    answer = await signed_in.client.post(f"/family/actions/{world.member_action_id}",
                                         data={"_csrf_token": token, "choice": "done"})
    assert answer.status_code == 401
    assert "Open the link in your text message" in answer.text
    row = await Action.select(Action.status).where(Action.id == world.member_action_id).first()
    assert row["status"] == "not_started"


async def test_marking_a_member_not_safe_to_contact_ends_their_link_and_page(signed_in, clock):
    world = signed_in.world
    url = await texted_link(signed_in.member_id, clock.now())
    answer = await signed_in.client.patch(
        f"/api/v1/families/{world.family['id']}", headers=world.lead.headers,
        json={"members": [{"id": signed_in.member_id, "safe_to_contact": False}]})
    assert answer.status_code == 200, answer.text
    assert (await signed_in.plan_page()).status_code == 401
    from tests.family.conftest import token_of

    assert (await signed_in.client.get("/f/" + token_of(url))).status_code == 404
    revoked = await AuditEvent.select().where(
        (AuditEvent.record_type == "family_link") & (AuditEvent.actor_user_id == world.lead.id))
    assert any("not_safe_to_contact" in e["changes"] for e in revoked)


async def test_ending_the_plan_ends_the_familys_links_and_pages(signed_in, client, clock):
    world = signed_in.world
    url = await texted_link(signed_in.member_id, clock.now())
    answer = await client.post(f"/api/v1/plans/{world.plan_id}/end", headers=world.lead.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ended"
    assert (await signed_in.plan_page()).status_code == 401
    from tests.family.conftest import token_of

    assert (await client.get("/f/" + token_of(url))).status_code == 404
    again = await client.post(f"/api/v1/plans/{world.plan_id}/end", headers=world.lead.headers)
    assert again.status_code == 400


async def test_only_the_lead_chair_or_admin_can_end_a_plan(world, client):
    answer = await client.post(f"/api/v1/plans/{world.plan_id}/end", headers=world.invitee.headers)
    assert answer.status_code == 403


async def test_no_link_is_issued_for_an_adult_who_is_not_safe_to_contact(clock, migrated):
    import pytest

    from tracker.errors import FieldErrors

    world = await make_world(clock.now())
    with pytest.raises(FieldErrors):
        await texted_link(world.family["members"][1]["id"], clock.now())  # Ryan: not safe


async def test_a_second_member_continuing_on_the_same_phone_sees_only_their_own_plan(world, client, clock):
    other = await make_world(clock.now())
    await continue_from(client, await texted_link(world.family["members"][0]["id"], clock.now()))
    await continue_from(client, await texted_link(other.family["members"][0]["id"], clock.now()))
    text = (await client.get("/family")).text
    assert f"/family/actions/{other.member_action_id}" in text
    assert f"/family/actions/{world.member_action_id}" not in text
