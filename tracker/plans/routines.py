"""Routine steps (pure): how often a step repeats, in words, and whether a day is one of its days.

A routine step repeats each day or on given weekdays and has a review-by date instead of a
deadline. Only the standard library is used here, so the SMART check and the nudge rules can
share it.
"""

from __future__ import annotations

from datetime import date

REPEATS = ("", "each_day", "days")
"""'' is a one-off step; 'each_day'; 'days' on the weekdays in repeat_days."""

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_days(text: str) -> tuple[str, ...]:
    """Stored weekdays ("mon,wed") as a tuple in week order; unknown words are dropped."""
    wanted = {part.strip().lower() for part in (text or "").split(",")}
    return tuple(day for day in WEEKDAYS if day in wanted)


def store_days(days: list[str] | tuple[str, ...]) -> str:
    """Weekdays as stored: in week order, each once, comma-separated."""
    return ",".join(parse_days(",".join(days)))


def is_routine(repeats: str | None) -> bool:
    """True for a step that repeats."""
    return repeats in ("each_day", "days")


def weekday_numbers(repeats: str | None, repeat_days: str) -> tuple[int, ...]:
    """The weekdays (Monday is 0) a routine happens on; () for a one-off step."""
    if repeats == "each_day":
        return tuple(range(7))
    if repeats == "days":
        return tuple(WEEKDAYS.index(day) for day in parse_days(repeat_days))
    return ()


def how_often(repeats: str | None, repeat_days: str) -> str | None:
    """How often, in plain words ("each day", "on Mondays and Wednesdays"), or None."""
    if repeats == "each_day":
        return "each day"
    numbers = weekday_numbers(repeats, repeat_days)
    if not numbers:
        return None
    if set(numbers) == {0, 1, 2, 3, 4}:
        return "on weekdays"
    if set(numbers) == {5, 6}:
        return "at weekends"
    names = [_DAY_NAMES[n] + "s" for n in numbers]
    if len(names) == 1:
        return f"on {names[0]}"
    return "on " + ", ".join(names[:-1]) + " and " + names[-1]


def happens_on(repeats: str | None, repeat_days: str, day: date) -> bool:
    """True when the routine happens on this day."""
    return day.weekday() in weekday_numbers(repeats, repeat_days)
