"""The chair's dashboard with initial conferences, overdue core groups and what the core groups
found (also in the pre-review summary), in a fixed number of queries however many conferences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from piccolo.engine import engine_finder

from tests.support.factories import POLICY, SYSTEM, World, at, make_core_group, make_user
from tests.support.staff_pages import as_user, give_password, signable_world
from tracker.audit import Actor
from tracker.plans import core_groups, service
from tracker.plans.schemas import ActionReviewIn, ConferenceIn, ConferencePatch, CoreGroupPatch, FamilyIn

RECORD = CoreGroupPatch(
    better="Rosie was in class by 8:50 on nine days out of ten.",
    family_view="Jess says the Monday calls help her plan the week.",
    children_view="Rosie says breakfast club is her favourite part of the day.",
    next_steps="Helen to ask about a reading buddy before half term.",
    attended_user_ids=[],
)


async def _recorded_core_group(world: World, now: datetime) -> int:
    meeting_id = await make_core_group(world, now)
    await core_groups.update_core_group(
        meeting_id=meeting_id, actor=Actor.user(world.lead.id, world.lead.name, channel="web"),
        now=now, policy=POLICY,
        patch=msgspec.structs.replace(RECORD, action_reviews=[ActionReviewIn(action_id=world.action_id,
                                                            status="in_progress",
                                                            note="Four calls made so far.")]))
    return meeting_id


async def _review(world: World, now: datetime, chair_id: int, days: int = 10) -> int:
    return await service.create_conference(policy=POLICY, actor=SYSTEM, now=now, data=ConferenceIn(
        family_id=world.family["id"], kind="review_cp", chair_id=chair_id,
        starts_at=at(now.date() + timedelta(days=days)), invitee_ids=[world.invitee.id]))


async def test_the_dashboard_and_summary_show_what_the_core_groups_found(client, clock):
    now = clock.now()
    world = await signable_world(now)
    await _recorded_core_group(world, now)
    await _review(world, now, world.chair.id)
    await as_user(client, world.chair)
    html = (await client.get("/chair")).text
    for words in (RECORD.better, RECORD.family_view, RECORD.children_view, RECORD.next_steps,
                  "Four calls made so far."):
        assert words in html
    summary = (await client.get(f"/plans/{world.plan_id}/review-summary")).text
    assert "What the core groups found" in summary
    assert RECORD.children_view in summary and "Four calls made so far." in summary


async def test_initial_conferences_appear_on_the_dashboard_before_any_plan(client, clock):
    now = clock.now()
    chair = await make_user(now, "chair", name="Initial Chair")
    lead = await make_user(now, name="New Lead")
    await give_password(chair.id)
    family_id = await service.create_family(data=FamilyIn(name="Family Initial",
                                                          lead_professional_id=lead.id),
                                            caller=lead.caller, actor=SYSTEM, now=now)
    await service.create_conference(policy=POLICY, actor=SYSTEM, now=now, data=ConferenceIn(
        family_id=family_id, kind="initial_cp", chair_id=chair.id,
        starts_at=at(now.date() + timedelta(days=3))))
    await as_user(client, chair)
    html = (await client.get("/chair")).text
    assert "Family Initial" in html and "Initial" in html
    assert "No plan yet" in html


async def test_core_groups_past_their_date_with_none_booked_are_listed_as_overdue(client, clock):
    world = await signable_world(clock.now())
    # The initial conference was 17 November: the first core group was due by 1 December.
    clock.at = datetime(2026, 12, 3, 10, tzinfo=UTC)
    await as_user(client, world.chair)
    html = (await client.get("/chair")).text
    assert 'id="overdue-core-groups"' in html and world.family["name"] in html
    assert "due by Tuesday 1 December 2026" in html
    await make_core_group(world, clock.now(), starts_at=datetime(2026, 12, 8, 10, tzinfo=UTC))
    html = (await client.get("/chair")).text
    assert f'href="/plans/{world.plan_id}#core-groups"' not in html


@pytest.fixture
def count_queries(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Count the statements the database is sent."""
    engine_class = type(engine_finder())
    original = engine_class.run_querystring
    sent: list[Any] = []

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(querystring)
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    return sent


async def test_the_dashboard_reads_a_fixed_number_of_queries_however_many_conferences(
        client, clock, count_queries):
    now = clock.now()
    chair = await make_user(now, "chair", name="Busy Chair")
    await give_password(chair.id)
    await as_user(client, chair)

    async def queries_for_dashboard() -> int:
        count_queries.clear()
        assert (await client.get("/chair")).status_code == 200
        return len(count_queries)

    world = await signable_world(now)
    await _recorded_core_group(world, now)
    await _review(world, now, chair.id)
    one = await queries_for_dashboard()
    for _ in range(4):
        more = await signable_world(now)
        await _recorded_core_group(more, now)
        await _review(more, now, chair.id)
    five = await queries_for_dashboard()
    html = (await client.get("/chair")).text
    assert html.count('class="govuk-summary-card tracker-review-card"') == 5
    assert five == one, f"1 conference: {one} queries; 5 conferences: {five}"
    assert 5 < one <= 20, one


async def test_a_conference_recorded_earlier_today_leaves_the_dashboard_its_reports_no_longer_late(
        client, clock):
    now = clock.now()
    world = await signable_world(now)
    held = await service.create_conference(policy=POLICY, actor=SYSTEM, now=now, data=ConferenceIn(
        family_id=world.family["id"], kind="review_cp", chair_id=world.chair.id,
        starts_at=now - timedelta(hours=1), invitee_ids=[world.invitee.id]))
    await as_user(client, world.chair)
    assert f'href="/conferences/{held}"' in (await client.get("/chair")).text  # still to record
    await service.update_conference(conference_id=held, actor=SYSTEM, now=now, policy=POLICY,
                                    patch=ConferencePatch(decision="cin_plan",
                                                         next_review_on=now.date() + timedelta(days=90)))
    assert f'href="/conferences/{held}"' not in (await client.get("/chair")).text
