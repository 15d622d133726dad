"""Round trips: each page's data in a fixed number of queries, however big the plan or caseload.

Each page is asked for twice, at a small size and a bigger one (more outcomes, actions,
progress notes, review conferences), and must run the same number of queries both times.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite
import httpx
import pytest

from tests.conftest import TEST_DB
from tests.support.factories import POLICY, SYSTEM, World, at, make_core_group
from tests.support.queries import counting_queries, queries_for
from tests.support.staff_pages import as_user, signable_world
from tracker import db
from tracker.family.links import LinkPolicy, issue_link
from tracker.family.sessions import resolve_session
from tracker.people.accounts import caller_for_token
from tracker.plans import service
from tracker.plans.schemas import ActionIn, ConferenceIn, OutcomeIn
from tracker.plans.tables import Plan
from tracker.settings import PROJECT_ROOT, get_settings

GROW_OUTCOMES = 4
ACTIONS_PER_OUTCOME = 3


async def _same_count(client, path: str, users, at_most: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Each user (signed in in turn) gets `path` in the same number of queries (and at most `at_most`)."""
    counts, log = [], None
    for user in users:
        await as_user(client, user)
        status, log = await queries_for(client, path)
        assert status == 200
        counts.append(log.count)
    assert len(set(counts)) == 1, counts
    if at_most is not None:
        assert log is not None and counts[0] <= at_most, "\n".join(s[:150] for s in log.statements)


async def _grow(world: World, now: datetime) -> None:
    """More outcomes, each with actions for the invitee and the family, and progress notes."""
    today = now.date()
    child = world.family["children"][0]["id"]
    member = world.family["members"][0]["id"]
    for n in range(GROW_OUTCOMES):
        outcome = await service.add_outcome(
            plan_id=world.plan_id, actor=SYSTEM, now=now,
            data=OutcomeIn(child_ids=[child], statement=f"Rosie feels safe at home, part {n}.",
                           measure="Rosie says so when asked at each visit."))
        for k in range(ACTIONS_PER_OUTCOME):
            owner = {"owner_user_id": world.invitee.id} if k % 2 else {"owner_member_id": member}
            action = await service.add_action(
                policy=POLICY, plan_id=world.plan_id, actor=SYSTEM, now=now,
                data=ActionIn(outcome_id=outcome, due_on=today + timedelta(days=5 + k),
                              description=f"Meet at the school gate on Mondays, step {n}.{k}.",
                              success_measure="Four Monday meetings noted by the school.",
                              **owner))
            await service.record_progress(action_id=action, status="in_progress",
                                          note="Started this week.", actor=SYSTEM, now=now)


async def _review(world: World, chair_id: int, now: datetime, days: int = 10) -> int:
    return await service.create_conference(
        policy=POLICY, actor=SYSTEM, now=now,
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=days)), chair_id=chair_id,
                          invitee_ids=[world.invitee.id, world.lead.id]))


async def _worlds(now: datetime) -> tuple[World, World]:
    small = await signable_world(now)
    big = await signable_world(now)
    await _grow(big, now)
    return small, big


async def test_the_plan_api_runs_the_same_queries_for_a_small_and_a_big_plan(client, clock):
    small, big = await _worlds(clock.now())
    counts, kept = [], []
    for world in (small, big):
        status, log = await queries_for(client, f"/api/v1/plans/{world.plan_id}",
                                        headers=world.lead.headers)
        assert status == 200
        counts.append(log.count)
        # Read again, unchanged: the token, then the plan's family, version and access.
        status, again = await queries_for(client, f"/api/v1/plans/{world.plan_id}",
                                          headers=world.lead.headers)
        assert status == 200
        kept.append(again.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 7, "\n".join(s[:150] for s in log.statements)
    assert kept == [2, 2], kept


async def test_my_actions_runs_the_same_queries_for_few_and_many_actions(client, clock):
    small, big = await _worlds(clock.now())
    await _same_count(client, "/actions", (small.invitee, big.invitee))


async def test_the_chair_dashboard_runs_the_same_queries_for_one_review_and_three(client, clock):
    now = clock.now()
    small, big = await _worlds(now)
    await _review(small, small.chair.id, now)
    others = [await signable_world(now) for _ in range(2)]
    for world in (big, *others):
        await _review(world, big.chair.id, now)
    # A first view builds the page: its version, then 12 reads (a kept view is 2: test_chair_kept).
    await _same_count(client, "/chair", (small.chair, big.chair), at_most=13)


async def test_the_chair_dashboard_runs_the_same_queries_with_no_conferences_and_with_some(
        client, clock):
    now = clock.now()
    world = await signable_world(now)
    idle = await signable_world(now)
    await _review(world, world.chair.id, now)
    await make_core_group(world, now)
    # The idle world's chair chaired its initial conference only: nothing coming up.
    await _same_count(client, "/chair", (idle.chair, world.chair))


async def _family_client(app, world: World, now: datetime, n: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"10.9.0.{n}", 50000))
    phone = httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
    url = await issue_link(member_id=world.family["members"][0]["id"], now=now,
                           actor=SYSTEM, policy=LinkPolicy.from_settings(get_settings()))
    path = "/f/" + url.rsplit("/f/", 1)[1]
    page = await phone.get(path)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    assert (await phone.post(path, data={"_csrf_token": token.group(1)})).status_code == 303
    return phone


async def test_the_family_page_runs_the_same_queries_for_a_small_and_a_big_plan(app, clock):
    now = clock.now()
    small, big = await _worlds(now)
    counts, kept = [], []
    for n, world in enumerate((small, big), start=1):
        phone = await _family_client(app, world, now, n)
        try:
            status, log = await queries_for(phone, "/family")
            assert status == 200
            # Viewed again, unchanged: the session, then the family's version with the
            # professionals' details the page shows.
            status, again = await queries_for(phone, "/family")
            assert status == 200
        finally:
            await phone.aclose()
        counts.append(log.count)
        kept.append(again.count)
    assert counts[0] == counts[1], counts
    assert kept == [2, 2], kept


