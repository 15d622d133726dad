"""Piccolo app for staff sign-in: sessions, password resets, calendar feeds."""

import os

from piccolo.conf.apps import AppConfig

from tracker.staff.tables import ALL_TABLES

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="staff",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=["tracker.plans.piccolo_app"],
    commands=[],
)
