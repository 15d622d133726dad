"""One counter row per key and window (a raw index: composite Unique() breaks on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T20:49:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique rate limit window per key."


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="security", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS rate_limit_hit_window "
            "ON rate_limit_hit (key_hash, window_start)"
        )

    manager.add_raw(run)
    return manager
