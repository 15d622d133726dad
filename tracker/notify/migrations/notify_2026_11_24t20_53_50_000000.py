"""Indexes Piccolo's table DDL cannot express: the unique nudge key and the partial claim indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T20:53:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique outbox key; partial indexes for claiming due rows and sweeping lapsed leases."

# Raw SQL because a Piccolo Unique()/partial index is not portable; these statements run on
# SQLite and PostgreSQL alike. The partial indexes hold only pending (or sending) rows, so the
# claim query reads a handful of index entries whether the table has 50 thousand or 5 million
# rows (most of which are sent, delivered or cancelled history).
STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS notify_outbox_key ON notify_outbox (key)",
    "CREATE INDEX IF NOT EXISTS notify_outbox_claim ON notify_outbox (next_attempt_at, id) "
    "WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS notify_outbox_lease ON notify_outbox (lease_expires_at) "
    "WHERE status = 'sending'",
    "CREATE INDEX IF NOT EXISTS notify_outbox_status_created ON notify_outbox (status, created_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
