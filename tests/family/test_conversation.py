"""The family's words: who among the professionals reads them, replies, widening, shared notes,
and help that reaches the professional supporting the step."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.support.factories import POLICY, SYSTEM, WINDOWS, World, make_user
from tracker.audit import Actor, AuditEvent
from tracker.errors import FieldErrors, Forbidden
from tracker.family.conversation import add_staff_reply, widen_message
from tracker.notify.tables import Outbox
from tracker.plans import service
from tracker.plans.schemas import ActionIn
from tracker.plans.tables import PlanMessage, ProgressUpdate
from tracker.plans.visibility import CORE_GROUP, EVERYONE, LEAD, can_read


def test_the_one_rule_for_a_row():
    lead_only = {"visibility": LEAD, "lead_id": 7, "author_user": None}
    assert can_read(7, lead_only)
    assert not can_read(8, lead_only)
    assert not can_read(EVERYONE, lead_only)  # the printed summary
    assert can_read(9, {"visibility": LEAD, "lead_id": 7, "author_user": 9})  # their own reply
    assert can_read(8, {"visibility": CORE_GROUP, "lead_id": 7, "author_user": None})
    assert can_read(EVERYONE, {"visibility": CORE_GROUP, "lead_id": 7})
    assert not can_read(8, {"visibility": "anything else", "lead_id": 7})


async def supported_step(world: World, clock, supporter_id: int) -> int:  # type: ignore[no-untyped-def]
    """A step of Jess's where a professional offered support."""
    return await service.add_action(
        policy=POLICY, plan_id=world.plan_id, actor=SYSTEM, now=clock.now(),
        data=ActionIn(outcome_id=world.outcome_id, owner_member_id=world.family["members"][0]["id"],
                      description="Take Rosie to the school nurse drop-in on Friday morning.",
                      due_on=clock.now().date() + timedelta(days=9),
                      success_measure="Rosie has seen the school nurse.",
                      support_offered="Helen can come along.", support_by_user_id=supporter_id))


async def write(signed_in, body: str, visibility: str | None = None):  # type: ignore[no-untyped-def]
    fields = {"message": body}
    if visibility is not None:
        fields["visibility"] = visibility
    return await signed_in.post_form("/family/messages", fields)


