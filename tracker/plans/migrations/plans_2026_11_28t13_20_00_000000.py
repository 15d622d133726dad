"""An index on a family's lead professional: who may see a family starts with its lead."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index family.lead_professional (the access rule, the caseload, /actions)."

# Without it, finding the families a professional leads reads every family (50,000 in
# England-sized data) on every caseload page and every /actions.
STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS family_lead_professional ON family (lead_professional)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
