"""Message templates: one Jinja file per channel and part, under templates/messages/.

Convention, for a template named T (e.g. ``action_due``):

- ``templates/messages/T.sms.txt``: the text message. Plain text, no autoescape. It must not
  name a child, a concern or an agency (a shared phone may show it to the wrong person) and it
  must carry the family's plan link as ``{{ link }}``, which the dispatcher makes at send time;
- ``templates/messages/T.email.subject.txt``: the email subject (one line);
- ``templates/messages/T.email.txt``: the email's plain-text body;
- ``templates/messages/T.email.html``: the email's HTML alternative (autoescaped).

Only the files for the channels a template is sent on need exist. Rendering is strict: a name
missing from the context is an error, not an empty string. Every context also has
``authority_name`` and ``base_url``, from the `Letterhead` the caller makes from its settings.
Words invite and ask ("If you'd like help…, reply…"), like the "Consider" column of the
practice guide; they never warn or blame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tracker.clock import LONDON
from tracker.settings import PROJECT_ROOT

MESSAGES_DIR = PROJECT_ROOT / "templates" / "messages"


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if "T" in text:
        return datetime.fromisoformat(text).astimezone(LONDON).date()
    return date.fromisoformat(text)


def day_short(value: Any) -> str:
    """'Tue 8 Dec' from a date, a datetime or an ISO string."""
    return _as_date(value).strftime("%a %-d %b")


def day_long(value: Any) -> str:
    """'Tuesday 8 December' from a date, a datetime or an ISO string."""
    return _as_date(value).strftime("%A %-d %B")


def time_local(value: Any) -> str:
    """'10:00am' in Europe/London from a datetime or an ISO string."""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    text = instant.astimezone(LONDON).strftime("%-I:%M%p")
    return text.replace("AM", "am").replace("PM", "pm")


def first_name(value: str) -> str:
    """The first word of a name: texts greet people by first name only."""
    return (value or "").strip().split(" ")[0]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The messages' own Jinja environment: HTML autoescaped, text files not, undefined strict."""
    env = Environment(
        loader=FileSystemLoader(str(PROJECT_ROOT / "templates")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(day_short=day_short, day_long=day_long, time_local=time_local,
                       first_name=first_name)
    return env


@dataclass(frozen=True)
class Rendered:
    """A message ready for a provider."""

    text: str
    subject: str = ""
    html: str = ""


def _render(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(f"messages/{name}").render(**context)


@dataclass(frozen=True)
class Letterhead:
    """What every message may name: the authority, and the address of the service."""

    authority_name: str
    base_url: str


def _with_defaults(context: dict[str, Any], letterhead: Letterhead) -> dict[str, Any]:
    return {"authority_name": letterhead.authority_name, "base_url": letterhead.base_url,
            **context}


def render_sms(template: str, context: dict[str, Any], *, letterhead: Letterhead) -> Rendered:
    """The text message for `template`, on one line per paragraph, trimmed."""
    text = _render(f"{template}.sms.txt", _with_defaults(context, letterhead)).strip()
    return Rendered(text=text)


def render_email(template: str, context: dict[str, Any], *, letterhead: Letterhead) -> Rendered:
    """Subject, plain text and HTML of the email for `template`."""
    ctx = _with_defaults(context, letterhead)
    subject = " ".join(_render(f"{template}.email.subject.txt", ctx).split())
    return Rendered(subject=subject, text=_render(f"{template}.email.txt", ctx).strip() + "\n",
                    html=_render(f"{template}.email.html", ctx))


def render(channel: str, template: str, context: dict[str, Any], *,
           letterhead: Letterhead) -> Rendered:
    """Render for a channel ("sms" or "email")."""
    if channel == "sms":
        return render_sms(template, context, letterhead=letterhead)
    return render_email(template, context, letterhead=letterhead)


def template_exists(channel: str, template: str) -> bool:
    """True when the files for this channel exist."""
    parts = [f"{template}.sms.txt"] if channel == "sms" else [
        f"{template}.email.subject.txt", f"{template}.email.txt", f"{template}.email.html"]
    return all((MESSAGES_DIR / p).is_file() for p in parts)
