"""Field checks shared by the API and the web forms: plain-English messages, nothing written.

Pure functions over plain values (`today` is an argument). The web edge (tracker/edge.py) uses
them on every request's path, query and body; the services use them on every value they write,
so a form, the API and the command line meet the same rules.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import phonenumbers
from piccolo.columns import Text, Varchar

from tracker.vocabulary import LONDON

# Every id is checked against this before it reaches the database: PostgreSQL's `integer`
# (int4) stops at 2**31 - 1 and SQLite's at 2**63 - 1, so the smaller bound holds everywhere.
ID_MAX = 2**31 - 1
# The oldest date of birth we accept, and how far ahead an unborn baby may be expected.
EARLIEST_BIRTH = date(1900, 1, 1)
EXPECTED_MONTHS_AHEAD = 10
DEFAULT_SPAN_YEARS = 5

# C0 controls except tab, line feed and carriage return; DEL; C1 controls. Never text anyone
# typed, and NUL is refused outright by PostgreSQL (a 500 before this check).
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In a one-line field (a name, an email address) tabs and line breaks are refused too.
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


def add_months(d: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (as tracker.plans.dates does)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def is_id(value: Any) -> bool:
    """True for an int that can name a row in either database (1 … 2**31 - 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX


def parse_id(raw: str) -> int | None:
    """An id typed into a form or query string, or None when it is not one.

    Only ASCII digits count: `str.isdigit` is true for "²" and "٣", which `int()` then refuses
    or reads as another number.
    """
    raw = raw.strip()
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if is_id(value) else None


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """Why this text cannot be stored (control characters, broken Unicode), or None."""
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL_ONE_LINE
    if pattern.search(value):
        if not multiline and any(c in value for c in "\t\r\n"):
            return "Keep this to one line."
        return "Remove the control characters (such as NUL) from this text."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON "\ud800") is not a character and cannot be stored as UTF-8.
        return "This text contains a broken character: please type it again."
    return None

OFCOM_DRAMA = re.compile(r"^\+447700900\d{3}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def display_phone(e164: str | None) -> str:
    """A stored number as people write it: 07700 900123 for a UK number, +48 … for others."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 44
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def normalise_mobile(raw: str, region: str = "GB") -> str:
    """A mobile number as E.164 (+447700900123); raises ValueError with a message to show."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a mobile number, like 07700 900123.") from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Ofcom reserves 07700 900000-900999 for drama: valid here so the demo and tests can
    # never text a real person, although libphonenumber calls the range unallocated.
    if OFCOM_DRAMA.match(e164):
        return e164
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a mobile number, like 07700 900123.")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("This looks like a landline: texts need a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def strip_controls(value: str) -> str:
    """Text from outside our forms (a text message) with control characters and broken
    Unicode removed, keeping line breaks: stored as sent, less what cannot be stored."""
    cleaned = _CONTROL_MULTILINE.sub("", value)
    return cleaned.encode("utf-8", "ignore").decode("utf-8") if text_problem(cleaned) else cleaned


def check_email(raw: str) -> str:
    """A trimmed email address; raises ValueError with a message to show."""
    value = raw.strip()
    if len(value) > 254 or not EMAIL_RE.match(value) or text_problem(value, multiline=False):
        raise ValueError("Enter an email address, like name@example.org.")
    return value


def check_text(
    raw: str, *, field_label: str, required: bool = True, max_length: int = 2000,
    multiline: bool = True,
) -> str:
    """Trimmed text within a length limit; raises ValueError with a message to show."""
    value = raw.strip()
    if required and not value:
        raise ValueError(f"Enter {field_label}.")
    if problem := text_problem(value, multiline=multiline):
        raise ValueError(problem)
    if len(value) > max_length:
        raise ValueError(
            f"{field_label[0].upper()}{field_label[1:]} must be {max_length} characters or fewer."
        )
    return value


def check_length(value: str, max_length: int) -> str | None:
    """A message when text is longer than its column holds, else None."""
    if len(value) > max_length:
        return f"Keep this to {max_length} characters or fewer (it has {len(value)})."
    return None


def fit_columns(table: Any, values: Mapping[str, Any], errors: dict[str, str],
                prefix: str = "", names: Mapping[str, str] | None = None) -> None:
    """Check every text value against the column it is written to, before it is written.

    A `Varchar` is one line and holds at most its length; a `Text` may span lines. Errors are
    added under the caller's field name (`names` maps column to field, `prefix` for lists).
    """
    for column_name, value in values.items():
        if not isinstance(value, str):
            continue
        column = table._meta.get_column_by_name(column_name)
        field = f"{prefix}{(names or {}).get(column_name, column_name)}"
        if field in errors:
            continue
        if isinstance(column, Varchar):
            problem = text_problem(value, multiline=False) or (
                check_length(value, column.length) if column.length is not None else None)
        elif isinstance(column, Text):
            problem = text_problem(value, multiline=True)
        else:
            problem = None
        if problem:
            errors[field] = problem


@dataclass(frozen=True)
class DateWindow:
    """The dates we accept around today: due dates, conferences, meetings and reviews."""

    today: date
    span_years: int = DEFAULT_SPAN_YEARS

    @property
    def earliest(self) -> date:
        """The first date in the window."""
        return add_months(self.today, -12 * self.span_years)

    @property
    def latest(self) -> date:
        """The last date in the window."""
        return add_months(self.today, 12 * self.span_years)

    def problem(self, value: date, label: str) -> str | None:
        """Why this date is outside the window, or None."""
        if value < self.earliest or value > self.latest:
            return (f"{label[0].upper()}{label[1:]} must be between {self.earliest:%-d %B %Y} and "
                    f"{self.latest:%-d %B %Y}.")
        return None

    def instant(self, value: datetime, label: str) -> tuple[datetime | None, str | None]:
        """A date and time as UTC (naive is read as Europe/London), or why it cannot be used.

        Extreme offsets (0001-01-01T00:00+01:00) and the edges of the calendar (9999-12-31
        23:59:59Z) cannot be converted or shown locally, so they are refused here.
        """
        try:
            local = value.replace(tzinfo=LONDON) if value.tzinfo is None else value
            offset = local.utcoffset()
            if offset is not None and abs(offset) > timedelta(hours=18):
                return None, f"{label[0].upper()}{label[1:]} has a time-zone offset we cannot use."
            utc = local.astimezone(UTC)
            shown = utc.astimezone(LONDON).date()
        except (OverflowError, ValueError):
            return None, (f"{label[0].upper()}{label[1:]} must be between "
                          f"{self.earliest:%-d %B %Y} and {self.latest:%-d %B %Y}.")
        problem = self.problem(shown, label)
        return (None, problem) if problem else (utc, None)


def birth_date_problem(value: date, today: date) -> str | None:
    """A child's date of birth: from 1900 to today."""
    if value < EARLIEST_BIRTH or value > today:
        return f"The date of birth must be between 1 January 1900 and today ({today:%-d %B %Y})."
    return None


def expected_date_problem(value: date, today: date) -> str | None:
    """An unborn baby's expected date: from a year ago to 10 months ahead."""
    latest = add_months(today, EXPECTED_MONTHS_AHEAD)
    earliest = add_months(today, -12)
    if value < earliest or value > latest:
        return (f"The expected date must be between {earliest:%-d %B %Y} and "
                f"{latest:%-d %B %Y} (at most {EXPECTED_MONTHS_AHEAD} months ahead).")
    return None
