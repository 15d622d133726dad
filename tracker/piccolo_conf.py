"""Piccolo's configuration: the engine from DATABASE_URL and the apps whose tables we migrate."""

from piccolo.conf.apps import AppRegistry

from tracker.db import engine_for
from tracker.settings import get_settings

DB = engine_for(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "tracker.plans.piccolo_app",
        "tracker.family.piccolo_app",
        "tracker.security.piccolo_app",
        "tracker.staff.piccolo_app",
        "tracker.notify.piccolo_app",
    ]
)
