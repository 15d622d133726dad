"""Routine steps on an action (how often, which days, a review-by date, what a check-in asks
about) and the chair's share flags on a conference record."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T10:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = ("action.repeats, action.repeat_days, action.review_on, action.check_in; "
               "conference.share_children_views, conference.share_family_reflections.")

# ADD COLUMN with a constant default (or NULL) runs on both databases; existing actions are
# one-off steps ('' = does not repeat) and nothing of an existing record is shared.
STATEMENTS = [
    "ALTER TABLE action ADD COLUMN repeats VARCHAR(10) NOT NULL DEFAULT ''",
    "ALTER TABLE action ADD COLUMN repeat_days VARCHAR(30) NOT NULL DEFAULT ''",
    "ALTER TABLE action ADD COLUMN review_on DATE NULL DEFAULT NULL",
    "ALTER TABLE action ADD COLUMN check_in VARCHAR(60) NOT NULL DEFAULT ''",
    "ALTER TABLE conference ADD COLUMN share_children_views BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE conference ADD COLUMN share_family_reflections BOOLEAN NOT NULL DEFAULT FALSE",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
