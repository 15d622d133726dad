"""Server-side staff sessions: the cookie, the middleware that finds the caller, role guards.

The cookie holds a 256-bit random id; the database holds only its SHA-256, so a leaked
database backup cannot be replayed as a session. Sessions live in the database (not process
memory) so every web instance shares them and ending one ends it everywhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import (
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, ExceptionHandlersMap, Message, Receive, Scope, Send

from tracker import tokens
from tracker.errors import Forbidden, NotFound
from tracker.family.routes import page as family_page
from tracker.people.caller import Caller, parse_roles
from tracker.settings import Settings
from tracker.staff.tables import StaffSession

log = logging.getLogger("tracker.staff")

COOKIE_NAME = "tracker_session"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often: idle time is measured to within a minute,
# and a page full of htmx requests does not become a write per request.
TOUCH_EVERY = timedelta(minutes=1)

# Callers of these paths are not browsers holding our cookie: they are CSRF-exempt, so a
# session cookie must never authenticate them (else a cross-site form could use it).
COOKIELESS_PREFIXES = ("/api/", "/webhooks/", "/static/", "/assets/", "/metrics")
# Deny by default: every other page needs a signed-in staff member before its handler (or
# its body parsing) runs. These are the exceptions, each with its own credential or none.
PUBLIC_PAGES = re.compile(
    r"^/(signin(/oidc(/callback)?)?|reset(/[^/]*)?|health|family(/.*)?|f/.*|calendar/[^/]+\.ics|schema(/.*)?)$"
)


async def start_session(*, user_id: int, now: datetime) -> str:
    """Open a session for the user; returns the raw id for the cookie (never stored)."""
    raw, session_hash = tokens.issue(32)  # 256 random bits
    await StaffSession.insert(
        StaffSession(
            session_hash=session_hash, user=user_id, created_at=now, last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
        )
    )
    return raw


async def end_session(raw: str, *, now: datetime, reason: str = "signout") -> None:
    """End the session behind a cookie value, if it is still open."""
    await StaffSession.update(
        {StaffSession.ended_at: now, StaffSession.ended_reason: reason}
    ).where(tokens.matches(StaffSession.session_hash, raw) & StaffSession.ended_at.is_null())


async def end_user_sessions(user_id: int, *, now: datetime, reason: str) -> int:
    """End every open session of a user (password reset, deactivation); returns how many."""
    ended = await StaffSession.update(
        {StaffSession.ended_at: now, StaffSession.ended_reason: reason}
    ).where((StaffSession.user == user_id) & StaffSession.ended_at.is_null()).returning(
        StaffSession.id
    )
    return len(ended)


# Every signed-in page looks its session up: one statement written once, not a join (and its
# aliased, deep-copied columns) built by Piccolo per request.
_SESSION_CALLER_SQL = """
SELECT s.id, s.last_seen_at, s.expires_at,
       u.id AS uid, u.name AS name, u.email AS email, u.roles AS roles, u.active AS active
FROM staff_session s JOIN staff_user u ON u.id = s."user"
WHERE s.session_hash = {} AND s.ended_at IS NULL
LIMIT 1
"""


async def caller_for_session(raw: str, *, now: datetime) -> Caller | None:
    """The active user behind a session cookie, or None; ends sessions that have timed out."""
    if not tokens.presented(raw):
        return None
    rows = await StaffSession.raw(_SESSION_CALLER_SQL, tokens.hash_token(raw))
    row = rows[0] if rows else None
    if row is None:
        return None
    reason = None
    if now >= row["expires_at"]:
        reason = "absolute"
    elif now - row["last_seen_at"] >= IDLE_TIMEOUT:
        reason = "idle"
    elif not row["active"]:
        reason = "inactive"
    if reason:
        await StaffSession.update(
            {StaffSession.ended_at: now, StaffSession.ended_reason: reason}
        ).where((StaffSession.id == row["id"]) & StaffSession.ended_at.is_null())
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        await StaffSession.update({StaffSession.last_seen_at: now}).where(
            StaffSession.id == row["id"]
        )
    return Caller(id=row["uid"], name=row["name"], email=row["email"],
                  roles=parse_roles(row["roles"]))


async def prune_sessions(*, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Delete sessions that ended or expired more than `keep` ago; returns how many went.

    Meant for the scheduler's daily housekeeping: rows past their absolute expiry can never
    open again, and a month of ended ones is enough to answer "who was signed in when".
    """
    gone = await StaffSession.delete().where(
        (StaffSession.expires_at < now - keep)
        | (StaffSession.ended_at.is_not_null() & (StaffSession.ended_at < now - keep))
    ).returning(StaffSession.id)
    return len(gone)


