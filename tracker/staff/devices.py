"""Device cookies: a browser that has signed in to an account before is known to it.

OWASP's "Slow Down Online Guessing Attacks with Device Cookies": after a successful sign-in the
browser is given a token naming the account and a random nonce, signed (HMAC-SHA256) with the
app's secret. Guesses from other browsers lock out only *other* browsers of that account; a
known browser's failures count under its own nonce. So someone typing wrong passwords at a
worker's email from anywhere cannot stop that worker signing in at their own desk.

The token is not a credential: the password is still needed, and a stolen token buys only its
own small allowance of guesses. Nothing about it is stored server-side except rate-limit
counters under a hash of the nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar.datastructures import Cookie

from tracker.settings import Settings

COOKIE_NAME = "tracker_device"
TRUST_FOR = timedelta(days=180)
"""A browser stays known this long after its last successful sign-in."""
MAX_ACCOUNTS = 5
"""Accounts one browser remembers (a shared office computer), most recent first."""
_VERSION = "d1"
_SEPARATOR = "~"


@dataclass(frozen=True)
class DeviceToken:
    """One account's token in a browser: who, which nonce, and when it was issued (epoch s)."""

    user_id: int
    nonce: str
    issued: int

    @property
    def limit_key(self) -> str:
        """The rate-limit key this browser's attempts on its account are counted under."""
        return f"signin:device:{self.nonce}"


def _mac(secret: str, user_id: int, nonce: str, issued: int) -> str:
    message = f"device-cookie:{_VERSION}:{user_id}:{nonce}:{issued}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(user_id: int, *, now: datetime) -> DeviceToken:
    """A fresh token for a browser that has just signed in (a new nonce every time)."""
    return DeviceToken(user_id=user_id, nonce=secrets.token_urlsafe(16), issued=int(now.timestamp()))


def encode(token: DeviceToken, secret: str) -> str:
    """The token as it travels in the cookie: version, account, nonce, issued, signature."""
    mac = _mac(secret, token.user_id, token.nonce, token.issued)
    return f"{_VERSION}.{token.user_id}.{token.nonce}.{token.issued}.{mac}"


def _decode(text: str, secret: str) -> DeviceToken | None:
    parts = text.split(".")
    if len(parts) != 5 or parts[0] != _VERSION:
        return None
    _, uid, nonce, issued, mac = parts
    if not (uid.isascii() and uid.isdigit() and issued.isascii() and issued.isdigit()):
        return None
    if len(uid) > 12 or len(issued) > 12 or not 16 <= len(nonce) <= 64:
        return None
    if not hmac.compare_digest(mac, _mac(secret, int(uid), nonce, int(issued))):
        return None
    return DeviceToken(user_id=int(uid), nonce=nonce, issued=int(issued))


def parse(value: str | None, *, secret: str, now: datetime) -> list[DeviceToken]:
    """The genuine, unexpired tokens in a cookie value; anything forged or stale is dropped."""
    if not value or len(value) > 2000:
        return []
    oldest = now - TRUST_FOR
    tokens = []
    for part in value.split(_SEPARATOR)[:MAX_ACCOUNTS]:
        token = _decode(part.strip(), secret)
        if token is not None and datetime.fromtimestamp(token.issued, UTC) > oldest:
            tokens.append(token)
    return tokens


def for_user(tokens: Sequence[DeviceToken], user_id: int | None) -> DeviceToken | None:
    """This browser's token for an account, if it has one."""
    if user_id is None:
        return None
    return next((t for t in tokens if t.user_id == user_id), None)


def cookie(tokens: Sequence[DeviceToken], new: DeviceToken, settings: Settings) -> Cookie:
    """The cookie remembering `new` first, then the browser's other accounts (at most 5).

    HttpOnly (no script needs it), SameSite=Lax, Secure behind https; it outlives the
    browser session on purpose, for TRUST_FOR.
    """
    kept = [new, *(t for t in tokens if t.user_id != new.user_id)][:MAX_ACCOUNTS]
    value = _SEPARATOR.join(encode(t, settings.secret_key) for t in kept)
    return Cookie(key=COOKIE_NAME, value=value, path="/", httponly=True, samesite="lax",
                  secure=settings.secure_cookies, max_age=int(TRUST_FOR.total_seconds()))
