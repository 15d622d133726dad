"""Constraints Piccolo's table DDL cannot express portably, and the append-only audit trail."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T20:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Composite unique indexes; triggers that refuse to edit or delete audit events."

# A composite Unique() breaks table creation on SQLite, while a plain CREATE UNIQUE INDEX
# works on both databases.
UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS conference_invitee_once "
    "ON conference_invitee (conference, \"user\")",
    "CREATE UNIQUE INDEX IF NOT EXISTS outcome_child_once ON outcome_child (outcome, child)",
    "CREATE INDEX IF NOT EXISTS audit_event_record ON audit_event (record_type, record_id)",
]

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]

POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        statements = list(UNIQUE_INDEXES)
        if engine.engine_type == "sqlite":
            statements += SQLITE_TRIGGERS
        else:
            statements += POSTGRES_TRIGGERS
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
