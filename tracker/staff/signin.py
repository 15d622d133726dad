"""Signing in and resetting a password: rate-limited, same answers whether an account exists.

Limits are fixed windows counted in the database (tracker.security.ratelimit), so they hold
across every web instance and simply expire. A lockout nobody can turn on someone (OWASP's
device cookies, tracker.staff.devices): a browser that has signed in to an account before is
counted on its own, so guesses from elsewhere never lock the owner out at their own desk;
other browsers share one allowance per account and are slowed as failures mount. The owner
can always get in by email: a reset link works whatever the counters say, completing it
clears them and makes that browser a known one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker import audit, tokens
from tracker.audit import Actor
from tracker.db import atomic
from tracker.errors import FieldErrors
from tracker.notify.outbox import enqueue
from tracker.people.accounts import check_password_strength, hash_password, verify_password
from tracker.people.caller import Caller
from tracker.people.tables import StaffUser
from tracker.security import ratelimit
from tracker.security.ratelimit import Limit
from tracker.staff.devices import DeviceToken, for_user
from tracker.staff.devices import issue as issue_device
from tracker.staff.sessions import end_user_sessions
from tracker.staff.tables import PasswordReset

log = logging.getLogger("tracker.staff")

WINDOW = 15 * 60
# Browsers not known to the account share this. Every attempt counts (so parallel guesses
# cannot slip past); success clears it.
ACCOUNT_LIMIT = Limit(attempts=5, window=WINDOW)
# Each known browser (device cookie) of an account has its own allowance, counted the same way.
DEVICE_LIMIT = Limit(attempts=5, window=WINDOW)
# Unknown browsers are slowed after this many attempts on one account in a window: the answer
# waits SLOWDOWN_FIRST seconds, doubling each attempt, to at most SLOWDOWN_MAX.
SLOWDOWN_AFTER = 2
SLOWDOWN_FIRST = 0.25
SLOWDOWN_MAX = 2.0
# Only failures count per address: a whole office behind one NAT address signs in at 9am.
ADDRESS_LIMIT = Limit(attempts=20, window=WINDOW)
RESET_ACCOUNT_LIMIT = Limit(attempts=3, window=WINDOW)
RESET_ADDRESS_LIMIT = Limit(attempts=10, window=WINDOW)
RESET_VALID_FOR = timedelta(minutes=10)
# A new account's first link: the person may not read their email for a while.
INVITE_VALID_FOR = timedelta(hours=24)

BAD_CREDENTIALS = "Enter a correct email address and password."
TOO_MANY = (
    "There have been too many attempts to sign in. Wait 15 minutes and try again, "
    "or reset your password to sign in now."
)


class SignInRefused(Exception):
    """Sign-in did not succeed; the message is safe to show (it never says which part was wrong)."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


@dataclass(frozen=True)
class SignInResult:
    """Who signed in, how long the password check took, and this browser's new device token."""

    caller: Caller
    hash_seconds: float
    device: DeviceToken


def _normal_email(email: str) -> str:
    return (email or "").strip().lower()


def account_key(email: str) -> str:
    """Rate-limit key for sign-in attempts on one account (hashed by ratelimit before storing)."""
    return f"signin:account:{_normal_email(email)}"


def address_key(address: str) -> str:
    """Rate-limit key for failed sign-ins from one client address."""
    return f"signin:address:{address}"


def slowdown(attempt: int) -> float:
    """Seconds an unknown browser's failed attempt waits: the nth on an account in a window."""
    if attempt <= SLOWDOWN_AFTER:
        return 0.0
    return min(SLOWDOWN_FIRST * 2 ** (attempt - SLOWDOWN_AFTER - 1), SLOWDOWN_MAX)


async def sign_in(*, email: str, password: str, address: str, now: datetime,
                  devices: Sequence[DeviceToken] = ()) -> SignInResult:
    """Check an email and password; raises SignInRefused with a message safe to show.

    `devices` are the genuine device tokens the browser brought (tracker.staff.devices.parse).
    """
    email = _normal_email(email)
    errors = {}
    if not email:
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 - a message, not a secret
    if errors:
        raise FieldErrors(errors)
    row = await StaffUser.select(
        StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.roles, StaffUser.active,
        StaffUser.password_hash,
    ).where(StaffUser.email == email).first()
    device = for_user(devices, row["id"] if row else None)
    attempt = 0
    if device is not None:
        # A known browser: only its own attempts count against it (OWASP: a locked-out
        # device cookie is refused; nobody else's guesses can get it there).
        if not await ratelimit.hit(device.limit_key, DEVICE_LIMIT, now=now):
            log.warning("sign-in throttled (known device over its limit)")
            raise SignInRefused(TOO_MANY, throttled=True)
    else:
        attempt = await ratelimit.hit_count(account_key(email), ACCOUNT_LIMIT, now=now)
        failures_here = await ratelimit.attempts(address_key(address), ADDRESS_LIMIT, now=now)
        if attempt > ACCOUNT_LIMIT.attempts or failures_here >= ADDRESS_LIMIT.attempts:
            log.warning("sign-in throttled (account over: %s, address over: %s)",
                        attempt > ACCOUNT_LIMIT.attempts, failures_here >= ADDRESS_LIMIT.attempts)
            raise SignInRefused(TOO_MANY, throttled=True)
    stored = row["password_hash"] if row and row["active"] else None
    started = time.perf_counter()
    # Unknown and inactive accounts still pay for one scrypt (verify_password does a dummy
    # hash for None), so timing does not tell them apart from a wrong password.
    ok = await verify_password(password, stored)
    took = time.perf_counter() - started
    if not ok or row is None:
        if device is None:
            await ratelimit.hit(address_key(address), ADDRESS_LIMIT, now=now)
            # Slowed, not just limited: a guesser's last few tries in a window take seconds.
            await asyncio.sleep(slowdown(attempt))
        raise SignInRefused(BAD_CREDENTIALS)
    await ratelimit.reset(device.limit_key if device is not None else account_key(email))
    return SignInResult(caller=Caller.from_row(row), hash_seconds=took,
                        device=issue_device(row["id"], now=now))


