"""Piccolo tables for staff sign-in: sessions, password resets, calendar feeds (all hashed), and
single sign-on flows in progress."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tracker.people.tables import StaffUser


class StaffSession(Table, tablename="staff_session"):
    """A signed-in browser; only the SHA-256 of its 256-bit random id is stored.

    Kept in the database (not process memory) so every web instance shares it, and so
    signing out, a password reset or deactivation ends it everywhere at once.
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    session_hash = Varchar(length=64, unique=True, secret=True)
    user = ForeignKey(StaffUser, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    ended_reason = Varchar(length=20, null=True, default=None)  # signout, idle, absolute, ...


class PasswordReset(Table, tablename="password_reset"):
    """A single-use emailed link to set a new password; only the token's hash is stored."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    user = ForeignKey(StaffUser, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class CalendarFeed(Table, tablename="calendar_feed"):
    """A personal ICS feed behind a secret URL; revocable, one live feed per user."""

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    user = ForeignKey(StaffUser, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class OidcFlow(Table, tablename="oidc_flow"):
    """A single sign-on in progress: one browser's state, nonce and PKCE verifier.

    Kept in the database so whichever instance the provider sends the browser back to can
    finish it. Used once (the row is deleted as it is taken) and only for a few minutes; the
    state and the browser's binding cookie are stored as SHA-256 hashes.
    """

    id: Serial  # the primary key Piccolo adds; annotated for the type checker, not a column
    state_hash = Varchar(length=64, unique=True, secret=True)
    browser_hash = Varchar(length=64, secret=True)
    nonce = Varchar(length=100, secret=True)
    code_verifier = Varchar(length=128, secret=True)
    next_path = Varchar(length=2000, default="/")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)


ALL_TABLES: tuple[type[Table], ...] = (StaffSession, PasswordReset, CalendarFeed, OidcFlow)
