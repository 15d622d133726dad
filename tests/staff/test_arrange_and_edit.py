"""Arranging a conference and changing its arrangements from the web; editing an action."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import SYSTEM, at, make_user
from tests.support.staff_pages import as_user, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.clock import LONDON
from tracker.people.tables import StaffUser
from tracker.plans import service
from tracker.plans.dates import report_due_on
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import Action, Conference, ConferenceInvitee


def _when(d, time="10:00"):
    return {"starts-on-day": str(d.day), "starts-on-month": str(d.month),
            "starts-on-year": str(d.year), "starts_time": time}


def _arrange(world, d, **extra):
    data = {"kind": "review_cp", **_when(d), "chair": str(world.chair.id),
            "invitees": [str(world.invitee.id), str(world.lead.id)]}
    data.update(extra)
    return data


def _due(d):
    return {"action-due-day": str(d.day), "action-due-month": str(d.month),
            "action-due-year": str(d.year)}


def _edit(world, d, **extra):
    data = {"description": "Helen phones Jess every Tuesday at 9:15 to plan the school week.",
            "owner": f"user:{world.invitee.id}",
            "success_measure": "Six Tuesday calls logged on the school system.",
            "support_offered": "Helen sends a text reminder the day before.", **_due(d)}
    data.update(extra)
    return data


def _report_due(d):
    return report_due_on(d, service.working_calendar(), service.statutory_rules())


async def _counts():
    return (await Conference.count(), await ConferenceInvitee.count(), await AuditEvent.count())


# ---------------------------------------------------------------- arranging a conference


async def test_lead_arranges_a_review_from_the_family_page_and_reports_fall_due(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    family_page = (await client.get(f"/families/{world.family['id']}")).text
    assert f'href="/families/{world.family["id"]}/conferences/new"' in family_page
    plan_page = (await client.get(f"/plans/{world.plan_id}")).text
    assert "Arrange a conference" in plan_page
    form = await client.get(f"/families/{world.family['id']}/conferences/new")
    assert form.status_code == 200
    html = form.text
    assert "2 working days before" in html and "the latest a review can be held" in html
    assert f'<option value="{world.chair.id}"' in html
    assert f'<option value="{world.lead.id}"' not in html  # only chairs may chair
    assert f'value="{world.invitee.id}"' in html and 'name="invitees"' in html
    day = now.date() + timedelta(days=21)
    response = await post_as_form(client, f"/families/{world.family['id']}/conferences/new",
                                  _arrange(world, day, starts_time="14:30"))
    assert response.status_code == 303, response.text[:800]
    row = await Conference.select().where(Conference.family == world.family["id"]).order_by(
        Conference.id, ascending=False).first()
    assert response.headers["location"] == f"/conferences/{row['id']}"
    assert row["kind"] == "review_cp" and row["chair"] == world.chair.id
    starts = row["starts_at"].astimezone(LONDON)
    assert (starts.date(), starts.hour, starts.minute) == (day, 14, 30)
    invited = await ConferenceInvitee.select().where(ConferenceInvitee.conference == row["id"])
    assert {i["user"] for i in invited} == {world.invitee.id, world.lead.id}
    assert {i["report_due_on"] for i in invited} == {_report_due(day)}
    assert await AuditEvent.exists().where(
        (AuditEvent.record_type == "conference") & (AuditEvent.record_id == row["id"])
        & (AuditEvent.channel == "web") & (AuditEvent.actor_user_id == world.lead.id))
    page = await client.get(f"/conferences/{row['id']}")
    assert "Helen School" in page.text and "Change the date, chair or invitations" in page.text


async def test_a_chair_may_arrange_a_conference_they_will_chair(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.chair)
    form = (await client.get(f"/families/{world.family['id']}/conferences/new")).text
    assert f'<option value="{world.chair.id}" selected>' in form
    response = await post_as_form(client, f"/families/{world.family['id']}/conferences/new",
                                  _arrange(world, now.date() + timedelta(days=7),
                                           kind="cin_review", invitees=[]))
    assert response.status_code == 303


async def test_bad_arrangements_come_back_with_errors_nothing_lost_nothing_written(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    path = f"/families/{world.family['id']}/conferences/new"
    day = now.date() + timedelta(days=21)
    inactive = await make_user(now, name="Gone Away")
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == inactive.id)
    before = await _counts()
    cases = [
        ({"kind": ""}, "kind"),
        ({"kind": "tea_party"}, "kind"),
        ({"starts-on-day": "31", "starts-on-month": "2"}, "starts-on"),
        ({"starts-on-day": "", "starts-on-month": "", "starts-on-year": ""}, "starts-on"),
        (_when(now.date() - timedelta(days=3)), "starts-on"),
        ({"starts_time": "25:00"}, "starts-time"),
        ({"starts_time": ""}, "starts-time"),
        ({"chair": ""}, "chair"),
        ({"chair": str(world.lead.id)}, "chair"),  # not a chair
        ({"invitees": ["x"]}, "invitees"),
        ({"invitees": [str(inactive.id)]}, "invitees"),
    ]
    for change, field in cases:
        response = await post_as_form(client, path, _arrange(world, day, **change))
        assert response.status_code == 400, (change, response.status_code)
        assert "govuk-error-summary" in response.text, change
        assert f'href="#{field}"' in response.text, (change, field)
        assert f'id="{field}-error"' in response.text, (change, field)
    # What was typed comes back.
    response = await post_as_form(client, path, _arrange(world, day, chair=""))
    assert f'value="{day.day}"' in response.text and 'value="10:00"' in response.text
    assert f'value="{world.invitee.id}" checked' in response.text
    assert await _counts() == before


async def test_arranging_needs_manage_rights_and_a_csrf_token(client, clock):
    now = clock.now()
    world = await signable_world(now)
    path = f"/families/{world.family['id']}/conferences/new"
    data = _arrange(world, now.date() + timedelta(days=21))
    before = await _counts()
    await as_user(client, world.invitee)  # can see the family, may not change it
    assert (await client.get(path)).status_code == 403
    assert (await post_as_form(client, path, data)).status_code == 403
    assert "Arrange a conference" not in (await client.get(f"/families/{world.family['id']}")).text
    await as_user(client, world.outsider)
    assert (await client.get(path)).status_code == 404
    assert (await post_as_form(client, path, data)).status_code == 404
    await as_user(client, world.lead)
    await client.get("/actions")
    assert (await client.post(path, data=data)).status_code == 403  # no CSRF token
    assert await _counts() == before


# ---------------------------------------------------------------- changing the arrangements


async def _upcoming(world, now, days=21) -> int:
    return await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=days)),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=now)


async def test_moving_the_conference_recalculates_report_due_dates(client, clock):
    now = clock.now()
    world = await signable_world(now)
    conference_id = await _upcoming(world, now)
    other_chair = await make_user(now, "chair", name="Ade Chair")
    await as_user(client, world.lead)
    page = (await client.get(f"/conferences/{conference_id}")).text
    assert f'action="/conferences/{conference_id}/arrangements"' in page
    moved = now.date() + timedelta(days=35)
    response = await post_as_form(client, f"/conferences/{conference_id}/arrangements", {
        **_when(moved, "9:30"), "chair": str(other_chair.id),
        "invitees": [str(world.invitee.id), str(world.lead.id)]})
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == f"/conferences/{conference_id}"
    row = await Conference.select().where(Conference.id == conference_id).first()
    starts = row["starts_at"].astimezone(LONDON)
    assert (starts.date(), starts.hour, starts.minute) == (moved, 9, 30)
    assert row["chair"] == other_chair.id
    invited = await ConferenceInvitee.select().where(
        ConferenceInvitee.conference == conference_id)
    assert {i["user"] for i in invited} == {world.invitee.id, world.lead.id}
    assert {i["report_due_on"] for i in invited} == {_report_due(moved)}
    assert _report_due(moved) != _report_due(now.date() + timedelta(days=21))


async def test_bad_changes_to_the_arrangements_write_nothing(client, clock):
    now = clock.now()
    world = await signable_world(now)
    conference_id = await _upcoming(world, now)
    await as_user(client, world.lead)
    path = f"/conferences/{conference_id}/arrangements"
    good = {**_when(now.date() + timedelta(days=35)), "chair": str(world.chair.id),
            "invitees": [str(world.invitee.id)]}
    before = await _counts()
    for change, field in (({"starts-on-month": "13"}, "starts-on"), ({"starts_time": "noon"},
                          "starts-time"), ({"chair": "999999"}, "chair"),
                          ({"invitees": ["999999"]}, "invitees")):
        response = await post_as_form(client, path, {**good, **change})
        assert response.status_code == 400, change
        assert f'href="#{field}"' in response.text and "govuk-error-summary" in response.text
    assert await _counts() == before
    row = await Conference.select().where(Conference.id == conference_id).first()
    assert row["starts_at"].astimezone(LONDON).date() == now.date() + timedelta(days=21)


async def test_changing_arrangements_needs_manage_rights_and_a_csrf_token(client, clock):
    now = clock.now()
    world = await signable_world(now)
    conference_id = await _upcoming(world, now)
    path = f"/conferences/{conference_id}/arrangements"
    data = {**_when(now.date() + timedelta(days=35)), "chair": str(world.chair.id)}
    await as_user(client, world.invitee)
    assert "Change the date" not in (await client.get(f"/conferences/{conference_id}")).text
    assert (await post_as_form(client, path, data)).status_code == 403
    await as_user(client, world.outsider)
    assert (await post_as_form(client, path, data)).status_code == 404
    await as_user(client, world.chair)
    await client.get("/actions")
    assert (await client.post(path, data=data)).status_code == 403
    row = await Conference.select().where(Conference.id == conference_id).first()
    assert row["starts_at"].astimezone(LONDON).date() == now.date() + timedelta(days=21)


# ---------------------------------------------------------------- editing an action


async def test_lead_edits_an_action_with_smart_and_language_hints(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    plan_page = (await client.get(f"/plans/{world.plan_id}")).text
    assert f'href="/actions/{world.action_id}/edit"' in plan_page
    form = await client.get(f"/actions/{world.action_id}/edit")
    assert form.status_code == 200
    html = form.text
    assert "Phone Jess every Monday at 9:15" in html
    assert f'<option value="user:{world.invitee.id}" selected>' in html
    ryan = world.family["members"][1]
    assert f'value="member:{ryan["id"]}"' not in html  # not safe to contact
    assert f'hx-post="/hints/action?plan_id={world.plan_id}"' in html
    assert 'id="action-coach"' in html
    due = now.date() + timedelta(days=20)
    jess = world.family["members"][0]
    response = await post_as_form(client, f"/actions/{world.action_id}/edit",
                                  _edit(world, due, owner=f"member:{jess['id']}"))
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == (
        f"/plans/{world.plan_id}?saved=action-{world.action_id}#action-{world.action_id}")
    row = await Action.select().where(Action.id == world.action_id).first()
    assert row["description"].startswith("Helen phones Jess every Tuesday")
    assert row["owner_member"] == jess["id"] and row["owner_user"] is None
    assert row["due_on"] == due and row["support_offered"].startswith("Helen sends")
    assert await AuditEvent.exists().where(
        (AuditEvent.record_type == "action") & (AuditEvent.record_id == world.action_id)
        & (AuditEvent.action == "update") & (AuditEvent.channel == "web")
        & (AuditEvent.actor_user_id == world.lead.id))


async def test_blaming_wording_on_a_failed_edit_shows_the_hint_beside_the_field(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.chair)
    blaming = "Jess must stop her lack of engagement with school"
    response = await post_as_form(client, f"/actions/{world.action_id}/edit",
                                  _edit(world, now.date(), description=blaming, owner=""))
    assert response.status_code == 400
    assert "A thought on wording" in response.text and "Consider:" in response.text


async def test_bad_action_edits_come_back_with_errors_and_nothing_written(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await as_user(client, world.lead)
    path = f"/actions/{world.action_id}/edit"
    due = now.date() + timedelta(days=20)
    ryan = world.family["members"][1]
    before = (await Action.select().where(Action.id == world.action_id).first(),
              await AuditEvent.count())
    cases = [
        ({"description": "   "}, "action-description"),
        ({"owner": ""}, "action-owner"),
        ({"owner": "user:999999"}, "action-owner"),
        ({"owner": f"member:{ryan['id']}"}, "action-owner"),  # not safe to contact
        ({"action-due-day": "31", "action-due-month": "2"}, "action-due"),
        ({"action-due-day": "", "action-due-month": "", "action-due-year": ""}, "action-due"),
        ({"success_measure": "x" * 1001}, "action-success-measure"),
        ({"support_offered": "x" * 1001}, "action-support-offered"),
    ]
    for change, field in cases:
        response = await post_as_form(client, path, _edit(world, due, **change))
        assert response.status_code == 400, (change, response.status_code)
        assert f'href="#{field}"' in response.text, (change, field)
        assert f'id="{field}-error"' in response.text, (change, field)
    response = await post_as_form(client, path, _edit(world, due, owner=""))
    assert "Helen phones Jess every Tuesday" in response.text  # nothing lost
    assert "Helen sends a text reminder" in response.text
    assert (await Action.select().where(Action.id == world.action_id).first(),
            await AuditEvent.count()) == before


async def test_owners_who_do_not_manage_keep_only_their_status_form(client, clock):
    now = clock.now()
    world = await signable_world(now)
    path = f"/actions/{world.action_id}/edit"
    data = _edit(world, now.date() + timedelta(days=20))
    await as_user(client, world.invitee)  # owns the action, is not lead or chair
    assert (await client.get(path)).status_code == 403
    assert (await post_as_form(client, path, data)).status_code == 403
    assert f'href="{path}"' not in (await client.get(f"/plans/{world.plan_id}")).text
    await as_user(client, world.outsider)
    assert (await client.get(path)).status_code == 404
    assert (await post_as_form(client, path, data)).status_code == 404
    assert (await client.get("/actions/999999/edit")).status_code == 404
    await as_user(client, world.lead)
    await client.get("/actions")
    assert (await client.post(path, data=data)).status_code == 403  # no CSRF token
    row = await Action.select().where(Action.id == world.action_id).first()
    assert row["description"].startswith("Phone Jess every Monday")
