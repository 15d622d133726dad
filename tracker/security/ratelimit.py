"""Fixed-window rate limits counted in the database, so every instance shares them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker.security.tables import RateLimitHit


@dataclass(frozen=True)
class Limit:
    """At most `attempts` in each window of `window` seconds."""

    attempts: int
    window: int


def _window_start(now: datetime, window: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window, UTC)


def _key_hash(key: str) -> str:
    # Keys hold IP addresses and emails: keep only a hash.
    return hashlib.sha256(key.encode()).hexdigest()


def retry_after(limit: Limit, now: datetime) -> int:
    """Seconds until the current window ends (for a `Retry-After` header); at least 1."""
    end = _window_start(now, limit.window) + timedelta(seconds=limit.window)
    return max(1, int((end - now).total_seconds() + 0.999))


async def hit(key: str, limit: Limit, *, now: datetime) -> bool:
    """Count one attempt for key; True while it is within the limit, False once over it."""
    return await hit_count(key, limit, now=now) <= limit.attempts


async def hit_count(key: str, limit: Limit, *, now: datetime) -> int:
    """Count one attempt for key; returns how many there have been in this window, this one too."""
    start = _window_start(now, limit.window)
    # One atomic upsert; the table-qualified column keeps PostgreSQL from finding "count"
    # ambiguous between the existing row and EXCLUDED.
    rows = await RateLimitHit.raw(
        "INSERT INTO rate_limit_hit (key_hash, window_start, count) VALUES ({}, {}, 1) "
        "ON CONFLICT (key_hash, window_start) DO UPDATE SET count = rate_limit_hit.count + 1 "
        "RETURNING count",
        _key_hash(key),
        start,
    )
    return int(rows[0]["count"])


async def attempts(key: str, limit: Limit, *, now: datetime) -> int:
    """How many attempts key has made in the current window (without counting one)."""
    row = await RateLimitHit.select(RateLimitHit.count).where(
        (RateLimitHit.key_hash == _key_hash(key))
        & (RateLimitHit.window_start == _window_start(now, limit.window))
    ).first()
    return int(row["count"]) if row else 0


async def reset(key: str) -> None:
    """Forget a key's attempts (after a successful sign-in, say)."""
    await RateLimitHit.delete().where(RateLimitHit.key_hash == _key_hash(key))


async def prune(*, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete counters from windows long past; returns how many rows went."""
    old = await RateLimitHit.delete().where(RateLimitHit.window_start < now - older_than).returning(
        RateLimitHit.id)
    return len(old)
