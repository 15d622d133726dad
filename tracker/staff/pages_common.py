"""Small helpers the staff pages share: rendering, reading forms, dates, the web actor."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from tracker.audit import Actor
from tracker.people.caller import Caller
from tracker.validate import parse_id


def web_actor(staff: Caller) -> Actor:
    """Changes made on the staff pages are attributed to the signed-in professional."""
    return Actor.user(staff.id, staff.name, channel="web")


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for a request htmx made (it swaps the answer into part of the page)."""
    return request.headers.get("hx-request") == "true"


def render(name: str, *, status: int = 200, **context: Any) -> Template:
    """A page or partial from templates/staff/."""
    return Template(template_name=f"staff/{name}", context=context, status_code=status)


def see_other(path: str) -> Redirect:
    """After a successful form post: back to a page with GET (post/redirect/get)."""
    return Redirect(path, status_code=303)


def text(form: Mapping[str, Any], name: str) -> str:
    """One text field (the last value if sent twice), never None."""
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value)


def values(form: Mapping[str, Any], name: str) -> list[str]:
    """A field that may repeat (checkboxes), as a list."""
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def int_or_none(raw: str) -> int | None:
    """An id from a form, or None when blank, not a number, or beyond any id (see parse_id)."""
    return parse_id(raw)


def date_fields(form: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """The three GOV.UK date inputs (prefix-day, -month, -year) as typed."""
    return {part: text(form, f"{prefix}-{part}").strip() for part in ("day", "month", "year")}


def parse_date(parts: Mapping[str, str], *, label: str, required: bool = False,
               ) -> tuple[date | None, str | None]:
    """A date from GOV.UK day/month/year inputs, or a plain-English error."""
    day, month, year = parts.get("day", ""), parts.get("month", ""), parts.get("year", "")
    if not (day or month or year):
        return None, (f"Enter {label}" if required else None)
    if not (day and month and year):
        return None, f"{label[0].upper()}{label[1:]} must include a day, month and year"
    if not all(p.isascii() and p.isdigit() for p in (day, month, year)) or len(year) != 4:
        return None, f"{label[0].upper()}{label[1:]} must be a real date, like 27 3 2027"
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, f"{label[0].upper()}{label[1:]} must be a real date, like 27 3 2027"


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
        return None, f"{label[0].upper()}{label[1:]} must be a real time, like 10:00 or 14:30"
    try:
        return time(int(hours), int(minutes)), None
    except ValueError:
        return None, f"{label[0].upper()}{label[1:]} must be a real time, like 10:00 or 14:30"
