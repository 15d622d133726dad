"""A counter of changes to professionals' records, kept by the database itself.

Staff pages that are served again while what they show is unchanged (tracker.staff.pages.kept)
show professionals' names, agencies and whether they have left. Changes to a family are seen
through the family's audit events; a change to a professional's record is not about one
family, so this counter goes up, in the changing transaction, with every UPDATE or DELETE on
staff_user, whichever code makes it. A new professional needs no count: nobody's page shows
them until they are given work in a family, which is itself a family change.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T16:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "change_counter, and triggers counting changes to staff_user."

TABLE = ("CREATE TABLE IF NOT EXISTS change_counter "
         "(name VARCHAR(40) PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0)")
SEED = "INSERT INTO change_counter (name, n) VALUES ('staff_user', 0) ON CONFLICT (name) DO NOTHING"
# An upsert, not an UPDATE: should the row ever be missing, the count starts again rather than
# standing still (a count that stands still would let a changed page be served as unchanged).
_BUMP = ("INSERT INTO change_counter (name, n) VALUES ('staff_user', 1) "
         "ON CONFLICT (name) DO UPDATE SET n = change_counter.n + 1")

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS staff_user_changed_update AFTER UPDATE ON staff_user "
    f"BEGIN {_BUMP}; END",
    f"CREATE TRIGGER IF NOT EXISTS staff_user_changed_delete AFTER DELETE ON staff_user "
    f"BEGIN {_BUMP}; END",
]

POSTGRES_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION staff_user_changed() RETURNS trigger AS $$
    BEGIN {_BUMP}; RETURN NULL; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS staff_user_changed ON staff_user",
    """CREATE TRIGGER staff_user_changed AFTER UPDATE OR DELETE OR TRUNCATE ON staff_user
    FOR EACH STATEMENT EXECUTE FUNCTION staff_user_changed()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        statements = [TABLE, SEED]
        statements += SQLITE_TRIGGERS if engine.engine_type == "sqlite" else POSTGRES_TRIGGERS
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
