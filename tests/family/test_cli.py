"""`tracker family-link` prints a fresh plan link for the demo and for staff."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

TRACKER = str(Path(sys.executable).parent / "tracker")


def run(tmp_path, *args):  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "VAR_DIR": str(tmp_path),
           "TRACKER_ENV": "development", "PUBLIC_BASE_URL": "https://plans.example.gov.uk/"}
    return subprocess.run([TRACKER, "--now", "2026-11-24T10:00", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_family_link_prints_the_members_one_link_each_time(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "demo").returncode == 0
    db = sqlite3.connect(tmp_path / "cli.db")
    jess = db.execute("select id from family_member where name = 'Jess Taylor'").fetchone()[0]
    first = run(tmp_path, "family-link", "--member", str(jess))
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip()
    assert url.startswith("https://plans.example.gov.uk/f/") and len(url.rsplit("/", 1)[1]) >= 22
    second = run(tmp_path, "family-link", "--demo")
    assert second.returncode == 0 and second.stdout.strip() == url  # the same link: older texts keep working
    live = db.execute("select count(*) from family_link where member = ? and revoked_at is null", (jess,)).fetchone()
    assert live[0] == 1
    assert url.rsplit("/", 1)[1] not in " ".join(r[0] for r in db.execute("select token_hash from family_link"))


def test_family_link_refuses_an_adult_who_is_not_safe_to_contact_or_nobody(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "demo").returncode == 0
    db = sqlite3.connect(tmp_path / "cli.db")
    unsafe = db.execute("select id from family_member where safe_to_contact = 0").fetchone()[0]
    refused = run(tmp_path, "family-link", "--member", str(unsafe))
    assert refused.returncode == 2 and "not safe to contact" in refused.stderr and not refused.stdout
    nobody = run(tmp_path, "family-link", "--member", "99999")
    assert nobody.returncode == 2 and "no family member 99999" in nobody.stderr
