"""Who sees the family's words: a visibility on messages and notes; staff replies; shared notes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T10:31:07:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "plan_message.visibility (lead by default) and author_user (a professional's reply); "
    "progress_update.visibility (family notes lead-only) and shared_with_family."
)

# Plain ADD COLUMN with constant defaults runs on SQLite and PostgreSQL alike. Words the family
# wrote before this change were written without a choice, so they become lead-only: widening is
# a decision the lead takes later, never one made for the family by a migration.
STATEMENTS = [
    "ALTER TABLE plan_message ADD COLUMN visibility VARCHAR(20) NOT NULL DEFAULT 'lead'",
    "ALTER TABLE plan_message ADD COLUMN author_user INTEGER NULL DEFAULT NULL "
    "REFERENCES staff_user (id)",
    "ALTER TABLE progress_update ADD COLUMN visibility VARCHAR(20) NOT NULL "
    "DEFAULT 'core_group'",
    "UPDATE progress_update SET visibility = 'lead' WHERE author_member IS NOT NULL",
    "ALTER TABLE progress_update ADD COLUMN shared_with_family BOOLEAN NOT NULL DEFAULT FALSE",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
