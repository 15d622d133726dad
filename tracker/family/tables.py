"""Piccolo tables for family access: plan links (hashed tokens) and family sessions."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tracker.plans.tables import Family, FamilyMember


class FamilyLink(Table, tablename="family_link"):
    """A no-password link to a family member's plan; only the token's SHA-256 is stored.

    One live link per member: issuing a fresh one (a nudge does) replaces the old.
    """

    member = ForeignKey(FamilyMember, index=True)
    family = ForeignKey(Family, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=40, null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


ALL_TABLES: tuple[type[Table], ...] = (FamilyLink,)
