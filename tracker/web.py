"""Shared web plumbing: Jinja templates, vendored static assets, CSRF, security headers."""

from __future__ import annotations

import logging
import re
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tracker import i18n
from tracker.clock import LONDON
from tracker.settings import PROJECT_ROOT, Settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

# Paths whose callers are not browsers holding our cookies: bearer-token API, Twilio webhooks.
CSRF_EXEMPT = ["^/api/", "^/webhooks/"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def local_datetime(value: datetime | None, fmt: str = "%a %-d %b %Y, %-I:%M%p") -> str:
    """A UTC instant shown in Europe/London, e.g. 'Tue 8 Dec 2026, 10:00am'."""
    if value is None:
        return ""
    text = value.astimezone(LONDON).strftime(fmt)
    return text.replace("AM", "am").replace("PM", "pm")


def long_date(value: date | datetime | None, fmt: str = "%A %-d %B %Y") -> str:
    """A date as people read it: 'Tuesday 8 December 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return value.strftime(fmt)


def short_date(value: date | datetime | None) -> str:
    """A compact date: 'Tue 8 Dec'."""
    return long_date(value, "%a %-d %b")


STATUS_WORDS = {
    "not_started": "Not started yet",
    "in_progress": "In progress",
    "done": "Done",
    "not_achieved": "Not achieved",
    "cancelled": "No longer needed",
}


def status_words(value: str) -> str:
    """An action status in plain words."""
    return STATUS_WORDS.get(value, value.replace("_", " "))


def jinja_environment() -> Environment:
    """The one Jinja environment for pages: autoescaped, strict about missing names."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters.update(
        local_datetime=local_datetime, long_date=long_date, short_date=short_date,
        status_words=status_words,
    )
    # gettext/ngettext follow the page's `lang` (a family member's language), else English.
    i18n.install(env)
    return env


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    """Litestar's template config over our environment."""

    # Litestar calls engine_callback only when it builds the engine itself, never for an
    # `instance`, so the globals go straight onto our environment.
    env = jinja_environment()
    env.globals["authority_name"] = settings.authority_name
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF on every state-changing request from a browser."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        cookie_httponly=False,  # htmx reads it to send the x-csrftoken header
        exclude=list(CSRF_EXEMPT),
    )


def static_router() -> Any:
    """Vendored GOV.UK Frontend, htmx and our own small scripts, served from /static."""
    return create_static_files_router(path="/static", directories=[Path(STATIC_DIR)])


# Paths that carry a secret (a family link, a reset link, a calendar feed): never logged whole.
_SECRET_PATHS = re.compile(r"^/(f|reset|calendar)/[^/]+")


def redact_path(path: str) -> str:
    """A request path safe for logs: secret tokens in it are replaced."""
    return _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/[redacted]", path)


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    """Log each request (method, redacted path, status, time) instead of uvicorn's access log,
    which would write family-link, reset and calendar tokens to the log in full."""

    log = logging.getLogger("tracker.access")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, record_status)
        finally:
            log.info("%s %s %s %.0fms", scope["method"], redact_path(scope["path"]), status,
                     (time.perf_counter() - started) * 1000)

    return middleware


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    """Add protective headers to every HTTP response (handlers may set stricter ones)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                defaults = {
                    "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin",
                    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
                }
                for name, value in defaults.items():
                    if name.lower() not in {k.lower() for k in headers.keys()}:
                        headers[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