def session_cookie(raw: str, settings: Settings) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Lax, Secure behind https, ends with the browser."""
    return Cookie(key=COOKIE_NAME, value=raw, path="/", httponly=True, samesite="lax",
                  secure=settings.secure_cookies)


def expired_session_cookie(settings: Settings) -> Cookie:
    """A cookie that tells the browser to forget the session id."""
    return Cookie(key=COOKIE_NAME, value="", path="/", httponly=True, samesite="lax",
                  secure=settings.secure_cookies, max_age=0, expires=0)


def _cookie_value(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == COOKIE_NAME:
                    return val.strip().strip('"')
    return None


def staff_session_middleware(app: ASGIApp) -> ASGIApp:
    """Find the signed-in caller from the session cookie and put it in scope['state']['caller'].

    Runs after routing (Litestar builds middleware per route), so unknown paths cost no query.
    A cookie that no longer opens a session is cleared on the way out.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"].startswith(COOKIELESS_PREFIXES):
            await app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        raw = _cookie_value(scope)
        stale = False
        if raw:
            litestar_app = scope["app"]
            now = litestar_app.state["clock"].now()
            caller = await caller_for_session(raw, now=now)
            if caller is not None:
                state["caller"] = caller
            else:
                stale = True
        if "caller" not in state and not PUBLIC_PAGES.match(scope["path"]):
            # Raised here, the route's exception handlers answer (a 303 to /signin).
            raise NotAuthorizedException("Please sign in.")
        if not stale:
            await app(scope, receive, send)
            return
        settings: Settings = scope["app"].state["settings"]

        async def send_clearing_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                prefix = f"{COOKIE_NAME}=".encode()
                if not any(name.lower() == b"set-cookie" and value.startswith(prefix)
                           for name, value in message.get("headers", [])):
                    headers = MutableScopeHeaders.from_message(message)
                    headers.add("set-cookie", expired_session_cookie(settings).to_header(header=""))
            await send(message)

        await app(scope, receive, send_clearing_cookie)

    return middleware


def current_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller | None:
    """The signed-in staff caller of a request, if any."""
    caller = connection.scope.get("state", {}).get("caller")
    return caller if isinstance(caller, Caller) else None


def require_signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: any signed-in staff member."""
    if current_caller(connection) is None:
        raise NotAuthorizedException("Please sign in.")


def require_role(*roles: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """Guard factory: the caller must hold at least one of the roles (e.g. require_role("chair")).

    Anonymous callers are sent to sign in; signed-in callers without the role get a 403 page.
    """
    wanted = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = current_caller(connection)
        if caller is None:
            raise NotAuthorizedException("Please sign in.")
        if not caller.roles & wanted:
            raise PermissionDeniedException(
                f"This page is for {' or '.join(sorted(wanted))} accounts."
            )

    guard.__name__ = f"require_role_{'_'.join(sorted(wanted))}"
    return guard


def safe_next(value: str | None) -> str:
    """A local path to return to after signing in; anything else (another site) becomes '/'."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def is_page_path(path: str) -> bool:
    """True for paths people open in a browser (not the JSON API or webhooks)."""
    return not path.startswith(("/api/", "/webhooks/", "/schema"))


def _json(detail: str, status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response({"detail": detail}, status_code=status, headers=headers)


def not_signed_in(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """401 for the API; for pages, a 303 to /signin that comes back here afterwards."""
    if not is_page_path(request.url.path):
        return _json(exc.detail, exc.status_code, exc.headers)
    target = "/signin"
    if request.method in {"GET", "HEAD"} and request.url.path != "/":
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(safe_next(wanted), safe="")
    if request.headers.get("hx-request") == "true":
        # htmx follows a 303 inside the XHR and would swap the sign-in page into a fragment;
        # HX-Redirect makes it load the sign-in page as a whole page instead.
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """The API, webhooks and the schema always answer JSON; so does any other address for a
    client that asks for JSON and not HTML. Browsers (Accept: text/html) and clients that take
    anything get a page."""
    if not is_page_path(request.url.path) or request.url.path.startswith("/static/"):
        return True
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def is_family_path(path: str) -> bool:
    """The family's own pages (the texted link and the plan page), which never show staff links."""
    return path == "/family" or path.startswith(("/f/", "/family/"))


def _family_problem(status: int, headers: dict[str, str] | None = None) -> Template:
    kind = "form_expired" if status == 403 else "not_found"
    return family_page("family/problem.html", status_code=status, kind=kind,
                       headers=headers or {})


def forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """JSON 403 for the API; a kind 403 page for people who are signed in but lack a role."""
    detail = exc.detail if isinstance(exc, PermissionDeniedException) else str(exc)
    if wants_json(request):
        return _json(detail, 403)
    if is_family_path(request.url.path):
        return _family_problem(403)
    if "csrf" in (detail or "").lower():
        # A form older than its token (or sent from another site): nothing was saved.
        detail = ("Nothing was saved: the form had expired, or came from another website. "
                  "Go back, reload the page and try again.")
    return Template(
        template_name="staff/forbidden.html",
        context={"message": detail or "Your account cannot open this page."},
        status_code=403,
    )


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The same answer for missing and hidden records, and for addresses that do not exist:
    JSON for the API and JSON clients, a kind page in the staff or the family layout otherwise."""
    if wants_json(request):
        return _json("Not found.", 404)
    if is_family_path(request.url.path):
        return _family_problem(404)
    return Template(template_name="staff/not_found.html", context={}, status_code=404)


def method_not_allowed(request: Request[Any, Any, Any],
                       exc: MethodNotAllowedException) -> Response[Any]:
    """A form's address opened as a link (or the wrong method): a page with a way back; JSON for
    the API. The Allow header stays."""
    if wants_json(request):
        return _json(exc.detail, 405, exc.headers)
    if is_family_path(request.url.path):
        return _family_problem(405, exc.headers)
    return Template(template_name="staff/not_allowed.html", context={}, status_code=405,
                    headers=exc.headers or {})


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    NotAuthorizedException: not_signed_in,
    PermissionDeniedException: forbidden,
    Forbidden: forbidden,
    NotFound: not_found,
    NotFoundException: not_found,
    MethodNotAllowedException: method_not_allowed,
}
