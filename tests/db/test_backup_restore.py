"""scripts/backup.sh and scripts/restore.sh against PostgreSQL: dump, drop and create, restore, same rows."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DB, TEST_POSTGRES_URL
from tracker.settings import PROJECT_ROOT

pytestmark = pytest.mark.skipif(TEST_DB != "postgres", reason="backups are of PostgreSQL (TEST_DB=postgres)")
SCRIPTS = PROJECT_ROOT / "scripts"


def psql(url: str, sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-tA", "-F", " ", "-c", sql, url],
                          capture_output=True, text=True, check=check, timeout=60)


def row_counts(url: str) -> dict[str, int]:
    tables = psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").stdout.split()
    return {t: int(psql(url, f'SELECT count(*) FROM "{t}"').stdout) for t in tables}


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A database of its own, migrated and seeded with the demo by the real commands."""
    name = f"tracker_backup_{uuid.uuid4().hex[:10]}"
    server = TEST_POSTGRES_URL.rsplit("/", 1)[0]
    psql(TEST_POSTGRES_URL, f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path / "var"), "TRACKER_ENV": "development"}
    for command in (["migrate"], ["demo"]):
        subprocess.run([sys.executable, "-m", "tracker.cli", *command], env=env, check=True,
                       capture_output=True, timeout=300)
    yield url, env
    psql(TEST_POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_a_recreated_database_with_every_row(source, tmp_path: Path) -> None:
    url, env = source
    uploads = Path(env["VAR_DIR"]) / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "report-1.pdf").write_bytes(b"%PDF-1.4 a conference report")
    before = row_counts(url)
    assert before["family"] >= 1 and before["action"] >= 1 and before["audit_event"] >= 1

    made = subprocess.run([str(SCRIPTS / "backup.sh"), url, str(tmp_path / "backups")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.strip())
    assert dump.is_file() and oct(dump.stat().st_mode)[-3:] == "600"
    assert dump.with_name(dump.name.replace(".dump", ".uploads.tar.gz")).is_file()

    # Into a database that has tables, a restore refuses and changes nothing.
    refused = subprocess.run([str(SCRIPTS / "restore.sh"), str(dump), url], env=env, capture_output=True,
                             text=True, timeout=300)
    assert refused.returncode == 3 and "already has" in refused.stderr
    assert row_counts(url) == before

    # Lose everything: the database is dropped and created again, the uploads deleted.
    names = psql(url, "SELECT name FROM family ORDER BY id").stdout
    psql(url, "UPDATE family SET name = 'Changed after the backup'")
    psql(url, "CREATE TABLE stray_after_backup (id int)")
    (uploads / "report-1.pdf").unlink()
    restored = subprocess.run([str(SCRIPTS / "restore.sh"), "--replace", str(dump), url], env=env,
                              capture_output=True, text=True, timeout=600)
    assert restored.returncode == 0, restored.stderr
    after = row_counts(url)
    assert after == before  # the stray table is gone: the database was made anew
    assert psql(url, "SELECT name FROM family ORDER BY id").stdout == names
    printed = dict(line.split(" ") for line in restored.stdout.split("\n") if line.strip())
    assert {t: int(n) for t, n in printed.items()} == before
    assert (uploads / "report-1.pdf").read_bytes() == b"%PDF-1.4 a conference report"

    # The audit trail is still append-only, and new rows take fresh ids.
    assert psql(url, "UPDATE audit_event SET action = 'x'", check=False).returncode != 0
    assert psql(url, "DELETE FROM audit_event", check=False).returncode != 0
    next_id = int(psql(url, "SELECT nextval(pg_get_serial_sequence('staff_user', 'id'))").stdout)
    assert next_id > int(psql(url, "SELECT max(id) FROM staff_user").stdout)
    # The restored database is one the product works with: migrations find nothing to do.
    migrate = subprocess.run([sys.executable, "-m", "tracker.cli", "migrate"], env=env, capture_output=True,
                             text=True, timeout=300)
    assert migrate.returncode == 0 and "up to date" in migrate.stdout


def test_the_scripts_refuse_a_database_that_is_not_postgresql(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    for command in ([str(SCRIPTS / "backup.sh"), sqlite, str(tmp_path)],
                    [str(SCRIPTS / "restore.sh"), str(tmp_path / "none.dump"), sqlite]):
        answer = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert answer.returncode == 2 and "postgresql://" in answer.stderr
