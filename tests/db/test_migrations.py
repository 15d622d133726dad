"""The schema builds from empty, by the real migrations, on SQLite and on PostgreSQL."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tracker.audit import AuditEvent

# Read the setting directly: importing tests.conftest would run it again as a second module.
TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

EXPECTED = {"staff_user", "family", "family_member", "child", "conference", "conference_invitee",
            "plan", "outcome", "outcome_child", "action", "progress_update", "plan_message",
            "audit_event", "api_token", "family_link", "rate_limit_hit", "notify_inbound",
            "core_group_meeting", "core_group_person", "core_group_action_review"}


def migrate(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "VAR_DIR": str(tmp_path), "TRACKER_ENV": "test"}
    return subprocess.run([sys.executable, "-m", "tracker.cli", "migrate"], env=env, capture_output=True,
                          text=True, timeout=120)


def test_sqlite_schema_builds_from_empty_and_a_second_run_is_a_no_op(tmp_path):
    import sqlite3

    db = tmp_path / "fresh.db"
    first = migrate(f"sqlite:///{db}", tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    tables = {r[0] for r in sqlite3.connect(db).execute("select name from sqlite_master where type='table'")}
    assert EXPECTED <= tables
    second = migrate(f"sqlite:///{db}", tmp_path)
    assert second.returncode == 0 and "up to date" in second.stdout


def test_postgres_schema_builds_from_empty(tmp_path):
    asyncpg = pytest.importorskip("asyncpg")
    name = f"tracker_migrate_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(TEST_POSTGRES_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL at {TEST_POSTGRES_URL} is not reachable: {exc!r}")
    url = f"{TEST_POSTGRES_URL.rpartition('/')[0]}/{name}"
    try:
        result = migrate(url, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr

        async def tables() -> set[str]:
            conn = await asyncpg.connect(url)
            try:
                rows = await conn.fetch("select tablename from pg_tables where schemaname='public'")
                return {r["tablename"] for r in rows}
            finally:
                await conn.close()

        assert EXPECTED <= asyncio.run(tables())
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_audit_events_cannot_be_edited_or_deleted(migrated, clock):
    from tests.support.factories import make_world

    await make_world(clock.now())
    event = await AuditEvent.select(AuditEvent.id).first()
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.actor_label: "someone else"}).where(AuditEvent.id == event["id"])
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete().where(AuditEvent.id == event["id"])
    assert await AuditEvent.exists().where(AuditEvent.id == event["id"])
