"""The caseload at /families: who sees which families, search, filter, pages, and its cost."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from piccolo.engine import engine_finder

from tests.support.factories import POLICY, SYSTEM, at, make_user
from tests.support.staff_pages import as_user, give_password, signable_world
from tracker.clock import LONDON
from tracker.plans import service
from tracker.plans.schemas import ActionIn, ChildIn, ConferenceIn, FamilyIn, OutcomeIn, PlanIn
from tracker.staff.pages.caseload import CASELOAD_CACHE
from tracker.staff.pages.caseload_queries import PAGE_SIZE

_n = itertools.count(1)


async def _family(now, lead, name: str, *, reference: str = "", with_plan: bool = False,
                  chair=None) -> int:  # type: ignore[no-untyped-def]
    family_id = await service.create_family(
        data=FamilyIn(name=name, reference=reference, lead_professional_id=lead.id,
                      children=[ChildIn(name="Kai", date_of_birth=date(2019, 1, 2))]),
        caller=lead.caller, actor=SYSTEM, now=now)
    if with_plan:
        await _plan(now, family_id, lead, chair)
    return family_id


async def _plan(now, family_id: int, lead, chair) -> None:  # type: ignore[no-untyped-def]
    today = now.astimezone(LONDON).date()
    conference_id = await service.create_conference(policy=POLICY, data=ConferenceIn(
        family_id=family_id, kind="initial_cp", starts_at=at(today - timedelta(days=20)),
        chair_id=chair.id, invitee_ids=[], decision="cp_plan", categories=["neglect"],
        next_review_on=today + timedelta(days=60)), actor=SYSTEM, now=now)
    await service.create_conference(policy=POLICY, data=ConferenceIn(
        family_id=family_id, kind="review_cp", starts_at=at(today + timedelta(days=30)),
        chair_id=chair.id, invitee_ids=[]), actor=SYSTEM, now=now)
    plan_id = await service.create_plan(
        data=PlanIn(conference_id=conference_id, kind="child_protection"), actor=SYSTEM, now=now)
    view = await service.family_view(family_id)
    outcome_id = await service.add_outcome(plan_id=plan_id, actor=SYSTEM, now=now, data=OutcomeIn(
        child_ids=[view["children"][0]["id"]], statement="Kai goes to nursery every day.",
        measure="Nursery register."))
    await service.add_action(policy=POLICY, plan_id=plan_id, actor=SYSTEM, now=now, data=ActionIn(
        outcome_id=outcome_id, owner_user_id=lead.id, due_on=today - timedelta(days=2),
        description="Visit Kai at home on Tuesday at 4pm to plan the nursery week together.",
        success_measure="A visit note on the record each Tuesday."))


async def test_the_caseload_is_in_every_professionals_menu_and_lists_what_they_may_see(client,
                                                                                       clock):
    world = await signable_world(clock.now())
    for user in (world.lead, world.invitee, world.chair):
        await as_user(client, user)
        page = (await client.get("/families")).text
        assert 'href="/families"' in page
        assert world.family["name"] in page, user.name
    await as_user(client, world.outsider)
    page = await client.get("/families")
    assert page.status_code == 200
    assert world.family["name"] not in page.text
    assert "0 families" in page.text


async def test_a_row_shows_plan_next_conference_core_group_overdue_and_last_contact(client,
                                                                                    clock):
    now = clock.now()
    lead = await make_user(now, name="Row Lead")
    chair = await make_user(now, "chair")
    await give_password(lead.id)
    name = f"Rowfamily {next(_n)}"
    family_id = await _family(now, lead, name, reference="CP-7781", with_plan=True, chair=chair)
    view = await service.family_view(family_id)
    assert view["reference"] == "CP-7781"
    await as_user(client, lead)
    page = (await client.get("/families", params={"q": name})).text
    assert f'href="/families/{family_id}"' in page
    assert "Child protection plan" in page
    assert "Review child protection conference" in page
    assert "1 overdue" in page
    assert "By " in page  # the first core group's statutory date
    assert "Nothing yet" in page  # the family have not written yet


async def test_search_by_name_or_reference_and_the_mine_filter(client, clock):
    now = clock.now()
    lead, other = await make_user(now), await make_user(now)
    chair = await make_user(now, "chair")
    await give_password(chair.id)
    tag = f"Srch{next(_n)}"
    mine = await _family(now, lead, f"{tag} Apple family", reference=f"REF-{tag}-1")
    theirs = await _family(now, other, f"{tag} Pear family", reference="X_%1")
    for fid, who in ((mine, lead), (theirs, other)):
        await _plan(now, fid, who, chair)
    await as_user(client, chair)
    both = (await client.get("/families", params={"q": tag.lower()})).text
    assert "Apple family" in both and "Pear family" in both
    by_ref = (await client.get("/families", params={"q": f"ref-{tag}"})).text
    assert "Apple family" in by_ref and "Pear family" not in by_ref
    # % and _ are searched for as themselves, not as wildcards.
    literal = (await client.get("/families", params={"q": "x_%"})).text
    assert "Pear family" in literal and "Apple family" not in literal
    # The chair leads neither: "mine" shows nothing; the lead sees only their own.
    assert "Apple family" not in (await client.get(
        "/families", params={"q": tag, "who": "mine"})).text
    await give_password(lead.id)
    await as_user(client, lead)
    led = (await client.get("/families", params={"q": tag, "who": "mine"})).text
    assert "Apple family" in led and "Pear family" not in led


async def test_pages_are_bounded_and_walk_through_every_family(client, clock):
    now = clock.now()
    lead = await make_user(now)
    await give_password(lead.id)
    tag = f"Pg{next(_n)}"
    for i in range(PAGE_SIZE + 3):
        await _family(now, lead, f"{tag} family {i:03d}")
    await as_user(client, lead)
    first = (await client.get("/families", params={"q": tag})).text
    assert first.count(f"{tag} family ") == PAGE_SIZE
    assert f"{PAGE_SIZE + 3} families" in first
    assert "1 of 2" in first and 'rel="next"' in first
    second = (await client.get("/families", params={"q": tag, "page": "2"})).text
    assert second.count(f"{tag} family ") == 3
    assert f"{tag} family {PAGE_SIZE + 2:03d}" in second
    beyond = await client.get("/families", params={"q": tag, "page": "3"})
    assert beyond.status_code == 200 and "There is no page 3" in beyond.text


async def test_bad_search_filter_and_page_get_field_messages(client, clock):
    world = await signable_world(clock.now())
    await as_user(client, world.lead)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"page": "0"}, "The page must be a whole number"),
        ({"page": "abc"}, "The page must be a whole number"),
        ({"page": "99999999999"}, "The page must be a whole number"),
        ({"page": "-1"}, "The page must be a whole number"),
        ({"who": "everyone"}, "Choose all families you can see"),
        ({"q": "x" * 101}, "100 characters or fewer"),
    ]
    for params, message in cases:
        response = await client.get("/families", params=params)
        assert response.status_code == 400, params
        assert message in response.text, params
    tab = await client.get("/families", params={"q": "a\tb"})
    assert tab.status_code == 400


class _Counter:
    """Counts the statements the database runs while a request is answered."""

    def __init__(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        self.count = 0
        engine = engine_finder()
        assert engine is not None
        kind = type(engine)  # the engine has slots: count on its class
        original = kind.run_querystring

        async def counted(engine_self: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(engine_self, *args, **kwargs)

        monkeypatch.setattr(kind, "run_querystring", counted)


async def _queries_for_caseload(client, monkeypatch, lead, app=None) -> int:  # type: ignore[no-untyped-def]
    """Queries for the lead's caseload after a first view; with `app`, built again (its kept
    pages forgotten), else as kept (tracker.staff.pages.kept)."""
    await as_user(client, lead)
    await client.get("/families")  # warm: sessions, CSRF cookie
    if app is not None:
        app.state.pop(CASELOAD_CACHE, None)
    counter = _Counter(monkeypatch)
    response = await client.get("/families")
    assert response.status_code == 200
    monkeypatch.undo()
    return counter.count


async def test_a_page_costs_the_same_queries_for_5_families_as_for_200(client, app, clock,
                                                                       monkeypatch):
    now = clock.now()
    chair = await make_user(now, "chair")
    small, large = await make_user(now), await make_user(now)
    for user in (small, large):
        await give_password(user.id)
    for i in range(5):
        await _family(now, small, f"Small {i}", with_plan=True, chair=chair)
    for i in range(200):
        # Every family on the first page has a plan, conferences and an overdue action.
        await _family(now, large, f"Large {i:03d}", with_plan=i < PAGE_SIZE + 5, chair=chair)
    at_5 = await _queries_for_caseload(client, monkeypatch, small, app)
    at_200 = await _queries_for_caseload(client, monkeypatch, large, app)
    print(f"caseload page: {at_5} statements at 5 families, {at_200} at 200")
    assert at_5 == at_200, (at_5, at_200)
    assert at_200 <= 5  # the version, then the page's 4 reads
    kept_5 = await _queries_for_caseload(client, monkeypatch, small)
    kept_200 = await _queries_for_caseload(client, monkeypatch, large)
    assert kept_5 == kept_200 == 2, (kept_5, kept_200)  # the session and the version