async def messages_for(client, world: World, user) -> list[dict]:  # type: ignore[no-untyped-def]
    answer = await client.get(f"/api/v1/plans/{world.plan_id}/messages", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_family_form_offers_the_lead_by_name_and_keeps_words_to_the_lead_by_default(signed_in):
    page = await signed_in.plan_page()
    assert "Only Sam, who leads your plan" in page.text  # the factory's lead has no role title
    assert "Everyone working with your family" in page.text
    assert (await write(signed_in, "I am scared of Tom when he drinks.")).status_code == 303
    assert (await write(signed_in, "Rosie liked breakfast club.", "core_group")).status_code == 303
    rows = await PlanMessage.select(PlanMessage.body, PlanMessage.visibility).where(
        PlanMessage.member == signed_in.member_id).order_by(PlanMessage.id)
    assert [r["visibility"] for r in rows] == [LEAD, CORE_GROUP]
    bad = await write(signed_in, "Hello", "everyone-and-the-press")
    assert bad.status_code == 400 and "Choose who can read your words." in bad.text


async def test_each_caller_reads_only_what_the_one_rule_lets_them(signed_in, clock):
    world = signed_in.world
    await write(signed_in, "Please do not tell him I said this.")
    await write(signed_in, "Rosie liked breakfast club.", "core_group")
    await signed_in.post_form(f"/family/actions/{world.member_action_id}",
                              {"choice": "help", "note": "Mornings are hard this week."})
    admin = await make_user(clock.now(), "admin")
    lead = await messages_for(signed_in.client, world, world.lead)
    assert [m["body"] for m in lead] == ["Please do not tell him I said this.", "Rosie liked breakfast club."]
    assert lead[0]["visibility"] == "lead" and lead[0]["author"]["kind"] == "member"
    assert set(lead[0]) == {"id", "member_id", "author", "body", "visibility",
                            "channel", "created_at"}
    for other in (world.invitee, world.chair, admin):
        seen = await messages_for(signed_in.client, world, other)
        assert [m["body"] for m in seen] == ["Rosie liked breakfast club."], other.name
    outsider = await signed_in.client.get(f"/api/v1/plans/{world.plan_id}/messages",
                                          headers=world.outsider.headers)
    assert outsider.status_code == 404
    # The family's note on a step is lead-only too, in the updates list.
    for user, expected in ((world.lead, 1), (world.invitee, 0)):
        updates = await signed_in.client.get(f"/api/v1/actions/{world.member_action_id}/updates",
                                             headers=user.headers)
        assert len([u for u in updates.json() if u["author"]["kind"] == "member"]) == expected


async def test_the_lead_replies_the_member_sees_it_and_is_told_with_only_the_link(signed_in):
    world = signed_in.world
    await write(signed_in, "Can we talk about mornings?")
    answer = await signed_in.client.post(
        f"/api/v1/plans/{world.plan_id}/messages", headers=world.lead.headers,
        json={"member_id": signed_in.member_id, "body": "Yes. I can come on Tuesday at 10."})
    assert answer.status_code == 201, answer.text
    reply = answer.json()
    assert reply["author"] == {"kind": "user", "user_id": world.lead.id, "member_id": None,
                               "name": "Sam Lead"}
    assert reply["member_id"] == signed_in.member_id and reply["visibility"] == "lead"
    page = await signed_in.plan_page()
    assert "Yes. I can come on Tuesday at 10." in page.text and "Sam Lead replied" in page.text
    [told] = await Outbox.select().where((Outbox.template == "staff_reply")
                                         & (Outbox.recipient_member == signed_in.member_id))
    assert told["recipient_member"] == signed_in.member_id and told["channel"] == "sms"
    assert "Tuesday" not in told["context"]
    # Helen (invited, not supporting Jess's steps) may not reply, and does not read Sam's reply.
    refused = await signed_in.client.post(
        f"/api/v1/plans/{world.plan_id}/messages", headers=world.invitee.headers,
        json={"member_id": signed_in.member_id, "body": "Hello"})
    assert refused.status_code == 403
    assert "Tuesday" not in json.dumps(await messages_for(signed_in.client, world, world.invitee))
    events = await AuditEvent.select().where(
        (AuditEvent.record_type == "plan_message") & (AuditEvent.record_id == reply["id"]))
    assert events and events[0]["actor_user_id"] == world.lead.id


async def test_a_professional_supporting_the_members_step_may_reply(world, client, clock):
    await supported_step(world, clock, world.invitee.id)
    jess = world.family["members"][0]["id"]
    answer = await client.post(f"/api/v1/plans/{world.plan_id}/messages",
                               headers=world.invitee.headers,
                               json={"member_id": jess, "body": "I will meet you at the gate."})
    assert answer.status_code == 201
    mine = await messages_for(client, world, world.invitee)
    assert [m["body"] for m in mine] == ["I will meet you at the gate."]
    assert [m["body"] for m in await messages_for(client, world, world.lead)] == [
        "I will meet you at the gate."]


@pytest.mark.parametrize(("body", "field"), [
    ({"member_id": 0, "body": "Hi"}, "member_id"),
    ({"member_id": "1", "body": "Hi"}, "member_id"),
    ({"member_id": 2**40, "body": "Hi"}, "member_id"),
    ({"body": "Hi"}, "member_id"),
    ({"member_id": 1, "body": ""}, "body"),
    ({"member_id": 1, "body": "   "}, "body"),
    ({"member_id": 1, "body": "x" * 1001}, "body"),
    ({"member_id": 1, "body": "x" * 20001}, "body"),
    ({"member_id": 1, "body": "a\x00b"}, "body"),
    ({"member_id": 1, "body": 5}, "body"),
    ({"member_id": 1, "body": "Hi", "visibility": "core_group"}, "visibility"),
])
async def test_bad_replies_get_a_message_for_the_field_and_write_nothing(world, client, body, field):
    jess = world.family["members"][0]["id"]
    if body.get("member_id") == 1:
        body = {**body, "member_id": jess}
    before = await PlanMessage.count()
    answer = await client.post(f"/api/v1/plans/{world.plan_id}/messages",
                               headers=world.lead.headers, json=body)
    assert answer.status_code == 400, answer.text
    assert field in json.dumps(answer.json())
    assert await PlanMessage.count() == before
    assert await Outbox.count().where(Outbox.recipient_member == jess) == 0


async def test_a_member_of_another_family_or_not_safe_to_contact_cannot_be_replied_to(world, client, clock):
    from tests.support.factories import make_world

    other = await make_world(clock.now())
    ryan = world.family["members"][1]["id"]  # recorded as not safe to contact
    for member_id, words in ((other.family["members"][0]["id"], "Choose an adult in this family."),
                             (ryan, "not safe to contact")):
        answer = await client.post(f"/api/v1/plans/{world.plan_id}/messages",
                                   headers=world.lead.headers,
                                   json={"member_id": member_id, "body": "Hello"})
        assert answer.status_code == 400 and words in answer.text
    assert await PlanMessage.count().where(PlanMessage.family == world.family["id"]) == 0


async def test_only_the_lead_widens_with_a_reason_and_it_is_audited(signed_in, clock):
    world = signed_in.world
    await write(signed_in, "Ryan has moved out.")
    [message] = await PlanMessage.select(PlanMessage.id).where(PlanMessage.member == signed_in.member_id)
    mid = message["id"]
    with pytest.raises(Forbidden):
        await widen_message(plan_id=world.plan_id, message_id=mid, reason="Helps the school plan",
                            caller=world.invitee.caller, actor=SYSTEM, now=clock.now())
    with pytest.raises(FieldErrors) as empty:
        await widen_message(plan_id=world.plan_id, message_id=mid, reason="  ",
                            caller=world.lead.caller, actor=SYSTEM, now=clock.now())
    assert "reason" in empty.value.errors
    assert [m["body"] for m in await messages_for(signed_in.client, world, world.invitee)] == []
    await widen_message(plan_id=world.plan_id, message_id=mid, caller=world.lead.caller,
                        reason="Jess agreed on the phone that the school should know.",
                        actor=SYSTEM, now=clock.now())
    assert [m["body"] for m in await messages_for(signed_in.client, world, world.invitee)] == [
        "Ryan has moved out."]
    [event] = await AuditEvent.select().where(
        (AuditEvent.record_type == "plan_message") & (AuditEvent.record_id == mid)
        & (AuditEvent.action == "update"))
    changes = event["changes"] if isinstance(event["changes"], dict) else json.loads(event["changes"])
    assert changes["visibility"] == ["lead", "core_group"]
    assert changes["reason"][1] == "Jess agreed on the phone that the school should know."


async def test_shared_notes_are_off_by_default_and_only_shared_ones_reach_the_family(signed_in, clock):
    world = signed_in.world
    step = await supported_step(world, clock, world.invitee.id)
    await service.record_progress(action_id=step, status=None, note="Internal: check the register.",
                                  actor=Actor.user(world.lead.id, world.lead.name, channel="api"),
                                  now=clock.now())
    answer = await signed_in.client.post(
        f"/api/v1/actions/{step}/updates", headers=world.lead.headers,
        json={"note": "Rosie was in class on time all week. Well done.", "share_with_family": True})
    assert answer.status_code == 201 and answer.json()["shared_with_family"] is True
    rows = await ProgressUpdate.select(ProgressUpdate.note, ProgressUpdate.shared_with_family).where(
        ProgressUpdate.action == step).order_by(ProgressUpdate.id)
    assert [r["shared_with_family"] for r in rows] == [False, True]
    page = (await signed_in.plan_page()).text
    assert "Rosie was in class on time all week. Well done." in page
    assert "What the professionals have said" in page
    assert "Internal: check the register." not in page


async def test_help_with_a_step_tells_the_lead_and_the_professional_supporting_it(signed_in, clock):
    world = signed_in.world
    step = await supported_step(world, clock, world.invitee.id)
    answer = await signed_in.post_form(f"/family/actions/{step}", {"choice": "help", "note": ""})
    assert answer.status_code == 303
    lead = await Outbox.select().where((Outbox.recipient_user == world.lead.id)
                                       & (Outbox.template == "family_update_to_lead"))
    helper = await Outbox.select().where((Outbox.recipient_user == world.invitee.id)
                                         & (Outbox.template == "family_help_to_supporter"))
    assert len(lead) == 1 and len(helper) == 1 and helper[0]["channel"] == "email"
    # Asking about a step nobody supports tells the lead only.
    await signed_in.post_form(f"/family/actions/{world.member_action_id}", {"choice": "help"})
    assert await Outbox.count().where((Outbox.template == "family_help_to_supporter")
                                      & (Outbox.recipient_user == world.invitee.id)) == 1


def test_the_supporters_email_names_no_family_in_its_subject():
    from tracker.notify.templates import Letterhead, render

    mail = render("email", "family_help_to_supporter", {"plan_id": 12},
                  letterhead=Letterhead(authority_name="Testshire", base_url="https://t.example"))
    assert mail.subject == "A family has asked for help with a step you support (plan 12)"
    assert "https://t.example/plans/12" in mail.text


def test_the_reply_text_carries_only_the_link():
    from tracker.notify.templates import Letterhead, render

    text = render("sms", "staff_reply", {"name": "Jess Taylor", "link": "https://t.example/f/abc"},
                  letterhead=Letterhead(authority_name="Testshire", base_url="https://t.example")).text
    assert text == "There is a reply to your message on your plan. You can read it here: https://t.example/f/abc"


async def test_replies_through_the_service_refuse_an_ended_plan(world, clock):
    await service.end_plan(plan_id=world.plan_id, actor=SYSTEM, now=clock.now())
    with pytest.raises(FieldErrors) as refused:
        await add_staff_reply(plan_id=world.plan_id, member_id=world.family["members"][0]["id"],
                              body="Hello", caller=world.lead.caller, actor=SYSTEM,
                              now=clock.now(), windows=WINDOWS)
    assert "plan" in refused.value.errors


async def test_a_text_reply_is_for_the_lead_only(world, client, clock):
    from tracker.notify.inbound import handle_inbound

    jess = world.family["members"][0]["id"]
    await handle_inbound(message_sid=f"SMvoice{world.plan_id:08d}", from_number="+447700900123",
                         body="Tom is back. Please keep this between us.", now=clock.now(),
                         authority_name="Testshire", windows=WINDOWS)
    [row] = await PlanMessage.select(PlanMessage.visibility, PlanMessage.channel).where(
        PlanMessage.member == jess)
    assert (row["channel"], row["visibility"]) == ("sms", LEAD)
    assert "Tom is back" in json.dumps(await messages_for(client, world, world.lead))
    assert "Tom is back" not in json.dumps(await messages_for(client, world, world.invitee))


@pytest.mark.parametrize(("body", "field"), [
    ({}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": "a\x00b"}, "reason"),
    ({"reason": "x" * 501}, "reason"),
    ({"reason": "x" * 20001}, "reason"),
    ({"reason": 5}, "reason"),
    ({"reason": "Jess agreed.", "visibility": "core_group"}, "visibility"),
])
async def test_widening_through_the_api_refuses_bad_reasons_and_changes_nothing(
        signed_in, body, field):
    world = signed_in.world
    await write(signed_in, "Between us for now.")
    [m] = await PlanMessage.select(PlanMessage.id).where(PlanMessage.member == signed_in.member_id)
    before = await AuditEvent.count()
    answer = await signed_in.client.post(
        f"/api/v1/plans/{world.plan_id}/messages/{m['id']}/widen", headers=world.lead.headers,
        json=body)
    assert answer.status_code == 400 and field in json.dumps(answer.json())
    assert await AuditEvent.count() == before
    row = await PlanMessage.select(PlanMessage.visibility).where(PlanMessage.id == m["id"]).first()
    assert row["visibility"] == LEAD


async def test_widening_through_the_api_is_for_the_lead_and_the_familys_own_lead_only_words(
        signed_in, clock):
    from tests.support.factories import make_world

    world = signed_in.world
    await write(signed_in, "Between us for now.")
    [m] = await PlanMessage.select(PlanMessage.id).where(PlanMessage.member == signed_in.member_id)
    path = f"/api/v1/plans/{world.plan_id}/messages/{m['id']}/widen"
    reason = {"reason": "Jess asked me to share it with the school."}
    assert (await signed_in.client.post(path, headers=world.invitee.headers, json=reason)).status_code == 403
    assert (await signed_in.client.post(path, headers=world.outsider.headers, json=reason)).status_code == 404
    other = await make_world(clock.now())
    elsewhere = f"/api/v1/plans/{other.plan_id}/messages/{m['id']}/widen"
    assert (await signed_in.client.post(elsewhere, headers=other.lead.headers, json=reason)).status_code == 404
    beyond = f"/api/v1/plans/{world.plan_id}/messages/{2**31}/widen"
    assert (await signed_in.client.post(beyond, headers=world.lead.headers, json=reason)).status_code == 404
    done = await signed_in.client.post(path, headers=world.lead.headers, json=reason)
    assert done.status_code == 200 and done.json()["visibility"] == "core_group"
    again = await signed_in.client.post(path, headers=world.lead.headers, json=reason)
    assert again.status_code == 400 and "can already read this" in again.text
    reply = await signed_in.client.post(
        f"/api/v1/plans/{world.plan_id}/messages", headers=world.lead.headers,
        json={"member_id": signed_in.member_id, "body": "Thank you."})
    widen_reply = await signed_in.client.post(
        f"/api/v1/plans/{world.plan_id}/messages/{reply.json()['id']}/widen",
        headers=world.lead.headers, json=reason)
    assert widen_reply.status_code == 400 and "family's own words" in widen_reply.text
    assert "Between us for now." in json.dumps(await messages_for(signed_in.client, world, world.invitee))
