"""My actions: the list, updating with a note (htmx and plain form), family news, ownership."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import POLICY, SYSTEM, make_user
from tests.support.staff_pages import (
    PASSWORD,
    as_user,
    give_password,
    post_as_form,
    post_htmx,
    signable_world,
)
from tracker.audit import Actor, AuditEvent
from tracker.plans import service
from tracker.plans.schemas import ActionIn
from tracker.plans.tables import Action, PlanMessage, ProgressUpdate


async def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = await client.get("/actions")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


async def test_my_actions_lists_overdue_first_then_due_soon_grouped_by_family(client, clock):
    now = clock.now()
    world = await signable_world(now)
    today = now.date()
    overdue = await service.add_action(policy=POLICY,
        plan_id=world.plan_id, actor=SYSTEM, now=now,
        data=ActionIn(outcome_id=world.outcome_id, owner_user_id=world.invitee.id,
                      description="Visit Jess at home on Tuesday to plan mornings.",
                      due_on=today - timedelta(days=3), success_measure="Visit logged."))
    await as_user(client, world.invitee)
    page = await client.get("/actions")
    assert page.status_code == 200
    html = page.text
    assert html.index("Overdue") < html.index("Due in the next 14 days")
    assert html.index(f'id="action-{overdue}"') < html.index(f'id="action-{world.action_id}"')
    assert world.family["name"] in html
    # Only the caller's own actions, never the family member's.
    assert f'id="action-{world.member_action_id}"' not in html
    assert "What has helped? What got in the way?" in html
    assert "failed" not in html.lower() and "non-compliant" not in html.lower()


async def test_update_without_javascript_records_status_and_note_then_redirects(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    response = await post_as_form(client, f"/actions/{world.action_id}/update",
                                  {"status": "in_progress", "note": "First call went well."})
    assert response.status_code == 303
    assert response.headers["location"] == f"/actions#action-{world.action_id}"
    action = await Action.select().where(Action.id == world.action_id).first()
    assert action["status"] == "in_progress"
    update = await ProgressUpdate.select().where(ProgressUpdate.action == world.action_id).first()
    assert update["note"] == "First call went well." and update["channel"] == "web"
    assert update["author_user"] == world.invitee.id
    assert await AuditEvent.exists().where(
        (AuditEvent.record_type == "progress_update") & (AuditEvent.channel == "web"))


async def test_htmx_update_returns_just_the_card(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    response = await post_htmx(client, f"/actions/{world.action_id}/update",
                               {"status": "done", "note": "Six calls made."})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<div class=\"govuk-summary-card")
    assert f'id="action-{world.action_id}"' in response.text
    assert "<html" not in response.text
    assert "your update is on the plan" in response.text
    assert (await Action.select(Action.status).where(Action.id == world.action_id).first()
            )["status"] == "done"


async def test_bad_update_shows_error_summary_and_keeps_what_was_typed(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    # Same status and no note: nothing to record.
    response = await post_as_form(client, f"/actions/{world.action_id}/update",
                                  {"status": "not_started", "note": ""})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert f'href="#note-{world.action_id}"' in response.text
    assert f'id="note-{world.action_id}-error"' in response.text
    long_note = "x" * 2001
    response = await post_as_form(client, f"/actions/{world.action_id}/update",
                                  {"status": "in_progress", "note": long_note})
    assert response.status_code == 400
    assert long_note in response.text  # nothing lost
    response = await post_as_form(client, f"/actions/{world.action_id}/update",
                                  {"status": "finished", "note": "hello"})
    assert response.status_code == 400
    assert f'href="#status-{world.action_id}"' in response.text
    assert not await ProgressUpdate.exists().where(ProgressUpdate.action == world.action_id)


async def test_htmx_bad_update_shows_the_error_in_the_card(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    response = await post_htmx(client, f"/actions/{world.action_id}/update",
                               {"status": "not_started", "note": ""})
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "govuk-error-summary" in response.text and "Add a note" in response.text


async def test_update_without_csrf_token_is_refused(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    response = await client.post(f"/actions/{world.action_id}/update",
                                 data={"status": "done", "note": "x"})
    assert response.status_code == 403
    assert not await ProgressUpdate.exists().where(ProgressUpdate.action == world.action_id)


async def test_a_professional_cannot_update_another_professionals_action(client, clock):
    now = clock.now()
    world = await signable_world(now)
    # Helen (invitee) can see the family, but the member's action is not hers: 403.
    await as_user(client, world.invitee)
    response = await post_as_form(client, f"/actions/{world.member_action_id}/update",
                                  {"status": "done", "note": "x"})
    assert response.status_code == 403
    # The outsider cannot see the family at all: 404, like a missing action.
    await as_user(client, world.outsider)
    response = await post_as_form(client, f"/actions/{world.action_id}/update",
                                  {"status": "done", "note": "x"})
    assert response.status_code == 404
    response = await post_as_form(client, "/actions/999999/update", {"status": "done"})
    assert response.status_code == 404
    assert not await ProgressUpdate.exists().where(
        ProgressUpdate.action.is_in([world.action_id, world.member_action_id]))


async def test_the_lead_can_update_an_action_owned_by_someone_else(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    response = await post_as_form(client, f"/actions/{world.member_action_id}/update",
                                  {"status": "in_progress", "note": "Jess told me by phone."})
    assert response.status_code == 303


async def test_family_updates_and_messages_show_on_my_actions(client, clock):
    now = clock.now()
    world = await signable_world(now)
    jess = world.family["members"][0]
    await service.record_progress(
        action_id=world.member_action_id, status=None,
        note="I need help with this: the bus times changed.",
        actor=Actor.member(jess["id"], "Jess"), now=now - timedelta(days=1),
        visibility="core_group")
    await PlanMessage.insert(PlanMessage(
        family=world.family["id"], plan=world.plan_id, member=jess["id"],
        body="Rosie liked her <b>new</b> teacher.", channel="family_link",
        created_at=now - timedelta(hours=2), visibility="core_group"))
    await PlanMessage.insert(PlanMessage(
        family=world.family["id"], plan=world.plan_id, member=jess["id"],
        body="Only for Sam, please.", channel="family_link", created_at=now - timedelta(hours=1)))
    await as_user(client, world.invitee)
    html = (await client.get("/actions")).text
    assert "the bus times changed" in html
    assert "Needs help" in html
    assert "Rosie liked her &lt;b&gt;new&lt;/b&gt; teacher." in html  # escaped
    assert "Only for Sam" not in html  # lead-only words (the column's default)
    await as_user(client, world.lead)
    assert "Only for Sam, please." in (await client.get("/actions")).text


async def test_a_user_with_no_actions_sees_a_kind_empty_page(client, clock):
    user = await make_user(clock.now())
    await give_password(user.id)
    await as_user(client, user)
    html = (await client.get("/actions")).text
    assert "You have no open actions on current plans." in html
    assert "You are not invited to any conferences coming up." in html
    assert PASSWORD not in html


async def _many_actions(world, now, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    """n more open actions for the invitee, due one a day from 5 days ago (world's own is due
    later); returns their ids soonest first."""
    today = now.date()
    ids = []
    for k in range(n):
        ids.append(await service.add_action(
            policy=POLICY, plan_id=world.plan_id, actor=SYSTEM, now=now,
            data=ActionIn(outcome_id=world.outcome_id, owner_user_id=world.invitee.id,
                          description=f"Walk Rosie to school on Monday, week {k:02d}.",
                          due_on=today + timedelta(days=k - 5), success_measure="Walk noted.")))
    return ids


async def test_my_actions_come_a_page_at_a_time_soonest_first_with_counts_for_them_all(client,
                                                                                      clock):
    now = clock.now()
    world = await signable_world(now)
    ids = await _many_actions(world, now, 22)
    await as_user(client, world.invitee)
    first = (await client.get("/actions")).text
    # 23 open actions due from 5 days ago to 16 days on (the world's own is due in 14 days,
    # before the one added for that day): 5 overdue, 16 due in the next 14 days, 2 later.
    assert "You have 23 open actions on current plans: 5 overdue and 16 due in the next 14 days." in first
    assert "Showing actions 1 to 20 of 23, soonest due first." in first
    soonest = [*ids[:19], world.action_id]
    assert [i for i in [*ids, world.action_id] if f'id="action-{i}"' in first] == soonest
    positions = [first.index(f'id="action-{i}"') for i in soonest]
    assert positions == sorted(positions)
    assert "5 actions</span>" in first  # overdue: all on this page
    assert "16 actions, 15 on this page" in first
    assert 'href="/actions?page=2"' in first and "Next 20" in first
    assert '<input type="hidden" name="page"' not in first
    second = (await client.get("/actions?page=2")).text
    assert [i for i in [*ids, world.action_id] if f'id="action-{i}"' in second] == ids[19:]
    assert "Showing actions 21 to 23 of 23" in second
    assert '<input type="hidden" name="page" value="2">' in second
    assert "16 actions, 1 on this page" in second and "2 actions</span>" in second
    assert 'href="/actions?page=1"' in second and "Previous 20" in second
    past = await client.get("/actions?page=9")
    assert past.status_code == 200 and "There is no page 9 of your actions." in past.text
    assert "You have 23 open actions" in past.text


async def test_a_bad_page_of_my_actions_gets_a_field_message(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    for bad in ("0", "two", "-1", "1001", "²"):
        page = await client.get("/actions", params={"page": bad})
        assert page.status_code == 400, bad
        assert "The page must be a whole number from 1 to 1,000." in page.text
        assert 'href="#page"' in page.text
        assert f'id="action-{world.action_id}"' in page.text  # the first page, still useful


async def test_an_update_from_the_second_page_comes_back_to_it(client, clock):
    now = clock.now()
    world = await signable_world(now)
    ids = await _many_actions(world, now, 22)
    await as_user(client, world.invitee)
    response = await post_as_form(client, f"/actions/{ids[21]}/update",
                                  {"status": "in_progress", "note": "Going well.", "page": "2"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/actions?page=2#action-{ids[21]}"
    card = await post_htmx(client, f"/actions/{ids[21]}/update",
                           {"status": "done", "note": "Done now.", "page": "2"})
    assert '<input type="hidden" name="page" value="2">' in card.text


async def test_a_card_shows_the_newest_note_everyone_on_the_case_may_read(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await service.record_progress(action_id=world.action_id, status="in_progress",
                                  note="Shared with the core group.", actor=SYSTEM,
                                  now=now - timedelta(hours=2))
    jess = world.family["members"][0]
    await service.record_progress(action_id=world.action_id, status=None,
                                  note="Only for my social worker.",
                                  actor=Actor.member(jess["id"], "Jess"),
                                  now=now - timedelta(hours=1), visibility="lead")
    await as_user(client, world.invitee)
    html = (await client.get("/actions")).text
    card = html[html.index(f'id="action-{world.action_id}"'):]
    card = card[:card.index("</form>")]
    assert "Shared with the core group." in card
    assert "Only for my social worker." not in card
