"""bench/generate.py: the generated audit trail is the one the app would have written for the
generated rows (the same family, plan, actor and changes), every family's version counts it, the
audit triggers still refuse edits, and the schema is exactly the migrated one.

Each database is made here (a file on SQLite, a throwaway database on PostgreSQL), migrated and
filled by the real script in its own process, so the shared test database is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bench.generate import Sizes
from tests.conftest import TEST_DB

ROOT = Path(__file__).resolve().parent.parent
SCALE = 0.002  # 100 families on PostgreSQL, 10 on SQLite


class Db:
    """Plain reads on either database, rows as dicts."""

    def __init__(self, conn: Any, sqlite: bool) -> None:
        self.conn, self.sqlite = conn, sqlite

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        if self.sqlite:
            cursor = self.conn.execute(sql)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return [dict(row) for row in await self.conn.fetch(sql)]

    async def execute(self, sql: str) -> None:
        if self.sqlite:
            self.conn.execute(sql)
        else:
            await self.conn.execute(sql)

    async def schema(self) -> list[Any]:
        """Tables' columns, indexes, constraints and triggers, as the catalogue gives them."""
        if self.sqlite:
            return await self.rows("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                   "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name")
        return (await self.rows("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
                + await self.rows("SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) "
                                  "AS d FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                                  "ORDER BY 1, 2")
                + await self.rows("SELECT tgname, pg_get_triggerdef(oid) AS d FROM pg_trigger "
                                  "WHERE NOT tgisinternal ORDER BY 1")
                + await self.rows("SELECT table_name, column_name, data_type, column_default, is_nullable "
                                  "FROM information_schema.columns WHERE table_schema = 'public' "
                                  "ORDER BY 1, 2"))


def _run(database_url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PICCOLO_CONF": "tracker.piccolo_conf",
           "TRACKER_ENV": "test"}
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--database-url", database_url,
                    *args], env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)


def _migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PICCOLO_CONF": "tracker.piccolo_conf",
           "TRACKER_ENV": "test"}
    code = "import asyncio; from tracker.cli_support import run_migrations; assert asyncio.run(run_migrations())"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True,
                   timeout=300)


async def _open(url: str) -> Db:
    if url.startswith("sqlite:"):
        import sqlite3

        return Db(sqlite3.connect(url.removeprefix("sqlite:///")), sqlite=True)
    import asyncpg

    return Db(await asyncpg.connect(url), sqlite=False)


async def _close(db: Db) -> None:
    await db.conn.close() if not db.sqlite else db.conn.close()


@pytest.fixture(scope="module")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Db, Db]]:
    """(generated, only migrated)."""
    if TEST_DB == "postgres":
        import asyncpg

        admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        names = [f"tracker_gen_test_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        admin = await asyncpg.connect(admin_url)
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        urls = [f"{admin_url.rpartition('/')[0]}/{name}" for name in names]
    else:
        folder = tmp_path_factory.mktemp("generate")
        urls = [f"sqlite:///{folder / 'generated.db'}", f"sqlite:///{folder / 'migrated.db'}"]
    try:
        _run(urls[0], "--scale", str(SCALE), "--migrate")
        _migrate(urls[1])
        generated, migrated = await _open(urls[0]), await _open(urls[1])
        yield generated, migrated
        await _close(generated)
        await _close(migrated)
    finally:
        if TEST_DB == "postgres":
            for name in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


def _changes(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, (_, value) in json.loads(event["changes"]).items()}


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else datetime.fromisoformat(value).isoformat()


# record type: (the record joined to its family and plan, the fields its `changes` must match)
RECORDS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "family": ("SELECT r.*, r.id AS family_id, NULL AS plan_id FROM family r",
               lambda r: {"name": r["name"], "lead_professional": r["lead_professional"]}),
    "family_member": ("SELECT r.*, r.family AS family_id, NULL AS plan_id FROM family_member r",
                      lambda r: {"name": r["name"], "mobile": r["mobile"]}),
    "child": ("SELECT r.*, r.family AS family_id, NULL AS plan_id FROM child r",
              lambda r: {"date_of_birth": str(r["date_of_birth"])}),
    "conference": ("SELECT r.*, r.family AS family_id, NULL AS plan_id FROM conference r",
                   lambda r: {"kind": r["kind"], "chair": r["chair"], "decision": r["decision"],
                              "starts_at": _iso(r["starts_at"])}),
    "conference_invitee": ('SELECT r.*, r."user" AS user_id, c.family AS family_id, NULL AS plan_id '
                           "FROM conference_invitee r JOIN conference c ON c.id = r.conference",
                           lambda r: {"conference": r["conference"], "user": r["user_id"],
                                      "report_due_on": str(r["report_due_on"])}),
    "plan": ("SELECT r.*, r.family AS family_id, r.id AS plan_id FROM plan r",
             lambda r: {"conference": r["conference"], "version": r["version"]}),
    "outcome": ("SELECT r.*, p.family AS family_id, r.plan AS plan_id, oc.child AS child_id FROM outcome r "
                "JOIN plan p ON p.id = r.plan JOIN outcome_child oc ON oc.outcome = r.id",
                lambda r: {"statement": r["statement"], "child_ids": [r["child_id"]]}),
    "action": ("SELECT r.*, p.family AS family_id, r.plan AS plan_id FROM action r JOIN plan p ON p.id = r.plan",
               lambda r: {"description": r["description"], "outcome": r["outcome"],
                          "owner_user": r["owner_user"], "owner_member": r["owner_member"],
                          "due_on": str(r["due_on"])}),
    "progress_update": ("SELECT r.*, p.family AS family_id, a.plan AS plan_id FROM progress_update r "
                        "JOIN action a ON a.id = r.action JOIN plan p ON p.id = a.plan",
                        lambda r: {"action": r["action"], "visibility": r["visibility"]}),
}


