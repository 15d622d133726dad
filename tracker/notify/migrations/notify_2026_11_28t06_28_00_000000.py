"""One row per Twilio MessageSid: a replayed inbound webhook cannot act twice (raw SQL: portable)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T06:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique MessageSid for inbound texts."


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS notify_inbound_sid ON notify_inbound (message_sid)"
        )

    manager.add_raw(run)
    return manager
