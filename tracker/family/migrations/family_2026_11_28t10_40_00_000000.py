"""Links that keep working: each family link keeps a random key its token is derived from."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T10:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "family_link.link_key: the per-link random key (the token is HMAC(SECRET_KEY, key))."

# NULL for links made before this: they keep working until they end, but cannot be texted
# again (their token was never kept), so the next text makes the member a new one.
STATEMENTS = [
    "ALTER TABLE family_link ADD COLUMN link_key VARCHAR(64) NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
