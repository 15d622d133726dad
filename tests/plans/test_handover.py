"""People leaving: work held by a deactivated professional is flagged (many families in one query)
and handed on in one step by an admin or the family's lead: audited, the new holder told."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.support.factories import POLICY, SYSTEM, WINDOWS, at, make_user, make_world
from tests.support.staff_pages import as_user, give_password, post_as_form, signable_world
from tracker.audit import AuditEvent
from tracker.errors import FieldErrors
from tracker.notify.tables import Outbox
from tracker.notify.templates import Letterhead, render_email
from tracker.people.tables import StaffUser
from tracker.plans import handover, service
from tracker.plans.handover import LeaverFlag
from tracker.plans.schemas import ActionIn, ActionPatch, ConferenceIn, FamilyIn
from tracker.plans.tables import Action, ConferenceInvitee
from tracker.staff.pages.handover import email_teller


async def _leaver_world(clock):  # type: ignore[no-untyped-def]
    """A world where Helen (the invitee) owns an action, offers support on Jess's, is invited to
    the coming review, and has just left (her account is deactivated)."""
    world = await signable_world(clock.now())
    await service.update_action(action_id=world.member_action_id, actor=SYSTEM, now=clock.now(),
                                policy=POLICY, patch=ActionPatch(support_by_user_id=world.invitee.id,
                                                                 support_offered="A lift on Mondays."))
    review_id = await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(clock.now().date() + timedelta(days=21)),
                          chair_id=world.chair.id, invitee_ids=[world.invitee.id]),
        actor=SYSTEM, now=clock.now(), policy=POLICY)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == world.invitee.id)
    return world, review_id


async def test_work_held_by_a_leaver_is_flagged_for_many_families_in_one_call(migrated, clock):
    world, _ = await _leaver_world(clock)
    other = await make_world(clock.now())  # nobody has left here
    flags = await handover.flags_for_families([world.family["id"], other.family["id"]])
    assert flags == {world.family["id"]: LeaverFlag(actions=1, support=1, reports=1,
                                                    holder_ids=(world.invitee.id,))}
    assert world.family["id"] in await handover.flags_for_families(None)
    assert await handover.flags_for_families([]) == {}
    # Once the report is in, only the action and the support are still held.
    await ConferenceInvitee.update({ConferenceInvitee.report_submitted_at: clock.now()}).where(
        ConferenceInvitee.user == world.invitee.id)
    assert (await handover.flags_for_families([world.family["id"]]))[world.family["id"]].total == 2


async def test_a_handover_moves_everything_in_one_step_audited_and_the_new_holder_is_told(migrated, clock):
    world, review_id = await _leaver_world(clock)
    newcomer = await make_user(clock.now(), name="Nia Newcomer")
    events = await AuditEvent.count()
    moved = await handover.hand_over(from_user_id=world.invitee.id, to_user_id=newcomer.id,
                                     actor=SYSTEM, now=clock.now(), tell=_tell_by_outbox(clock))
    assert moved == 3
    owner = await Action.select(Action.owner_user).where(Action.id == world.action_id).first()
    support = await Action.select(Action.support_by).where(Action.id == world.member_action_id).first()
    invited = await ConferenceInvitee.select(ConferenceInvitee.user).where(
        ConferenceInvitee.conference == review_id)
    assert owner["owner_user"] == support["support_by"] == newcomer.id
    assert [r["user"] for r in invited] == [newcomer.id]
    trail = await AuditEvent.select().where(AuditEvent.id > 0).order_by(AuditEvent.id, ascending=False
                                                                          ).limit(3)
    assert await AuditEvent.count() == events + 3
    assert {tuple(json.loads(e["changes"]).values())[0][0] for e in trail} == {world.invitee.id}
    told = await Outbox.select().where((Outbox.recipient_user == newcomer.id)
                                       & (Outbox.template == "work_handed_over"))
    assert len(told) == 1 and json.loads(told[0]["context"])["count"] == 3
    email = render_email("work_handed_over", json.loads(told[0]["context"]),
                         letterhead=Letterhead(authority_name="Anytown Council", base_url="https://x.test"))
    assert email.subject == f"Work handed to you from {world.invitee.name}"
    assert "3 pieces of their work on 1 family's plan now rest with you" in " ".join(email.text.split())
    assert world.family["name"] not in email.subject + email.text + email.html
    assert await handover.flags_for_families([world.family["id"]]) == {}


def _tell_by_outbox(clock):  # type: ignore[no-untyped-def]
    return email_teller(WINDOWS, clock.now(), 0)


async def test_a_handover_to_nobody_or_a_leaver_is_refused_and_nothing_moves(migrated, clock):
    world, _ = await _leaver_world(clock)
    events = await AuditEvent.count()
    for to_user in (None, world.invitee.id, 999999):
        try:
            await handover.hand_over(from_user_id=world.invitee.id, to_user_id=to_user,
                                     actor=SYSTEM, now=clock.now())
        except FieldErrors as exc:
            assert "to_user_id" in exc.errors
        else:
            raise AssertionError(f"handing to {to_user} was accepted")
    assert await AuditEvent.count() == events
    owner = await Action.select(Action.owner_user).where(Action.id == world.action_id).first()
    assert owner["owner_user"] == world.invitee.id


# ---------------------------------------------------------------- the pages


async def test_the_lead_hands_over_from_the_plan_page_and_only_an_admin_or_the_lead_may(client, clock):
    world, _ = await _leaver_world(clock)
    newcomer = await make_user(clock.now(), name="Nia Newcomer")
    url = f"/people/{world.invitee.id}/handover"
    await as_user(client, world.lead)
    plan = await client.get(f"/plans/{world.plan_id}")
    assert 'id="leaver-flag"' in plan.text and f'href="{url}"' in plan.text
    for who in (world.outsider, world.chair):
        await as_user(client, who)
        assert (await client.get(url)).status_code == 403
        assert (await post_as_form(client, url, {"to_user": str(newcomer.id)})).status_code == 403
    chair_page = await client.get(f"/plans/{world.plan_id}")
    assert 'id="leaver-flag"' in chair_page.text and f'href="{url}"' not in chair_page.text
    await as_user(client, world.lead)
    page = await client.get(url)
    assert page.status_code == 200 and "A lift on Mondays." not in page.text
    assert f'<option value="{newcomer.id}"' in page.text
    refused = await post_as_form(client, url, {"to_user": ""})
    assert refused.status_code == 400 and 'href="#to-user"' in refused.text
    done = await post_as_form(client, url, {"to_user": str(newcomer.id)})
    assert done.status_code == 303 and done.headers["location"] == f"{url}?done=3"
    assert 'id="leaver-flag"' not in (await client.get(f"/plans/{world.plan_id}")).text


async def test_the_chair_dashboard_flags_a_leavers_work(client, clock):
    world, _ = await _leaver_world(clock)
    await as_user(client, world.chair)
    dashboard = await client.get("/chair")
    # One flag per conference card, each with its own id (two flagged families must not share one).
    assert dashboard.status_code == 200 and 'id="leaver-flag-' in dashboard.text
    ids = re.findall(r'id="(leaver-flag[^"]*)"', dashboard.text)
    assert len(ids) == len(set(ids))
    assert "1 action, 1 offer of support, 1 report for a conference" in " ".join(dashboard.text.split())


async def test_deactivating_in_admin_shows_what_they_hold_and_leads_to_the_handover(client, clock):
    world = await signable_world(clock.now())
    admin = await make_user(clock.now(), "admin", name="Ann Admin")
    await give_password(admin.id)
    await as_user(client, admin)
    before = await client.get(f"/admin/users/{world.invitee.id}")
    assert 'id="held-work"' in before.text and f"/people/{world.invitee.id}/handover" in before.text
    response = await post_as_form(client, f"/admin/users/{world.invitee.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["location"] == f"/people/{world.invitee.id}/handover?deactivated=1"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "(account deactivated)" in page.text
    # Someone holding nothing goes back to the accounts list as before.
    idle = await make_user(clock.now())
    quiet = await post_as_form(client, f"/admin/users/{idle.id}/deactivate")
    assert quiet.headers["location"] == "/admin?done=deactivated"


async def test_a_lead_hands_on_only_the_work_on_the_families_they_lead(client, clock):
    world, _ = await _leaver_world(clock)
    other = await make_world(clock.now())  # another lead's family, where the leaver also owns a step
    theirs = await service.add_action(
        plan_id=other.plan_id, actor=SYSTEM, now=clock.now(), policy=POLICY,
        data=ActionIn(outcome_id=other.outcome_id, owner_user_id=world.lead.id,
                      description="Call the housing officer about the repairs by Friday.",
                      due_on=clock.now().date() + timedelta(days=9), success_measure="A date for the repairs."))
    await Action.update({Action.owner_user: world.invitee.id}).where(Action.id == theirs)
    newcomer = await make_user(clock.now(), name="Nia Newcomer")
    await as_user(client, world.lead)
    page = await client.get(f"/people/{world.invitee.id}/handover")
    assert "Call the housing officer" not in page.text
    done = await post_as_form(client, f"/people/{world.invitee.id}/handover", {"to_user": str(newcomer.id)})
    assert done.headers["location"].endswith("?done=3")
    still = await Action.select(Action.owner_user).where(Action.id == theirs).first()
    assert still["owner_user"] == world.invitee.id
    assert (await handover.flags_for_families([other.family["id"]]))[other.family["id"]].actions == 1


async def test_the_caseload_flags_a_leavers_work_on_the_familys_row(client, clock):
    world, _ = await _leaver_world(clock)
    calm_id = await service.create_family(  # the same lead's family where nobody has left
        data=FamilyIn(name="Calm family", lead_professional_id=world.lead.id),
        caller=world.lead.caller, actor=SYSTEM, now=clock.now())
    url = f"/people/{world.invitee.id}/handover"
    await as_user(client, world.lead)
    page = await client.get("/families")
    text = " ".join(page.text.split())
    assert page.status_code == 200
    assert f'id="leaver-flag-{world.family["id"]}"' in page.text
    assert f'id="leaver-flag-{calm_id}"' not in page.text
    assert "1 action, 1 offer of support, 1 report for a conference" in text
    assert f'href="{url}"' in page.text  # the lead may hand it on from here
    await as_user(client, world.chair)
    chair_view = await client.get("/families")
    assert f'id="leaver-flag-{world.family["id"]}"' in chair_view.text
    assert f'href="{url}"' not in chair_view.text
    assert "has left: ask the lead professional or an admin" in chair_view.text