async def request_reset(*, email: str, address: str, now: datetime, base_url: str,
                        devices: Sequence[DeviceToken] = ()) -> str | None:
    """Email a single-use reset link when the address has an active account.

    Always looks the same to the person asking; returns the raw token (for tests) or None.
    The link goes into the outbox context because the dispatcher renders the email later;
    the token in it dies after 10 minutes, on use, or when a newer link is asked for.
    A browser known to the account asks under its own allowance, so nobody else asking for
    links can use up the owner's.
    """
    email = _normal_email(email)
    user = await StaffUser.select(StaffUser.id, StaffUser.name).where(
        (StaffUser.email == email) & (StaffUser.active == True)  # noqa: E712
    ).first() if email else None
    device = for_user(devices, user["id"] if user else None)
    if device is not None:
        within = await ratelimit.hit(f"reset:device:{device.nonce}", RESET_ACCOUNT_LIMIT, now=now)
    else:
        within_address = await ratelimit.hit(f"reset:address:{address}", RESET_ADDRESS_LIMIT,
                                             now=now)
        within_account = await ratelimit.hit(f"reset:account:{email}", RESET_ACCOUNT_LIMIT,
                                             now=now)
        within = within_address and within_account
    if not within or user is None:
        return None
    return await issue_reset(user_id=user["id"], name=user["name"], now=now, base_url=base_url)


async def issue_reset(*, user_id: int, name: str, now: datetime, base_url: str,
                      invite: bool = False) -> str:
    """Make a reset link for a user (newer links replace older ones) and queue its email.

    An invite (a new account choosing its first password) lasts 24 hours, a reset 10 minutes.
    """
    valid_for = INVITE_VALID_FOR if invite else RESET_VALID_FOR
    token, token_hash = tokens.issue(32)
    link = f"{base_url}/reset/{token}"
    async with atomic():
        # One live link per user: an older, unused link stops working.
        await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.user == user_id) & PasswordReset.used_at.is_null()
        )
        reset_id = (
            await PasswordReset.insert(
                PasswordReset(user=user_id, token_hash=token_hash, created_at=now,
                              expires_at=now + valid_for)
            ).returning(PasswordReset.id)
        )[0]["id"]
        # Same transaction: the link row and its email commit (or roll back) together.
        await enqueue(
            channel="email", template="account_invite" if invite else "password_reset",
            due_at=now, key=f"password_reset:user:{user_id}:{reset_id}",
            recipient_user_id=user_id,
            context={"name": name, "link": link,
                     "minutes": int(valid_for.total_seconds() // 60),
                     "hours": int(valid_for.total_seconds() // 3600)},
        )
    return token


async def reset_is_usable(token: str, *, now: datetime) -> bool:
    """True while a reset link is unused, unexpired and its account active."""
    return await _usable_reset(token, now=now) is not None


async def _usable_reset(token: str, *, now: datetime) -> dict | None:
    if not tokens.presented(token):
        return None
    row = await PasswordReset.select(
        PasswordReset.id, PasswordReset.expires_at,
        PasswordReset.user.id.as_alias("uid"), PasswordReset.user.name.as_alias("name"),
        PasswordReset.user.email.as_alias("email"), PasswordReset.user.active.as_alias("active"),
    ).where(
        tokens.matches(PasswordReset.token_hash, token) & PasswordReset.used_at.is_null()
    ).first()
    if row is None or not row["active"] or now >= row["expires_at"]:
        return None
    return row


async def complete_reset(*, token: str, password: str, confirm: str,
                         now: datetime) -> DeviceToken | None:
    """Set a new password through a reset link; None when the link no longer works.

    Ends every session of the account (whoever else was signed in is signed out) and clears
    its sign-in counter. The browser that used the link proved it reads the owner's email:
    the device token returned makes it a known browser of the account. Raises FieldErrors for
    a weak or mismatched password.
    """
    errors: dict[str, str] = {}
    try:
        check_password_strength(password)
    except ValueError as exc:
        errors["password"] = str(exc)
    if "password" not in errors and password != confirm:
        errors["confirm"] = "Enter the same password twice."
    row = await _usable_reset(token, now=now)
    if row is None:
        return None
    if errors:
        raise FieldErrors(errors)
    password_hash = await hash_password(password)
    async with atomic():
        # Compare-and-set: of two concurrent uses of one link, only one finds it unused.
        claimed = await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.id == row["id"]) & PasswordReset.used_at.is_null()
        ).returning(PasswordReset.id)
        if not claimed:
            return None
        await StaffUser.update({StaffUser.password_hash: password_hash}).where(
            StaffUser.id == row["uid"])
        await end_user_sessions(row["uid"], now=now, reason="password_reset")
        await audit.record(
            actor=Actor.user(row["uid"], row["name"], channel="web"), now=now,
            record_type="staff_user", record_id=row["uid"], action="update",
            changes={"password": ["(not shown)", "changed by reset link"]},
        )
    await ratelimit.reset(account_key(row["email"]))
    return issue_device(row["uid"], now=now)
