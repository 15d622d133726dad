"""The `tracker` command on a fresh database: migrate, demo (idempotent), users and tokens."""

import os
import sqlite3
import subprocess
import sys

from tracker.demo_voice import HELEN_SHARED_NOTE, JESS_TO_EVERYONE, JESS_TO_SAM, SAM_REPLY


def run(tmp_path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "VAR_DIR": str(tmp_path),
           "TRACKER_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_demo_is_realistic_idempotent_and_prints_how_to_sign_in(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    first = run(tmp_path, "--now", "2026-11-24T10:00", "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    assert "priya.shah@demo.example" in first.stdout and "password" in first.stdout
    db = sqlite3.connect(tmp_path / "cli.db")
    counts = [db.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("family", "action", "plan_message", "progress_update", "audit_event")]
    again = run(tmp_path, "--now", "2026-11-24T10:00", "demo", "--if-empty")  # what `make run` does
    assert again.returncode == 0 and "demo not added" in again.stdout
    second = run(tmp_path, "--now", "2026-11-24T10:00", "demo")
    assert second.returncode == 0 and "already here" in second.stdout
    assert counts == [db.execute(f"select count(*) from {t}").fetchone()[0]
                      for t in ("family", "action", "plan_message", "progress_update", "audit_event")]
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


def test_the_demo_shows_the_family_voice_a_routine_step_and_the_shared_words(tmp_path):
    """Issues 9 and 10 as a new user meets them after `make run`, dated by the demo's clock."""
    assert run(tmp_path, "migrate").returncode == 0
    made = run(tmp_path, "--now", "2026-11-24T10:00", "demo", "--if-empty")
    assert made.returncode == 0, made.stderr
    db = sqlite3.connect(tmp_path / "cli.db")
    messages = db.execute("select m.body, m.visibility, m.channel, s.email, m.created_at "
                          "from plan_message m left join staff_user s on s.id = m.author_user "
                          "order by m.created_at").fetchall()
    assert [(b, v, c, e) for b, v, c, e, _ in messages] == [
        (JESS_TO_SAM, "lead", "family_link", None),
        (SAM_REPLY, "lead", "staff", "sam.okafor@demo.example"),
        (JESS_TO_EVERYONE, "core_group", "family_link", None)]
    assert all(at < "2026-11-24" for *_, at in messages)  # before the demo's day, not the wall clock
    assert db.execute("select count(*) from notify_outbox where template = 'staff_reply'").fetchone()[0] == 1
    shared = db.execute("select p.note, s.email from progress_update p join staff_user s "
                        "on s.id = p.author_user where p.shared_with_family").fetchall()
    assert shared == [(HELEN_SHARED_NOTE, "helen.marsh@demo.example")]
    routine = db.execute("select a.repeats, a.repeat_days, a.review_on, a.due_on, a.check_in, "
                         "m.name, o.statement from action a join family_member m on m.id = a.owner_member "
                         "join outcome o on o.id = a.outcome where a.repeats != ''").fetchall()
    assert len(routine) == 1
    repeats, days, review_on, due_on, check_in, owner, outcome = routine[0]
    assert (repeats, days, due_on, check_in, owner) == ("days", "mon,tue,wed,thu,fri", None,
                                                        "your mornings", "Jess Taylor")
    assert review_on > "2026-11-24" and "mornings" in outcome
    shares = db.execute("select share_children_views, share_family_reflections from conference "
                        "where kind = 'initial_cp'").fetchone()
    assert shares == (1, 1)
    assert db.execute("select count(*) from core_group_meeting").fetchone()[0] == 1


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
