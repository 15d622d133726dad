"""The chair's dashboard and the printable pre-review summary."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.support.factories import POLICY, SYSTEM, at, make_user
from tests.support.staff_pages import as_user, give_password, signable_world
from tracker.audit import Actor
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn, ConferencePatch
from tracker.plans.tables import PlanMessage
from tracker.staff.pages.common_queries import report_state


async def _review(world, now, days=10, invitees=None) -> int:
    return await service.create_conference(policy=POLICY,
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=days)),
                          chair_id=world.chair.id,
                          invitee_ids=invitees or [world.invitee.id, world.lead.id]),
        actor=SYSTEM, now=now)


async def test_chair_sees_reviews_in_the_next_8_weeks_with_progress_and_reports(client, clock):
    now = clock.now()
    world = await signable_world(now)
    soon = await _review(world, now, days=10)
    await _review(world, now, days=70)  # beyond 8 weeks
    await service.mark_report_submitted(conference_id=soon, user_id=world.invitee.id,
                                        actor=SYSTEM, now=now)
    jess = world.family["members"][0]["id"]
    await PlanMessage.insert(PlanMessage(family=world.family["id"], plan=world.plan_id,
                                         member=jess, body="Mornings are easier now.",
                                         channel="family_link", created_at=now,
                                         visibility="core_group"))
    # Words for the lead only (every text reply is) never reach the chair's dashboard.
    await PlanMessage.insert(PlanMessage(family=world.family["id"], plan=world.plan_id,
                                         member=jess, body="Only for Sam: Tom is back.",
                                         channel="sms", created_at=now))
    await as_user(client, world.chair)
    page = await client.get("/chair")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="govuk-summary-card tracker-review-card"') == 1
    assert world.family["name"] in html
    assert "1 of 2 received" in html
    assert "Rosie goes to school every day." in html
    assert "Mornings are easier now." in html
    assert "Only for Sam" not in html
    assert f'href="/plans/{world.plan_id}/review-summary"' in html
    assert "Last activity on this family" in html


async def test_chair_page_is_for_chairs_only(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    assert (await client.get("/chair")).status_code == 403
    client.cookies.clear()
    assert (await client.get("/chair")).status_code == 303


async def test_an_admin_chair_with_no_reviews_sees_a_kind_empty_page(client, clock):
    user = await make_user(clock.now(), "chair", "admin")
    await give_password(user.id)
    await as_user(client, user)
    html = (await client.get("/chair")).text
    assert "You are not chairing any conferences" in html


def test_report_state_follows_the_two_working_day_rule():
    from datetime import UTC, date, datetime

    due = date(2026, 12, 3)
    on_time = datetime(2026, 12, 3, 16, tzinfo=UTC)
    late = datetime(2026, 12, 4, 9, tzinfo=UTC)
    assert report_state(due, on_time, date(2026, 12, 5)) == "in"
    assert report_state(due, late, date(2026, 12, 5)) == "in_late"
    assert report_state(due, None, date(2026, 12, 3)) == "due"
    assert report_state(due, None, date(2026, 12, 4)) == "late"


async def test_review_summary_has_outcomes_history_voices_and_reports(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await service.update_conference(policy=POLICY,
        conference_id=world.conference_id, actor=SYSTEM, now=now,
        patch=ConferencePatch(family_description="Rosie is funny & kind.",
                              children_views="Rosie wants <more> time with Mum."))
    jess = world.family["members"][0]["id"]
    await service.record_progress(action_id=world.member_action_id, status="in_progress",
                                  note="We walked every day this week.",
                                  actor=Actor.member(jess, "Jess"), now=now,
                                  visibility="core_group")
    # A note the family kept for the lead is not printed in the summary.
    await service.record_progress(action_id=world.member_action_id, status=None,
                                  note="Only for Sam: money is tight.",
                                  actor=Actor.member(jess, "Jess"), now=now)
    await service.record_progress(action_id=world.action_id, status="in_progress",
                                  note="Two calls made.", actor=SYSTEM, now=now)
    review = await _review(world, now, days=10)
    await service.mark_report_submitted(conference_id=review, user_id=world.invitee.id,
                                        actor=SYSTEM, now=now)
    await as_user(client, world.invitee)
    page = await client.get(f"/plans/{world.plan_id}/review-summary")
    assert page.status_code == 200
    html = page.text
    assert "Rosie is funny &amp; kind." in html
    assert "Rosie wants &lt;more&gt; time with Mum." in html
    assert "We walked every day this week." in html and "(family)" in html
    assert "Only for Sam" not in html
    assert "Not started yet → In progress" in html
    assert "1 of 2 received" in html
    assert html.count('role="img"') == 2
    assert re.search(r'<link rel="stylesheet" href="/assets/[0-9a-f]{16}/staff.css">', html)


async def test_review_summary_follows_the_family_access_rule(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.outsider)
    assert (await client.get(f"/plans/{world.plan_id}/review-summary")).status_code == 404
    await as_user(client, world.chair)
    assert (await client.get(f"/plans/{world.plan_id}/review-summary")).status_code == 200


async def test_print_styles_live_in_a_static_file(client):
    css = await client.get("/static/staff.css")
    assert css.status_code == 200 and "@media print" in css.text


async def test_family_page_lists_plans_and_conferences(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.invitee)
    page = await client.get(f"/families/{world.family['id']}")
    assert page.status_code == 200
    assert f'href="/plans/{world.plan_id}"' in page.text
    assert f'href="/conferences/{world.conference_id}"' in page.text
    assert "Not safe to contact" in page.text
    await as_user(client, world.outsider)
    assert (await client.get(f"/families/{world.family['id']}")).status_code == 404
