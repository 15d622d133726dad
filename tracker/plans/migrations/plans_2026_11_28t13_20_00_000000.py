"""Two indexes for the staff pages: a family's lead professional (who may see a family starts
with its lead), and the progress notes family members wrote, by action (what the family said
lately, on /actions and the caseload)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = ("Index family.lead_professional (the access rule, the caseload, /actions); "
               "index family members' progress notes by action and time.")

# Without the first, finding the families a professional leads reads every family (50,000 in
# England-sized data) on every caseload page and every /actions. The second is partial (both
# databases have them): family members write few of the notes, and without it each of a
# family's notes was read from the table to see who wrote it (a 10 ms caseload row).
STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS family_lead_professional ON family (lead_professional)",
    "CREATE INDEX IF NOT EXISTS progress_update_by_member ON progress_update (action, created_at) "
    "WHERE author_member IS NOT NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
