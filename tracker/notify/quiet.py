"""Quiet hours (pure): when a text or an email may go out, in local time; others wait, never drop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.vocabulary import LONDON


def parse_hours(value: str) -> tuple[time, time]:
    """'09:00-19:00' as (start, end); the end is exclusive."""
    start, _, end = value.partition("-")
    first, last = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    if not first < last:
        raise ValueError(f"hours {value!r} must be start-end within one day")
    return first, last


@dataclass(frozen=True)
class SendWindows:
    """The local hours and days each channel may be used."""

    sms_start: time = time(9)
    sms_end: time = time(19)
    email_start: time = time(7)
    email_end: time = time(21)
    sms_on_sundays: bool = False
    sms_on_bank_holidays: bool = False
    tz: ZoneInfo = LONDON

    def _day_allowed(self, channel: str, day: date, is_bank_holiday: Callable[[date], bool]) -> bool:
        if channel != "sms":
            return True
        if day.weekday() == 6 and not self.sms_on_sundays:
            return False
        return self.sms_on_bank_holidays or not is_bank_holiday(day)

    def hours(self, channel: str) -> tuple[time, time]:
        """The channel's (start, end) local hours."""
        return (self.sms_start, self.sms_end) if channel == "sms" else (self.email_start, self.email_end)

    def allowed(self, channel: str, instant: datetime, is_bank_holiday: Callable[[date], bool]) -> bool:
        """True when a message on `channel` may be sent at `instant`."""
        return self.next_allowed(channel, instant, is_bank_holiday) == instant

    def next_allowed(
        self, channel: str, instant: datetime, is_bank_holiday: Callable[[date], bool]
    ) -> datetime:
        """`instant` itself when allowed, else the start of the next allowed window (UTC)."""
        start, end = self.hours(channel)
        local = instant.astimezone(self.tz)
        day = local.date()
        for _ in range(400):  # a year of closed days would be a configuration error
            if self._day_allowed(channel, day, is_bank_holiday):
                opens = datetime.combine(day, start, self.tz)
                closes = datetime.combine(day, end, self.tz)
                if local < closes:
                    return instant if local >= opens else opens.astimezone(instant.tzinfo)
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)
        raise ValueError("no allowed sending window within a year")
