"""Professional accounts: creating users, password hashes, and hashed API tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from tracker import audit, tokens
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors
from tracker.people.caller import ROLES, Caller
from tracker.people.tables import ApiToken, StaffUser
from tracker.validate import check_email, check_text

# scrypt parameters: ~16 MiB and tens of milliseconds per hash on this class of machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password_sync(password: str) -> str:
    """A salted scrypt hash; CPU-heavy, so async callers use hash_password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password_sync(password: str, stored: str | None) -> bool:
    """Constant-time check of a password against its stored hash."""
    if not stored:
        # Spend the same effort so an unknown user is not told apart by timing.
        hashlib.scrypt(b"x", salt=b"0" * 16, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


async def hash_password(password: str) -> str:
    """hash_password_sync off the event loop."""
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """verify_password_sync off the event loop."""
    return await asyncio.to_thread(verify_password_sync, password, stored)


def check_password_strength(password: str) -> None:
    """At least 12 characters (NCSC advice favours length over complexity rules)."""
    if len(password) < 12:
        raise ValueError("Use a password of at least 12 characters: three random words work well.")
    if len(password) > 256:
        raise ValueError("Use a password of 256 characters or fewer.")


async def create_user(
    *, email: str, name: str, roles: list[str], actor: Actor, now: datetime,
    password: str | None = None, role_title: str = "", agency: str = "",
    phone: str | None = None,
) -> int:
    """Add a professional; roles are professional, chair, admin."""
    errors: dict[str, str] = {}
    try:
        email = check_email(email).lower()
    except ValueError as exc:
        errors["email"] = str(exc)
    try:
        name = check_text(name, field_label="a name", max_length=200)
    except ValueError as exc:
        errors["name"] = str(exc)
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        errors["roles"] = "Roles are professional, chair or admin."
    if password is not None:
        try:
            check_password_strength(password)
        except ValueError as exc:
            errors["password"] = str(exc)
    if "email" not in errors and await StaffUser.exists().where(StaffUser.email == email):
        errors["email"] = "Someone already uses this email address."
    if errors:
        raise FieldErrors(errors)
    password_hash = await hash_password(password) if password else None
    values: dict[str, Any] = {
        "email": email, "name": name, "roles": ",".join(sorted(set(roles))),
        "role_title": role_title, "agency": agency, "phone": phone,
    }
    async with atomic():
        user_id = (
            await StaffUser.insert(
                StaffUser(password_hash=password_hash, active=True, created_at=now, **values)
            ).returning(StaffUser.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="staff_user", record_id=user_id,
            action="create", changes=audit.created(values),
        )
    return user_id


async def issue_api_token(*, user_id: int, actor: Actor, now: datetime, label: str = "") -> str:
    """A new bearer token for the user; the plain token is returned once and never stored."""
    token, token_hash = tokens.issue(32, prefix="trk_")
    async with atomic():
        token_id = (
            await ApiToken.insert(
                ApiToken(user=user_id, token_hash=token_hash, label=label, created_at=now)
            ).returning(ApiToken.id)
        )[0]["id"]
        await audit.record(
            actor=actor, now=now, record_type="api_token", record_id=token_id,
            action="create", changes={"user": [None, user_id], "label": [None, label]},
        )
    return token


# Every API request looks its token up: one statement written once, not a join built per call.
_API_CALLER_SQL = """
SELECT u.id, u.name, u.email, u.roles, u.active
FROM api_token t JOIN staff_user u ON u.id = t."user"
WHERE t.token_hash = {} AND t.revoked_at IS NULL
"""


async def caller_for_token(token: str, *, now: datetime) -> Caller | None:
    """The active professional a bearer token belongs to, or None."""
    if not tokens.presented(token):
        return None
    rows = await ApiToken.raw(_API_CALLER_SQL, tokens.hash_token(token))
    if not rows or not rows[0]["active"]:
        return None
    return Caller.from_row(rows[0])


async def caller_for_user(user_id: int) -> Caller | None:
    """The active professional with this id, or None."""
    row = await StaffUser.select().where(
        (StaffUser.id == user_id) & (StaffUser.active == True)  # noqa: E712
    ).first()
    return Caller.from_row(row) if row else None
