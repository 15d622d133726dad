"""Professionals choose how they are nudged (email, text or both) and give a work mobile for texts."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T10:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff_user.mobile (work mobile, E.164) and staff_user.nudge_by (email, sms or both)."

# `phone` stays the number families are given to ring (often a landline); `mobile` is where
# the professional's own nudges are texted, only when they choose texts.
STATEMENTS = [
    "ALTER TABLE staff_user ADD COLUMN mobile VARCHAR(20) NULL",
    "ALTER TABLE staff_user ADD COLUMN nudge_by VARCHAR(10) NOT NULL DEFAULT 'email'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
