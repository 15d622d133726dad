"""Shared web plumbing: Jinja templates, vendored static assets, CSRF, security headers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope

from tracker import i18n
from tracker.clock import LONDON
from tracker.settings import PROJECT_ROOT, Settings
from tracker.static_assets import ASSET_PREFIX, asset_route, catalogue_of
from tracker.validate import display_phone

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


# Every name a plain dict answers as an attribute (its methods and object's): the only names
# for which `getattr(a_dict, name)` does not raise AttributeError.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class DictFirstEnvironment(Environment):
    """Jinja's environment, with `row.name` on a plain dict looked up as a key straight away.

    Jinja tries `getattr(obj, name)` first and falls back to `obj[name]` on the AttributeError;
    our pages show database rows as dicts, so every `row.name` raised and caught an exception.
    A name dict itself has (`items`, `get`, ...) still goes the usual way, so results are the
    same; dict subclasses (which may add attributes or `__missing__`) go the usual way too.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def jinja_environment(*, auto_reload: bool = False) -> Environment:
    """The one Jinja environment for pages: autoescaped, strict about missing names.

    Templates are compiled once and kept (`auto_reload` off: no stat of the file on every
    render) except in development, where edits show on the next request.
    """
    env = DictFirstEnvironment(
        auto_reload=auto_reload,
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters.update(
        local_datetime=local_datetime, long_date=long_date, short_date=short_date,
        status_words=status_words, phone=display_phone,
    )
    env.globals["asset_url"] = catalogue_of(STATIC_DIR).url
    # gettext/ngettext follow the page's `lang` (a family member's language), else English.
    i18n.install(env)
    return env


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    """Litestar's template config over our environment."""

    # Litestar calls engine_callback only when it builds the engine itself, never for an
    # `instance`, so the globals go straight onto our environment.
    env = jinja_environment(auto_reload=settings.env == "development")
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


def fingerprinted_assets_route() -> HTTPRouteHandler:
    """The same files at content-hashed URLs (`asset_url` in templates), cached for a year."""
    return asset_route(catalogue_of(STATIC_DIR))


# Paths that carry a secret (a family link, a reset link, a calendar feed): never logged whole.
_SECRET_PATHS = re.compile(r"^/(f|reset|calendar)/[^/]+")


def redact_path(path: str) -> str:
    """A request path safe for logs: secret tokens in it are replaced."""
    return _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/[redacted]", path)


# Security headers on every answer: a `before_send` hook runs on the app's outermost send, so
# it also covers what never reaches a route (unrouted 404s, 405s, errors raised while routing),
# which per-route middleware does not see.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"
# Answers that hold no case data and may be cached: our vendored assets.
CACHEABLE_PREFIXES = ("/static/", ASSET_PREFIX)


def security_headers_hook(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A before-send hook adding protective headers to every HTTP answer.

    Handlers may set stricter values of their own (a family link's `no-referrer`); those are
    kept. Every answer but a static asset says `Cache-Control: no-store`: pages and API
    answers carry case data, and a shared computer's browser cache must not keep them.
    Over https, browsers are told to use https only (HSTS).
    """
    defaults = dict(SECURITY_HEADERS)
    if settings.public_base_url.startswith("https://"):
        defaults["Strict-Transport-Security"] = HSTS

    async def add_headers(message: Message, scope: Scope) -> None:
        if scope["type"] != ScopeType.HTTP or message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        present = {k.lower() for k in headers.keys()}
        wanted = dict(defaults)
        if not scope["path"].startswith(CACHEABLE_PREFIXES):
            wanted["Cache-Control"] = "no-store"
        for name, value in wanted.items():
            if name.lower() not in present:
                headers[name] = value

    return add_headers
