"""The one token module: every secret we hand out is random, shown once, and stored only hashed.

Five kinds use it: API tokens, staff sessions, family sessions, family plan links and
calendar feeds (and password resets). Only the SHA-256 of a token is kept, so a database
reader cannot use one; a presented token is looked up by the hash of what was presented.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

# Longest token we ever issue is ~48 characters; anything much longer is not ours.
MAX_PRESENTED = 200


def hash_token(token: str) -> str:
    """SHA-256 hex of a bearer, session, link or feed token: only this is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(nbytes: int = 32, *, prefix: str = "") -> tuple[str, str]:
    """A new random token (`nbytes` of randomness, URL-safe) and the hash to store for it."""
    token = prefix + secrets.token_urlsafe(nbytes)
    return token, hash_token(token)


def presented(token: str | None) -> bool:
    """True when a presented token is worth looking up (not empty, not absurdly long)."""
    return bool(token) and len(token or "") <= MAX_PRESENTED


def matches(hash_column: Any, token: str) -> Any:
    """The query condition `hash_column == sha256(token)` (a Piccolo `Where`)."""
    return hash_column == hash_token(token)
