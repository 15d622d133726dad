"""A family's reference (the authority's case number) and whether an adult needs an interpreter."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T10:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "family.reference (searched in the caseload), family_member.interpreter_needed."

# ADD COLUMN with a constant default runs on both databases; the index serves the caseload's
# search by reference.
STATEMENTS = [
    "ALTER TABLE family ADD COLUMN reference VARCHAR(50) NOT NULL DEFAULT ''",
    "CREATE INDEX IF NOT EXISTS family_reference ON family (reference)",
    "ALTER TABLE family_member ADD COLUMN interpreter_needed BOOLEAN NOT NULL DEFAULT FALSE",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
