"""One organisation account per staff user: the OpenID Connect subject is unique where set."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T06:25:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique index on staff_user.subject (NULLs allowed, as on both databases)."

# SQLite cannot add a UNIQUE column with ALTER TABLE, while a plain CREATE UNIQUE INDEX works
# on both databases (and both let any number of rows keep a NULL subject).
STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS staff_user_subject_once ON staff_user (subject)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
