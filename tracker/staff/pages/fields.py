"""Single fields of the staff forms, read as typed: text, checkboxes, ids, dates, times, owners.

Each reader takes posted form data (field name -> a string, or a list of strings when the name
repeats) and never raises: a wrong value comes back as None with a plain-English message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from litestar.datastructures import UploadFile

from tracker.validate import parse_id

FormData = Mapping[str, Any]
"""Posted form data: a name maps to a string, a list of strings, or an uploaded file."""



def text(form: FormData, name: str) -> str:
    """One text field (the last value if sent twice), never None."""
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value)


def values(form: FormData, name: str) -> list[str]:
    """A field that may repeat (checkboxes), as a list."""
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def int_or_none(raw: str) -> int | None:
    """An id from a form, or None when blank, not a number, or beyond any id (see parse_id)."""
    return parse_id(raw)


def uploaded_file(form: FormData, name: str) -> UploadFile | None:
    """A file chosen in a file input, or None when none was chosen."""
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def date_fields(form: FormData, prefix: str) -> dict[str, str]:
    """The three GOV.UK date inputs (prefix-day, -month, -year) as typed."""
    return {part: text(form, f"{prefix}-{part}").strip() for part in ("day", "month", "year")}


def _capital(label: str) -> str:
    return f"{label[0].upper()}{label[1:]}"


def parse_date(parts: Mapping[str, str], *, label: str, required: bool = False,
               example: str = "27 3 2027") -> tuple[date | None, str | None]:
    """A date from GOV.UK day/month/year inputs, or a plain-English error.

    `example` is a date of the kind asked for (a past one for a date of birth).
    """
    day, month, year = parts.get("day", ""), parts.get("month", ""), parts.get("year", "")
    if not (day or month or year):
        return None, (f"Enter {label}" if required else None)
    if not (day and month and year):
        return None, f"{_capital(label)} must include a day, month and year"
    if not all(p.isascii() and p.isdigit() for p in (day, month, year)) or len(year) != 4:
        return None, f"{_capital(label)} must be a real date, like {example}"
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, f"{_capital(label)} must be a real date, like {example}"


def date_parts(value: date | None) -> dict[str, str]:
    """A stored date split for the three GOV.UK inputs."""
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def parse_time(raw: str, *, label: str) -> tuple[time | None, str | None]:
    """A 24-hour time typed as 14:30, 14.30 or 9:00, or a plain-English error."""
    raw = raw.strip().replace(".", ":")
    if not raw:
        return None, f"Enter {label}"
    hours, _, minutes = raw.partition(":")
    minutes = minutes or "00"
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()
            and len(minutes) == 2 and len(hours) <= 2):
        return None, f"{_capital(label)} must be a real time, like 10:00 or 14:30"
    try:
        return time(int(hours), int(minutes)), None
    except ValueError:
        return None, f"{_capital(label)} must be a real time, like 10:00 or 14:30"


def owner_from(raw: str) -> tuple[int | None, int | None]:
    """The owner picker's value (user:ID or member:ID) as (user id, member id)."""
    kind, _, ident = raw.partition(":")
    number = int_or_none(ident)
    if kind == "user":
        return number, None
    if kind == "member":
        return None, number
    return None, None
