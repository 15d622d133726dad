"""Statutory conference dates (reviews, reports, core groups) over an England working calendar."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from tracker.vocabulary import CONFERENCE_KINDS

__all__ = ["CONFERENCE_KINDS"]

_ONE_DAY = timedelta(days=1)
# add_working_days answers a calendar keeps (then starts afresh): a bound on a long-lived
# process's memory, far above the dates and offsets the pages ask about.
_REMEMBERED_MOVES = 20_000


@dataclass(frozen=True)
class StatutoryRules:
    """Local-authority settings for the statutory rhythm (defaults: England's guidance)."""

    first_review_months: int = 3
    later_review_months: int = 6
    report_working_days_before: int = 2
    first_core_group_working_days: int = 10
    core_group_interval_weeks: int = 6


def _england_bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


class WorkingCalendar:
    """Working days are Monday to Friday, except the bank holidays the calendar knows."""

    def __init__(
        self,
        non_working_days: Iterable[date] = (),
        *,
        holidays_for_year: Callable[[int], Iterable[date]] | None = None,
    ) -> None:
        """Build a calendar from fixed non-working dates and/or a per-year holiday source.

        `holidays_for_year` is called at most once per year, on first use, so a calendar
        covers any year it is asked about without being told the years up front.
        """
        self._fixed = frozenset(non_working_days)
        self._holidays_for_year = holidays_for_year
        self._by_year: dict[int, frozenset[date]] = {}
        self._moved: dict[tuple[date, int], date] = {}

    @classmethod
    def england(cls, years: Iterable[int] | None = None) -> WorkingCalendar:
        """England and Wales bank holidays from `holidays`; `years` are only pre-loaded."""
        cal = cls(holidays_for_year=_england_bank_holidays)
        for year in years or ():
            cal._holidays_in(year)
        return cal

    def _holidays_in(self, year: int) -> frozenset[date]:
        if self._holidays_for_year is None:
            return frozenset()
        cached = self._by_year.get(year)
        if cached is None:
            cached = frozenset(self._holidays_for_year(year))
            self._by_year[year] = cached
        return cached

    def is_working_day(self, d: date) -> bool:
        """True on Monday to Friday when the day is not a bank holiday."""
        if isinstance(d, datetime):
            # A datetime never equals a date, so it would silently miss every bank holiday.
            raise TypeError("is_working_day expects a date, not a datetime")
        return d.weekday() < 5 and d not in self._fixed and d not in self._holidays_in(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before `d`."""
        return self.add_working_days(d, -1)

    def add_working_days(self, d: date, n: int) -> date:
        """Move `n` working days from `d` (backwards when `n` is negative).

        Counting starts from the day after (or before) `d`, so `d` itself need not be a
        working day: Saturday + 1 is Monday, Saturday - 1 is Friday. With `n == 0` the
        result is `d` when it is a working day, otherwise the next working day, so the
        result is always a working day.
        """
        # Pages ask this for every plan they list, mostly about the same few dates; a
        # calendar's days never change, so each answer is worked out once.
        moved = self._moved.get((d, n))
        if moved is None:
            moved = self._count_working_days(d, n)
            if len(self._moved) >= _REMEMBERED_MOVES:
                self._moved.clear()
            self._moved[(d, n)] = moved
        return moved

    def _count_working_days(self, d: date, n: int) -> date:
        if n == 0:
            return d if self.is_working_day(d) else self._step(d, _ONE_DAY)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        for _ in range(abs(n)):
            d = self._step(d, step)
        return d

    def _step(self, d: date, step: timedelta) -> date:
        d += step
        while not self.is_working_day(d):
            d += step
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative if `end` < `start`.

        When `end` is before `start` the answer is minus the working days after `end` up
        to and including `start`, so `working_days_between(d, add_working_days(d, n)) == n`
        for any working day `d`.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        d = start + _ONE_DAY
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += _ONE_DAY
        return count


@lru_cache(maxsize=1)
def england_calendar() -> WorkingCalendar:
    """The one shared England working calendar (each year's bank holidays load once)."""
    return WorkingCalendar.england()


def add_months(d: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


def latest_first_review(initial_conference_on: date, rules: StatutoryRules) -> date:
    """Latest date for the first review conference after an initial conference."""
    return add_months(initial_conference_on, rules.first_review_months)


def latest_next_review(review_on: date, rules: StatutoryRules) -> date:
    """Latest date for the next review conference after a review conference."""
    return add_months(review_on, rules.later_review_months)


def report_due_on(conference_on: date, cal: WorkingCalendar, rules: StatutoryRules) -> date:
    """Day reports are due: the set number of working days before the conference."""
    return cal.add_working_days(conference_on, -rules.report_working_days_before)


def first_core_group_by(
    initial_conference_on: date, cal: WorkingCalendar, rules: StatutoryRules
) -> date:
    """Latest date for the first core group meeting after an initial conference."""
    return cal.add_working_days(initial_conference_on, rules.first_core_group_working_days)


def latest_review_for(kind: str, conference_on: date, rules: StatutoryRules) -> date:
    """Latest next review after a conference of `kind` (initial_cp, review_cp, cin_review)."""
    if kind == "initial_cp":
        return latest_first_review(conference_on, rules)
    if kind in ("review_cp", "cin_review"):
        return latest_next_review(conference_on, rules)
    raise ValueError(f"unknown conference kind {kind!r}; expected one of {CONFERENCE_KINDS}")


def next_core_group_by(
    *, conference_kind: str, conference_on: date, last_meeting_on: date | None,
    cal: WorkingCalendar, rules: StatutoryRules,
) -> date:
    """The latest date the plan's next core group should meet.

    After a core group: at most the interval after it. Before the first: within the set
    working days of an initial conference, else (a plan made at a review) the interval
    after that conference.
    """
    if last_meeting_on is not None and last_meeting_on >= conference_on:
        by = last_meeting_on + timedelta(weeks=rules.core_group_interval_weeks)
    elif conference_kind == "initial_cp":
        return first_core_group_by(conference_on, cal, rules)
    else:
        by = conference_on + timedelta(weeks=rules.core_group_interval_weeks)
    # "At most so many weeks": a weekend or bank holiday moves the date back, never on.
    return by if cal.is_working_day(by) else cal.previous_working_day(by)


def non_working_day_warning(d: date, cal: WorkingCalendar, *, meetings: str = "Conferences") -> str | None:
    """A warning (never a refusal) when a conference (or a meeting) falls on a weekend or a bank holiday."""
    if cal.is_working_day(d):
        return None
    what = "a weekend day" if d.weekday() >= 5 else "a bank holiday"
    return (f"{d:%A %-d %B %Y} is {what}. {meetings} are usually held on working days: check the "
            "date with the family and everyone invited before you keep it.")


def review_interval(held_on: date, next_review_on: date | None, kind: str,
                    rules: StatutoryRules) -> timedelta:
    """From a review conference to the next review (the statutory latest when none is set)."""
    return (next_review_on or latest_review_for(kind, held_on, rules)) - held_on


def moved_due(old: date | None, interval: timedelta, today: date,
              next_review_on: date | None = None) -> date | None:
    """A carried action's due date moved on by the review interval: never before today, and
    (SMART: time-bound) not after the next review."""
    if old is None:
        return None
    moved = old + interval
    if next_review_on is not None:
        moved = min(moved, next_review_on)
    return max(moved, today)
