"""Restorative SMART plan tracker: plans from child protection conferences, with nudges."""

import os

# Piccolo finds its engine through this module; set it before any table is used.
os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
