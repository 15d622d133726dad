"""Piccolo tables for professionals and their API tokens.

They belong to the `plans` Piccolo app (tracker/plans/piccolo_app.py lists them) because the
migrations that created them live there; the database tables keep their names, so moving the
classes here needed no data migration.
"""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StaffUser(Table, tablename="staff_user"):
    """A professional who signs in: social worker, health visitor, teacher, chair, admin."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    name = Varchar(length=200)
    email = Varchar(length=254, unique=True)
    role_title = Varchar(length=200, default="")
    agency = Varchar(length=200, default="")
    phone = Varchar(length=20, null=True, default=None)
    # Comma-separated subset of professional, chair, admin (portable across SQLite/PostgreSQL).
    roles = Varchar(length=100, default="professional")
    password_hash = Varchar(length=300, null=True, default=None, secret=True)
    active = Boolean(default=True)
    # The OpenID Connect subject ("sub") of the person's organisation account, stored at their
    # first single sign-on and matched from then on (unique where set: see the plans migration).
    subject = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # How they are nudged, their own choice on /profile: email, sms or both; texts go to
    # `mobile` (their work mobile, E.164), never naming a child or a family.
    mobile = Varchar(length=20, null=True, default=None)
    nudge_by = Varchar(length=10, default="email")


class ApiToken(Table, tablename="api_token"):
    """A bearer token for the JSON API; only its SHA-256 hash is kept."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    user = ForeignKey(StaffUser)
    token_hash = Varchar(length=64, unique=True, secret=True)
    label = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