async def test_a_family_session_is_found_in_one_query(app, clock):
    world = await signable_world(clock.now())
    phone = await _family_client(app, world, clock.now(), 200)
    cookie = phone.cookies.get("family_session")
    await phone.aclose()
    assert cookie
    with counting_queries() as log:
        access = await resolve_session(cookie, now=clock.now())
    assert access is not None and access.plan_id == world.plan_id
    assert log.count == 1


async def test_a_staff_session_and_an_api_token_are_each_found_in_one_query(client, clock):
    world = await signable_world(clock.now())
    with counting_queries() as log:
        caller = await caller_for_token(world.lead.token, now=clock.now())
    assert caller is not None and caller.id == world.lead.id
    assert log.count == 1


async def test_reads_reuse_one_sqlite_connection(migrated, clock):
    """SQLite: between start and stop, SELECTs outside a transaction open no new connection."""
    if TEST_DB != "sqlite":
        return
    opened = []
    real_connect = aiosqlite.connect

    def connect(*args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(1)
        return real_connect(*args, **kwargs)

    engine = db.configured_engine()
    assert isinstance(engine, db.ReadReusingSQLiteEngine) and engine.reader is not None
    aiosqlite.connect = connect  # type: ignore[assignment]
    try:
        for _ in range(5):
            await Plan.select(Plan.id).limit(1)
        assert await db.ping(engine)
    finally:
        aiosqlite.connect = real_connect  # type: ignore[assignment]
    assert opened == []


async def test_a_sqlite_statement_is_one_trip_to_its_connections_thread(migrated, clock):
    """SQLite: a read, a write and a statement inside a transaction each cross to aiosqlite's
    connection thread once (execute and fetch together), and rows still come back as dicts."""
    if TEST_DB != "sqlite":
        pytest.skip("SQLite's connection thread only")
    trips = []
    real_execute = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(getattr(fn, "__name__", fn))
        return await real_execute(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        trips.clear()
        rows = await Plan.select(Plan.id).limit(1)
        assert trips == ["_fetch_all_and_close"] and isinstance(rows, list)
        trips.clear()
        assert await Plan.update({Plan.status: Plan.status}).where(Plan.id == -1) == []
        assert trips == ["_fetch_all_and_close"]
        async with db.atomic():
            trips.clear()
            assert await Plan.count() >= 0
            assert trips == ["_fetch_all_and_close"]
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await Plan.raw("SELECT * FROM no_such_table")
    finally:
        aiosqlite.Connection._execute = real_execute  # type: ignore[method-assign]


def test_nothing_needs_the_postgresql_pool_reset():
    """The pool skips asyncpg's reset (tracker/db.py): nothing may set session state it undoes."""
    # SQL is written in capitals here, so prose ("declare", "set up to") does not match; a
    # session SET starts its statement (UPDATE … SET is fine, and so is SET LOCAL).
    forbidden = re.compile(r"pg_advisory_lock|pg_try_advisory_lock|\bLISTEN\b|\bDECLARE\b|"
                           r"[\"']\s*SET\s+(SESSION\s+)?[a-z_.]+\s*(=|TO)\s|set_config\(")
    hits = [f"{path.relative_to(PROJECT_ROOT)}: {m.group(0)}"
            for path in Path(PROJECT_ROOT, "tracker").rglob("*.py")
            for m in forbidden.finditer(path.read_text())
            if path.name != "db.py"]
    assert hits == []


async def test_my_actions_runs_the_same_six_queries_with_no_actions_and_with_a_page_of_them(
        client, clock):
    now = clock.now()
    small, big = await _worlds(now)
    for k in range(25):
        await service.add_action(
            policy=POLICY, plan_id=big.plan_id, actor=SYSTEM, now=now,
            data=ActionIn(outcome_id=big.outcome_id, owner_user_id=big.invitee.id,
                          due_on=now.date() + timedelta(days=k - 3),
                          description=f"Walk to school together on Monday, week {k}.",
                          success_measure="Walk noted."))
    # The small world's invitee has no open action at all.
    await service.record_progress(action_id=small.action_id, status="done", note="Done.",
                                  actor=SYSTEM, now=now)
    # A first view: the version, then the page's five reads (a kept view is 2:
    # tests/staff/test_caseload_actions_kept.py).
    await _same_count(client, "/actions", (small.invitee, big.invitee), at_most=6)


async def test_a_row_that_cannot_be_read_leaves_the_shared_reader_seeing_new_writes(migrated, clock):
    """A date Python cannot hold (year 10000) fails the read; the reader must let that
    statement go, or its snapshot stays open and later reads miss everything written since
    (the dispatcher keeps the error, and so the cursor, in its report)."""
    from tests.support.factories import make_user, make_world
    from tracker.people.tables import StaffUser
    from tracker.plans.tables import Action

    world = await make_world(clock.now())
    await Action.raw("UPDATE action SET due_on = '10000-01-01' WHERE id = {}", world.action_id)
    try:
        kept_errors = []
        try:
            await Action.select(Action.due_on).where(Action.id == world.action_id)
        except (ValueError, OverflowError) as exc:  # what a year past 9999 raises, by engine
            kept_errors.append(exc)  # kept, as a report keeps it: its traceback with it
        newcomer = await make_user(clock.now(), name="Nia Newcomer")
        assert await StaffUser.exists().where(StaffUser.id == newcomer.id)
    finally:
        await Action.raw("UPDATE action SET due_on = '2026-12-08' WHERE id = {}", world.action_id)
