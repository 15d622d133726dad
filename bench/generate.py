"""England-sized data for the benchmarks: families, plans, actions, progress notes, outbox rows and
the audit trail all of that would have left.

Usage:
  .venv/bin/python bench/generate.py --database-url postgresql://postgres@127.0.0.1:5432/tracker_bench \\
      [--scale 1.0] [--migrate]

At `--scale 1` on PostgreSQL: about 50,000 families (two adults and a child each), 60,000 plans
(10,000 families also have an older, superseded plan), 180,000 outcomes, 1,000,000 actions,
5,000,000 progress updates (three in eight written by a parent, through their family link or by
text; the rest by professionals) and 5,000,000 outbox rows, 10,000 professionals (a tenth of
them chairs), a review conference in the next six months for every current plan, and 6,680,000
audit events: the one the app appends for each of those records' creation and each progress
update (so a family's version, the count of its events, reads a real history: about 110
events, 220 with an older plan), one for each older plan superseded, and two for each
professional (bench/generate_audit.py). On SQLite the same shape at a tenth of that (`--scale` multiplies
either). `--scale 0.001` makes a tiny set.

Written fast: every table is filled by one set-based `INSERT … SELECT` per chunk that the
database generates itself (`generate_series` on PostgreSQL, a recursive CTE on SQLite), so no
row crosses the wire from Python; that beats COPY, which still ships every row. While filling,
the filled tables' secondary indexes (and, on PostgreSQL, their foreign keys) are dropped; they
are then rebuilt from the definitions the migrations left in the catalogue (pg_indexes /
pg_constraint, sqlite_master), so the finished schema is exactly the migrated one, each index
built once in bulk and each foreign key checked once, then ANALYZE (VACUUM (ANALYZE) on
PostgreSQL). Primary keys and unique constraints stay in place throughout, and so do the
triggers that keep audit events append-only (they refuse updates, deletes and truncation, not
inserts). Ids continue from whatever the tables already hold (the demo, say), and PostgreSQL's
sequences are moved past them afterwards. Every generated professional's password is
BENCH_PASSWORD.

GENERATOR_VERSION changes whenever what is generated changes: bench/web.py --reuse keys a kept
database by it (with the migrations and the scale).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_audit import fill_audit  # noqa: E402
from bench.generate_schema import pg_drop_secondary, rebuild, reset_sequences, sqlite_drop_secondary  # noqa: E402

GENERATOR_VERSION = 3
BENCH_PASSWORD = "bench-restorative-2026"  # noqa: S105 - a throwaway benchmark database
TODAY = "2026-11-24"
NOON = "2026-11-24 10:00:00"
CHUNK = 500_000


@dataclass(frozen=True)
class Sizes:
    """How many of each to make."""

    families: int
    plans: int
    actions: int
    progress: int
    outbox: int

    @classmethod
    def at(cls, scale: float, *, sqlite: bool) -> Sizes:
        """Full size (a tenth on SQLite) times `scale`, at least enough for every page."""
        f = scale * (0.1 if sqlite else 1.0)
        families = max(4, round(50_000 * f))
        return cls(families=families, plans=max(families, round(60_000 * f)),
                   actions=max(families, round(1_000_000 * f)),
                   progress=max(families, round(5_000_000 * f)),
                   outbox=max(families, round(5_000_000 * f)))

    @property
    def staff(self) -> int:
        """One professional for every 5 families (a plan has about five around it): each
        leads about 5 families and owns about 50 actions; every tenth is also a chair."""
        return max(20, self.families // 5)

    @property
    def older(self) -> int:
        """Families that also have an older, superseded plan."""
        return self.plans - self.families

    @property
    def audit(self) -> int:
        """Audit events (bench/generate_audit.py): two for each professional, one for each
        created record and each progress update, one for each plan superseded."""
        f, plans = self.families, self.plans
        return (2 * self.staff + f + 2 * f + f + (2 * f + self.older) + 2 * f + plans + self.older
                + 3 * plans + self.actions + self.progress)


class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite

    def series(self, lo: int, hi: int) -> str:
        """A FROM item with one column `n` from lo to hi."""
        if self.sqlite:
            return (f"(WITH RECURSIVE s(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM s "
                    f"WHERE n < {hi}) SELECT n FROM s) AS g")
        return f"generate_series({lo}::bigint, {hi}::bigint) AS g(n)"

    def day(self, expr: str) -> str:
        """TODAY plus `expr` days, as a date."""
        if self.sqlite:
            return f"date('{TODAY}', ({expr}) || ' days')"
        return f"(DATE '{TODAY}' + ({expr})::int)"

    def moment(self, minutes: str) -> str:
        """NOON (UTC) plus `minutes`, as a timestamptz (SQLite: Piccolo's text form)."""
        if self.sqlite:
            return (f"(strftime('%Y-%m-%d %H:%M:%S', '{NOON}', ({minutes}) || ' minutes') "
                    f"|| '+00:00')")
        return f"(TIMESTAMPTZ '{NOON}+00' + ({minutes}) * INTERVAL '1 minute')"

    def text(self, expr: str) -> str:
        """A number as text."""
        return f"CAST({expr} AS TEXT)"

    def iso(self, minutes: str) -> str:
        """NOON (UTC) plus `minutes` as text, the way Python's isoformat writes it into JSON."""
        if self.sqlite:
            return f"(strftime('%Y-%m-%dT%H:%M:%S', '{NOON}', ({minutes}) || ' minutes') || '+00:00')"
        return (f"(to_char(TIMESTAMP '{NOON}' + ({minutes}) * INTERVAL '1 minute', "
                f"'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00')")


class Generator:
    """Fills the tables on one connection (asyncpg or sqlite3)."""

    def __init__(self, conn: Any, sizes: Sizes, *, sqlite: bool) -> None:
        self.conn = conn
        self.sizes = sizes
        self.d = Dialect(sqlite)
        self.sqlite = sqlite
        self.off: dict[str, int] = {}

    async def execute(self, sql: str) -> None:
        if self.sqlite:
            self.conn.execute(sql)
        else:
            await self.conn.execute(sql)

    async def scalar(self, sql: str) -> Any:
        if self.sqlite:
            return self.conn.execute(sql).fetchone()[0]
        return await self.conn.fetchval(sql)

    async def offsets(self, tables: list[str]) -> None:
        for table in tables:
            self.off[table] = int(await self.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))

    async def fill(self, table: str, columns: str, select: str, total: int, label: str = "") -> float:
        """INSERT … SELECT over n in 1..total, in chunks; `select` uses `n`."""
        started = time.perf_counter()
        for lo in range(1, total + 1, CHUNK):
            hi = min(lo + CHUNK - 1, total)
            await self.execute(f"INSERT INTO {table} ({columns}) SELECT {select} "
                               f"FROM {self.d.series(lo, hi)}")
            if self.sqlite:
                self.conn.commit()
        took = time.perf_counter() - started
        print(f"  {label or table:<32} {total:>10,} rows in {took:6.1f} s", flush=True)
        return took

    # Where generated rows belong, by 1-based index (add self.off[table] for an id); the audit
    # trail (bench/generate_audit.py) follows the same rules as the rows it records.
    def plan_family(self, p: str) -> str:
        """Plans 1..families are each family's current plan, the rest the older ones."""
        return f"(CASE WHEN ({p}) <= {self.sizes.families} THEN ({p}) ELSE ({p}) - {self.sizes.families} END)"

    def action_plan(self, k: str) -> str:
        return f"(1 + (({k}) - 1) % {self.sizes.plans})"

    def progress_action(self, n: str) -> str:
        return f"(1 + (({n}) - 1) % {self.sizes.actions})"

    def progress_family(self, n: str) -> str:
        return self.plan_family(self.action_plan(self.progress_action(n)))

    def lead(self, f: str) -> str:
        """The professional (index) leading family f; also who creates its records."""
        return f"(1 + ({f}) % {self.sizes.staff})"

    @staticmethod
    def progress_by(n: str) -> str:
        """Who wrote progress update n: 'link' (a parent through their family link, 1 in 4),
        'sms' (a parent by text, 1 in 8) or 'web' (a professional)."""
        return f"(CASE ({n}) % 8 WHEN 1 THEN 'link' WHEN 5 THEN 'link' WHEN 3 THEN 'sms' ELSE 'web' END)"

    def progress_member(self, n: str) -> str:
        """The parent who wrote progress update n (NULL when a professional did): parent one
        through the link, parent two by text."""
        f = self.progress_family(n)
        return (f"(CASE ({n}) % 8 WHEN 1 THEN 2 * {f} - 1 WHEN 5 THEN 2 * {f} - 1 "
                f"WHEN 3 THEN 2 * {f} ELSE NULL END)")

    def progress_user(self, n: str) -> str:
        return f"(CASE WHEN ({n}) % 8 IN (1, 3, 5) THEN NULL ELSE 1 + ({n}) % {self.sizes.staff} END)"

    async def run(self, password_hash: str) -> dict[str, int]:
        s, d, o = self.sizes, self.d, self.off
        await self.offsets(["staff_user", "family", "family_member", "child", "conference",
                            "conference_invitee", "plan", "outcome", "outcome_child", "action",
                            "progress_update", "notify_outbox", "audit_event"])
        staff, fam, older = s.staff, s.families, s.plans - s.families
        now = d.moment("0")
        user = f"({o['staff_user']} + 1 + (n % {staff}))"
        staff_id = f"{o['staff_user']} + n"
        outbox_id = f"{o['notify_outbox']} + n"
        await self.fill(
            "staff_user", "id, name, email, role_title, agency, roles, password_hash, active, created_at",
            f"{o['staff_user']} + n, 'Bench professional ' || {d.text('n')}, "
            f"'bench' || {d.text(staff_id)} || '@bench.example', 'Social worker', "
            f"'Bench agency', CASE WHEN n % 10 = 2 THEN 'professional,chair' ELSE 'professional' END, "
            f"'{password_hash}', TRUE, {now}", staff)
        await self.fill(
            "family", "id, name, lead_professional, status, created_at",
            f"{o['family']} + n, 'Bench family ' || {d.text('n')}, {user}, 'open', {now}", fam)
        await self.fill(
            "family_member", "id, family, name, relationship, mobile, preferred_channel, "
            "sms_consent, safe_to_contact, language, created_at",
            f"{o['family_member']} + n, {o['family']} + (n + 1) / 2, "
            f"CASE WHEN n % 2 = 1 THEN 'Parent one' ELSE 'Parent two' END, 'Parent', "
            f"'+447700' || substr('000000' || {d.text('n')}, -6, 6), 'sms', TRUE, TRUE, 'en', {now}",
            2 * fam)
        await self.fill("child", "id, family, name, date_of_birth",
                        f"{o['child']} + n, {o['family']} + n, 'Child', {d.day('-3000 - n % 4000')}", fam)
        # Conferences: n <= fam made each family's current plan; fam < n <= fam + older made
        # the older plans; the last `fam` are each family's next review, spread over 26 weeks.
        chair = f"({o['staff_user']} + 2 + 10 * (n % ({staff} / 10)))"
        conf_family = (f"{o['family']} + CASE WHEN n <= {fam} THEN n WHEN n <= {fam + older} "
                       f"THEN n - {fam} ELSE n - {fam + older} END")
        await self.fill(
            "conference", "id, family, kind, starts_at, chair, decision, categories, next_review_on, "
            "created_at",
            f"{o['conference']} + n, {conf_family}, "
            f"CASE WHEN n <= {fam + older} THEN 'initial_cp' ELSE 'review_cp' END, "
            f"CASE WHEN n <= {fam + older} THEN {d.moment('-1440 * (30 + n % 200)')} "
            f"ELSE {d.moment('1440 * (1 + n % 182)')} END, {chair}, "
            f"CASE WHEN n <= {fam + older} THEN 'cp_plan' ELSE NULL END, 'neglect', "
            f"{d.day('90')}, {now}", 2 * fam + older)
        await self.fill(
            "conference_invitee", 'id, conference, "user", report_due_on, report_submitted_at',
            f"{o['conference_invitee']} + n, {o['conference']} + {fam + older} + (n + 1) / 2, "
            f"{o['staff_user']} + 1 + (n % {staff}), {d.day('n % 180')}, "
            f"CASE WHEN n % 3 = 0 THEN {now} ELSE NULL END", 2 * fam)
        await self.fill(
            "plan", "id, family, conference, kind, status, version, started_at",
            f"{o['plan']} + n, {o['family']} + CASE WHEN n <= {fam} THEN n ELSE n - {fam} END, "
            f"{o['conference']} + n, 'child_protection', "
            f"CASE WHEN n <= {fam} THEN 'active' ELSE 'superseded' END, "
            f"CASE WHEN n <= {fam} AND n <= {older} THEN 2 ELSE 1 END, {now}", s.plans)
        plans = s.plans
        await self.fill(
            "outcome", "id, plan, statement, measure, position",
            f"{o['outcome']} + n, {o['plan']} + (n + 2) / 3, "
            f"'The children are safe and well at home, part ' || {d.text('n % 3')}, "
            f"'Seen and heard at each visit.', n % 3", 3 * plans)
        await self.fill("outcome_child", "id, outcome, child",
                        f"{o['outcome_child']} + n, {o['outcome']} + n, "
                        f"{o['child']} + 1 + ((n + 2) / 3 - 1) % {fam}", 3 * plans)
        # Action n belongs to plan ((n - 1) % plans) + 1 and one of its three outcomes.
        plan_of = f"(1 + (n - 1) % {plans})"
        member = f"({o['family_member']} + 2 * (1 + ((n - 1) % {plans}) % {fam}) - 1)"
        await self.fill(
            "action", "id, plan, outcome, description, owner_user, owner_member, support_offered, "
            "due_on, success_measure, status, created_at, updated_at",
            f"{o['action']} + n, {o['plan']} + {plan_of}, "
            f"{o['outcome']} + 3 * ({plan_of} - 1) + 1 + (n / {plans}) % 3, "
            f"'Meet at the school gate each Monday to plan the week, step ' || {d.text('n')}, "
            f"CASE WHEN n % 2 = 0 THEN {user} ELSE NULL END, "
            f"CASE WHEN n % 2 = 1 THEN {member} ELSE NULL END, '', {d.day('(n % 120) - 30')}, "
            f"'Four Monday meetings noted by the school.', "
            f"CASE n % 5 WHEN 0 THEN 'done' WHEN 1 THEN 'in_progress' ELSE 'not_started' END, "
            f"{now}, {now}", s.actions)
        by = self.progress_by("n")
        await self.fill(
            "progress_update", "id, action, author_user, author_member, from_status, to_status, note, "
            "channel, visibility, created_at",
            f"{o['progress_update']} + n, {o['action']} + {self.progress_action('n')}, "
            f"{o['staff_user']} + {self.progress_user('n')}, "
            f"{o['family_member']} + {self.progress_member('n')}, 'not_started', 'in_progress', "
            f"'Went well this week.', CASE {by} WHEN 'link' THEN 'family_link' ELSE {by} END, "
            f"CASE {by} WHEN 'web' THEN 'core_group' ELSE 'lead' END, {d.moment('-(n % 100000)')}",
            s.progress)
        await self.fill(
            "notify_outbox", "key, rule, channel, template, context, recipient_user, status, due_at, "
            "attempts, next_attempt_at, error_text, subject, body_preview, created_at, updated_at",
            f"'bench:' || {d.text(outbox_id)}, 'action_due', "
            f"CASE WHEN n % 3 = 0 THEN 'sms' ELSE 'email' END, 'action_due', '{{}}', {user}, "
            f"CASE WHEN n % 200 = 0 THEN 'pending' WHEN n % 100 < 80 THEN 'delivered' "
            f"WHEN n % 100 < 95 THEN 'sent' WHEN n % 100 < 98 THEN 'cancelled' ELSE 'failed' END, "
            f"{d.moment('-(n % 50000)')}, 1, "
            f"CASE WHEN n % 200 = 0 THEN {d.moment('1440 * 30')} ELSE {d.moment('-(n % 50000)')} END, "
            f"'', '', '', {now}, {now}", s.outbox)
        written = await fill_audit(self)
        assert written == s.audit, (written, s.audit)
        return self.off


