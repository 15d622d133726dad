"""The dispatcher's heartbeat: when it last ticked cleanly, so `/health` can say it has stalled.

Kept per process, beside the dispatcher that beats it: an instance that runs no dispatcher
(`tracker serve --no-scheduler`) has no heartbeat and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass
class Heartbeat:
    """When the dispatcher started, last ticked cleanly, and since when its ticks have failed."""

    started_at: datetime
    last_success_at: datetime | None = None
    last_tick_at: datetime | None = None
    failing_since: datetime | None = None
    last_error: str = ""

    def succeeded(self, at: datetime) -> None:
        """A tick finished with every phase done."""
        self.last_tick_at = at
        self.last_success_at = at
        self.failing_since = None
        self.last_error = ""

    def failed(self, at: datetime, error: BaseException | str) -> None:
        """A tick (or one of its phases) failed; the first failure in a row starts the clock."""
        self.last_tick_at = at
        if self.failing_since is None:
            self.failing_since = at
        self.last_error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"

    def stalled(self, now: datetime, threshold: timedelta) -> bool:
        """True when there has been no clean tick for longer than `threshold`.

        That covers ticks that fail and ticks that never come (a hung job): either way nobody is
        being nudged. Before the first tick, the time since start counts.
        """
        return now - (self.last_success_at or self.started_at) > threshold

    def view(self, now: datetime, threshold: timedelta) -> dict[str, Any]:
        """What `/health` shows about the dispatcher (no message content, no addresses)."""
        return {
            "status": "stalled" if self.stalled(now, threshold) else "ok",
            "last_successful_tick": _iso(self.last_success_at),
            "last_tick": _iso(self.last_tick_at),
            "failing_since": _iso(self.failing_since),
            "stall_threshold_seconds": int(threshold.total_seconds()),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
