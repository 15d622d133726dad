"""The schema side of bench/generate.py: the filled tables' secondary indexes and foreign keys
dropped before filling and rebuilt after from the definitions the migrations left (so the
finished schema is exactly the migrated one), and PostgreSQL's sequences and statistics after."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.generate import Generator

FILLED = ("staff_user", "family", "family_member", "child", "conference", "conference_invitee",
          "plan", "outcome", "outcome_child", "action", "progress_update", "notify_outbox",
          "audit_event")


async def pg_drop_secondary(conn: Any) -> list[str]:
    """PostgreSQL: drop the filled tables' foreign keys and secondary indexes (those not backing a
    primary key or unique constraint); return the statements that recreate them as they were."""
    fks = await conn.fetch(
        "SELECT format('%I', c.conname) AS name, format('%I', t.relname) AS tbl, "
        "pg_get_constraintdef(c.oid) AS def FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace s ON s.oid = t.relnamespace "
        "WHERE c.contype = 'f' AND s.nspname = current_schema() AND t.relname = ANY($1::text[]) "
        "ORDER BY t.relname, c.conname", list(FILLED))
    indexes = await conn.fetch(
        "SELECT format('%I', i.indexname) AS name, i.indexdef AS def FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "format('%I.%I', i.schemaname, i.indexname)::regclass) ORDER BY i.tablename, i.indexname",
        list(FILLED))
    for fk in fks:
        await conn.execute(f"ALTER TABLE {fk['tbl']} DROP CONSTRAINT {fk['name']}")
    for index in indexes:
        await conn.execute(f"DROP INDEX {index['name']}")
    return ([index["def"] for index in indexes] +
            [f"ALTER TABLE {fk['tbl']} ADD CONSTRAINT {fk['name']} {fk['def']}" for fk in fks])


def sqlite_drop_secondary(conn: Any) -> list[str]:
    """SQLite: drop the filled tables' explicit indexes (unique and primary keys made by the table
    definition are automatic indexes and stay); return the statements that recreate them."""
    marks = ",".join("?" for _ in FILLED)
    rows = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name", FILLED).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    return [sql for _, sql in rows]


async def rebuild(generator: Generator, statements: list[str]) -> float:
    """Recreate the dropped indexes and foreign keys, one statement each."""
    started = time.perf_counter()
    for sql in statements:
        await generator.execute(sql)
    if generator.sqlite:
        generator.conn.commit()
    took = time.perf_counter() - started
    print(f"  {len(statements)} indexes and foreign keys rebuilt in {took:6.1f} s", flush=True)
    return took


async def reset_sequences(conn: Any) -> None:
    """PostgreSQL: move each filled table's id sequence past the ids written here; vacuum."""
    for table in FILLED:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    # VACUUM as well as ANALYZE: in service autovacuum has long since marked an insert-only
    # table's pages all-visible, so counting a family's audit events is an index-only scan; left
    # to autovacuum here, that would happen at some point during the load runs, competing with them.
    await conn.execute("VACUUM (ANALYZE)")
