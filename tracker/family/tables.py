"""Piccolo tables for family access: plan links (hashed tokens) and family sessions."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tracker.plans.tables import Family, FamilyMember


class FamilyLink(Table, tablename="family_link"):
    """A no-password link to a family member's plan; only the token's SHA-256 is stored.

    One live link per member, reused in every text until it ends (tracker.family.links).
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    member = ForeignKey(FamilyMember, index=True)
    family = ForeignKey(Family, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=40, null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    # The random key the token is derived from with SECRET_KEY (HMAC), so the same link can be
    # texted again; useless without the server's secret. NULL on links made before 2026-11-28.
    link_key = Varchar(length=64, null=True, default=None, secret=True)


class FamilySession(Table, tablename="family_session"):
    """A family member's browser session, made when they continue from their link.

    The cookie holds a random id; only its SHA-256 is stored, so a database reader cannot
    sign in as a family member. Kept in the database so every web process shares it.
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    session_hash = Varchar(length=64, unique=True, secret=True)
    member = ForeignKey(FamilyMember, index=True)
    family = ForeignKey(Family, index=True)
    link = ForeignKey(FamilyLink, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    ended_reason = Varchar(length=40, null=True, default=None)


ALL_TABLES: tuple[type[Table], ...] = (FamilyLink, FamilySession)
