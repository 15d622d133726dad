"""Piccolo app for nudges: the outbox and the console backends' record."""

import os

from piccolo.conf.apps import AppConfig

from tracker.notify.tables import ALL_TABLES

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="notify",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=["tracker.plans.piccolo_app"],
    commands=[],
)
