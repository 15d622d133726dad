"""The `tracker` command on a fresh database: migrate, demo (idempotent), users and tokens."""

import os
import sqlite3
import subprocess
import sys


def run(tmp_path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "VAR_DIR": str(tmp_path),
           "TRACKER_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_demo_is_realistic_idempotent_and_prints_how_to_sign_in(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    first = run(tmp_path, "--now", "2026-11-24T10:00", "demo")
    assert first.returncode == 0, first.stderr
    assert "priya.shah@demo.example" in first.stdout and "password" in first.stdout
    second = run(tmp_path, "--now", "2026-11-24T10:00", "demo")
    assert second.returncode == 0 and "already here" in second.stdout
    db = sqlite3.connect(tmp_path / "cli.db")
    assert db.execute("select count(*) from family").fetchone()[0] == 1
    statuses = {r[0] for r in db.execute("select status from action")}
    assert {"not_started", "in_progress", "done"} <= statuses
    assert db.execute("select count(*) from action").fetchone()[0] >= 6
    owners = db.execute("select count(owner_member), count(owner_user) from action").fetchone()
    assert owners[0] > 0 and owners[1] > 0
    agencies = {r[0] for r in db.execute("select agency from staff_user where roles like '%professional%'")}
    assert len(agencies) >= 3
    steps = db.execute("select family_description, children_views, worries, impact, family_reflections, "
                       "what_better_looks_like, support_and_contributions from conference "
                       "where kind='initial_cp'").fetchone()
    assert all(steps)
    overdue = db.execute("select count(*) from action where due_on < '2026-11-24' and status in "
                         "('not_started','in_progress')").fetchone()[0]
    assert overdue >= 1


def test_create_user_and_api_token_print_only_what_is_asked(tmp_path):
    run(tmp_path, "migrate")
    made = run(tmp_path, "create-user", "--email", "New.Person@Example.org", "--name", "New Person",
               "--role", "professional", "--role", "chair", "--password", "a long enough password")
    assert made.returncode == 0, made.stderr
    token = run(tmp_path, "api-token", "--email", "new.person@example.org")
    assert token.returncode == 0
    assert token.stdout.strip().startswith("trk_") and len(token.stdout.strip().splitlines()) == 1
    stored = sqlite3.connect(tmp_path / "cli.db").execute("select token_hash from api_token").fetchone()[0]
    assert token.stdout.strip() not in stored and len(stored) == 64
    duplicate = run(tmp_path, "create-user", "--email", "new.person@example.org", "--name", "Again",
                    "--role", "professional", "--password", "a long enough password")
    assert duplicate.returncode == 2 and "already uses" in duplicate.stderr
    nobody = run(tmp_path, "api-token", "--email", "nobody@example.org")
    assert nobody.returncode == 2
