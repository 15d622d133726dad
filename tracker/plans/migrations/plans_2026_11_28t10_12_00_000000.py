"""Core group meetings: the meeting and its record, who was invited and came, the actions reviewed."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T10:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tables core_group_meeting, core_group_person and core_group_action_review."

# Written as the DDL Piccolo itself emits for these columns, so both databases read the
# values back as Piccolo expects (TIMESTAMPTZ and BOOLEAN are declared types on SQLite too).
# {pk} is the only difference: SQLite's INTEGER PRIMARY KEY, PostgreSQL's SERIAL.
_FK = "INTEGER REFERENCES \"{table}\" (\"id\") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null"

TABLES = [
    f"""CREATE TABLE IF NOT EXISTS "core_group_meeting" (
        "id" {{pk}},
        "plan" {_FK.format(table="plan")},
        "family" {_FK.format(table="family")},
        "starts_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
        "arranged_by" {_FK.format(table="staff_user")},
        "better" TEXT NOT NULL DEFAULT '',
        "family_view" TEXT NOT NULL DEFAULT '',
        "children_view" TEXT NOT NULL DEFAULT '',
        "next_steps" TEXT NOT NULL DEFAULT '',
        "recorded_at" TIMESTAMPTZ DEFAULT null,
        "recorded_by" {_FK.format(table="staff_user")},
        "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
    )""",
    f"""CREATE TABLE IF NOT EXISTS "core_group_person" (
        "id" {{pk}},
        "meeting" {_FK.format(table="core_group_meeting")},
        "user" {_FK.format(table="staff_user")},
        "member" {_FK.format(table="family_member")},
        "invited" BOOLEAN NOT NULL DEFAULT false,
        "attended" BOOLEAN NOT NULL DEFAULT false
    )""",
    f"""CREATE TABLE IF NOT EXISTS "core_group_action_review" (
        "id" {{pk}},
        "meeting" {_FK.format(table="core_group_meeting")},
        "action" {_FK.format(table="action")},
        "progress_update" {_FK.format(table="progress_update")},
        "status" VARCHAR(20) NOT NULL DEFAULT '',
        "note" TEXT NOT NULL DEFAULT ''
    )""",
]

INDEXES = [
    'CREATE INDEX IF NOT EXISTS core_group_meeting_plan ON "core_group_meeting" ("plan")',
    'CREATE INDEX IF NOT EXISTS core_group_meeting_family ON "core_group_meeting" ("family")',
    'CREATE INDEX IF NOT EXISTS core_group_meeting_starts_at ON "core_group_meeting" ("starts_at")',
    'CREATE INDEX IF NOT EXISTS core_group_person_meeting ON "core_group_person" ("meeting")',
    'CREATE INDEX IF NOT EXISTS core_group_person_user ON "core_group_person" ("user")',
    'CREATE INDEX IF NOT EXISTS core_group_person_member ON "core_group_person" ("member")',
    'CREATE INDEX IF NOT EXISTS core_group_action_review_meeting ON "core_group_action_review" ("meeting")',
    'CREATE INDEX IF NOT EXISTS core_group_action_review_action ON "core_group_action_review" ("action")',
    # One row per person per meeting, and one review per action per meeting (NULLs allowed).
    'CREATE UNIQUE INDEX IF NOT EXISTS core_group_person_user_once ON core_group_person (meeting, "user")',
    "CREATE UNIQUE INDEX IF NOT EXISTS core_group_person_member_once ON core_group_person (meeting, member)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_group_action_review_once "
    "ON core_group_action_review (meeting, action)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="plans", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        pk = "INTEGER PRIMARY KEY NOT NULL" if engine.engine_type == "sqlite" else "SERIAL PRIMARY KEY"
        for statement in TABLES:
            await engine.run_ddl(statement.replace("{pk}", pk))
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
