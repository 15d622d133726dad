"""The one clock: domain code is given `now` instead of calling datetime.now()."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from tracker.vocabulary import LONDON

__all__ = ["LONDON", "Clock", "FixedClock", "SystemClock", "local_date", "parse_now"]


class Clock(Protocol):
    """Anything that can tell the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that says what it is told: `--now` on the CLI, and tests."""

    at: datetime

    def now(self) -> datetime:
        """The fixed time."""
        return self.at

    def advance(self, **kwargs: float) -> None:
        """Move the clock on, e.g. advance(days=1)."""
        self.at = self.at + timedelta(**kwargs)


def parse_now(value: str) -> datetime:
    """Parse an ISO-8601 instant for --now; a naive value is taken as Europe/London local time."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo = LONDON) -> date:
    """The calendar date in local time (Europe/London) of a UTC instant."""
    return instant.astimezone(tz).date()


def to_local(instant: datetime, tz: ZoneInfo = LONDON) -> datetime:
    """A UTC instant shown in local time."""
    return instant.astimezone(tz)
