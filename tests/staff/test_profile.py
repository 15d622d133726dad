"""/profile: a professional's work mobile and how they are nudged (email, text or both), audited."""

from __future__ import annotations

import pytest

from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.people.tables import StaffUser


async def _user(user_id: int) -> dict:
    return await StaffUser.select().where(StaffUser.id == user_id).first()


async def test_every_professional_reaches_their_profile_from_every_page(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    actions = await client.get("/actions")
    assert 'href="/profile"' in actions.text
    page = await client.get("/profile")
    assert page.status_code == 200 and world.invitee.email in page.text
    assert 'value="email" checked' in page.text  # everyone starts with email


async def test_choosing_texts_saves_the_number_as_e164_and_is_audited(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    mine = (AuditEvent.record_type == "staff_user") & (AuditEvent.record_id == world.invitee.id)
    before = await AuditEvent.count().where(mine)
    answer = await post_as_form(client, "/profile", {"mobile": "07700 900456", "nudge_by": "both"})
    assert answer.status_code == 303 and answer.headers["location"] == "/profile?saved=1"
    user = await _user(world.invitee.id)
    assert (user["mobile"], user["nudge_by"]) == ("+447700900456", "both")
    event = await AuditEvent.select().where(mine).order_by(AuditEvent.id, ascending=False).first()
    assert event["actor_user_id"] == world.invitee.id and event["channel"] == "web"
    assert await AuditEvent.count().where(mine) == before + 1
    assert "by email and text" in (await client.get("/profile?saved=1")).text
    # Saving it again unchanged records nothing new.
    await post_as_form(client, "/profile", {"mobile": "+447700900456", "nudge_by": "both"})
    assert await AuditEvent.count().where(mine) == before + 1


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"mobile": "0161 496 0000", "nudge_by": "sms"}, "mobile", "landline"),
    ({"mobile": "12345", "nudge_by": "sms"}, "mobile", "Enter a mobile number"),
    ({"mobile": "not a number", "nudge_by": "both"}, "mobile", "Enter a mobile number"),
    ({"mobile": "0" * 500, "nudge_by": "sms"}, "mobile", "Enter a mobile number"),
    ({"mobile": "", "nudge_by": "sms"}, "mobile", "Enter your work mobile number"),
    ({"mobile": "07700 900123", "nudge_by": "pigeon"}, "nudge_by", "Choose how"),
    ({"mobile": "07700 900123"}, "nudge_by", "Choose how"),
])
async def test_bad_input_gets_a_message_by_the_field_and_changes_nothing(fields, field, message, client,
                                                                        clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    answer = await post_as_form(client, "/profile", fields)
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.text and message in answer.text
    assert f'href="#{field}"' in answer.text  # the error summary links to the field
    user = await _user(world.invitee.id)
    assert (user["mobile"], user["nudge_by"]) == (None, "email")


async def test_control_characters_are_refused_before_anything_is_saved(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    answer = await post_as_form(client, "/profile", {"mobile": "07700 900123\x00", "nudge_by": "sms"})
    assert answer.status_code == 400 and "Nothing was saved" in answer.text
    assert (await _user(world.invitee.id))["nudge_by"] == "email"


async def test_someone_signed_out_is_sent_to_sign_in(client, migrated):
    answer = await client.get("/profile")
    assert answer.status_code in (302, 303) and "/signin" in answer.headers["location"]