@pytest.mark.parametrize("record_type", sorted(RECORDS))
async def test_each_generated_record_has_the_creation_event_the_app_would_write(
        databases: tuple[Db, Db], record_type: str) -> None:
    db = databases[0]
    sql, expected = RECORDS[record_type]
    records = {r["id"]: r for r in await db.rows(sql)}
    events = await db.rows(f"SELECT * FROM audit_event WHERE record_type = '{record_type}' "
                           "AND action = 'create'")
    assert records and sorted(e["record_id"] for e in events) == sorted(records)
    for event in events:
        record = records[event["record_id"]]
        assert (event["family_id"], event["plan_id"]) == (record["family_id"], record["plan_id"])
        assert _changes(event).items() >= expected(record).items(), (event, record)
        if record_type == "progress_update":
            assert (event["actor_user_id"], event["actor_member_id"], event["channel"]) == (
                record["author_user"], record["author_member"], record["channel"])


async def test_parents_and_professionals_both_write_progress_through_their_own_channels(
        databases: tuple[Db, Db]) -> None:
    kinds = await databases[0].rows("SELECT actor_kind, channel, COUNT(*) AS n FROM audit_event "
                                    "WHERE record_type = 'progress_update' GROUP BY actor_kind, channel")
    assert {(k["actor_kind"], k["channel"]) for k in kinds} == {
        ("user", "web"), ("member", "family_link"), ("member", "sms")}


async def test_professionals_have_their_own_events_outside_any_family(databases: tuple[Db, Db]) -> None:
    db = databases[0]
    staff = await db.rows("SELECT id FROM staff_user")
    events = await db.rows("SELECT record_id, action, family_id, changes FROM audit_event "
                           "WHERE record_type = 'staff_user'")
    assert sorted((e["record_id"], e["action"]) for e in events) == sorted(
        (s["id"], action) for s in staff for action in ("create", "update"))
    assert {e["family_id"] for e in events} == {None}


async def test_every_event_is_counted_and_the_sizes_say_how_many(databases: tuple[Db, Db]) -> None:
    db = databases[0]
    total = (await db.rows("SELECT COUNT(*) AS n FROM audit_event"))[0]["n"]
    assert total == Sizes.at(SCALE, sqlite=db.sqlite).audit
    superseded = await db.rows("SELECT p.id, a.id AS event FROM plan p LEFT JOIN audit_event a ON "
                               "a.record_type = 'plan' AND a.action = 'update' AND a.record_id = p.id "
                               "WHERE p.status = 'superseded'")
    assert superseded and all(row["event"] is not None for row in superseded)
    versions = await db.rows("SELECT f.id, (SELECT COUNT(*) FROM audit_event ae WHERE ae.family_id = f.id) "
                             "AS version FROM family f")
    assert min(v["version"] for v in versions) > 50  # each family's history, not an empty table


async def test_the_audit_trail_still_refuses_edits_and_the_schema_is_the_migrated_one(
        databases: tuple[Db, Db]) -> None:
    generated, migrated = databases
    assert await generated.schema() == await migrated.schema()
    refusals = ["UPDATE audit_event SET channel = 'web' WHERE id = 1", "DELETE FROM audit_event WHERE id = 1"]
    if not generated.sqlite:
        refusals.append("TRUNCATE audit_event")
    for sql in refusals:
        with pytest.raises(Exception, match="audit events are append-only"):
            await generated.execute(sql)
