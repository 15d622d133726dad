"""Staff tests share one database: start every test with no rate-limit counters."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
async def _fresh_rate_limits(migrated: None) -> None:
    """Sign-in and reset limits count per address, and every test client is 127.0.0.1."""
    from tracker.security.tables import RateLimitHit

    await RateLimitHit.delete(force=True)