async def generate(database_url: str, scale: float) -> dict[str, Any]:
    """Fill an already migrated database; returns the sizes and the id offsets used."""
    from tracker.people.accounts import hash_password

    sqlite = database_url.startswith("sqlite:")
    sizes = Sizes.at(scale, sqlite=sqlite)
    password_hash = await hash_password(BENCH_PASSWORD)
    print(f"generating {sizes} into {database_url.rsplit('@', 1)[-1]}", flush=True)
    started = time.perf_counter()
    if sqlite:
        import sqlite3

        from tracker.db import sqlite_path

        conn = sqlite3.connect(sqlite_path(database_url))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        try:
            generator = Generator(conn, sizes, sqlite=True)
            recreate = sqlite_drop_secondary(conn)
            offsets = await generator.run(password_hash)
            await rebuild(generator, recreate)
            conn.execute("ANALYZE")
            conn.commit()
        finally:
            conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await pg.execute("SET synchronous_commit = off")
            await pg.execute("SET maintenance_work_mem = '512MB'")
            generator = Generator(pg, sizes, sqlite=False)
            recreate = await pg_drop_secondary(pg)
            offsets = await generator.run(password_hash)
            await rebuild(generator, recreate)
            await reset_sequences(pg)
        finally:
            await pg.close()
    took = time.perf_counter() - started
    print(f"generated in {took:.1f} s", flush=True)
    return {"sizes": sizes, "offsets": offsets, "seconds": took}


async def main(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
    if args.migrate:
        from tracker.cli_support import run_migrations

        assert await run_migrations()
    await generate(args.database_url, args.scale)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), required=False)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the sizes (1 = England: 1,000,000 actions on PostgreSQL)")
    parser.add_argument("--migrate", action="store_true", help="run the migrations first")
    ns = parser.parse_args()
    if not ns.database_url:
        parser.error("--database-url (or DATABASE_URL) is needed")
    asyncio.run(main(ns))
