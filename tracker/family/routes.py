"""Family pages: the texted link (/f/{token}), the plan page (/family), and the lead's revoke API.

Thin handlers: they read the form, call one service function and render a page. Every family
response says `Referrer-Policy: no-referrer` and `Cache-Control: no-store`, so the link's token
does not leak to other sites or stay in a shared phone's cache, and every error on these paths
is a plain-English page rather than JSON.
"""

from __future__ import annotations

import html
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from tracker.api_responses import error_responses
from tracker.audit import Actor
from tracker.errors import FieldErrors, NotFound
from tracker.family import our_plan, service
from tracker.family.api_types import RevokedLinksOut
from tracker.family.links import LinkHolder, resolve_token, revoke_member_links
from tracker.family.message_routes import PlanMessagesController
from tracker.family.sessions import (
    COOKIE_NAME,
    COOKIE_PATH,
    FamilyAccess,
    end_session,
    resolve_session,
    start_session,
)
from tracker.i18n import language_name, language_used
from tracker.notify.quiet import SendWindows
from tracker.people.caller import Caller
from tracker.plans.access import require_manage
from tracker.plans.read_cache import app_cache
from tracker.plans.tables import FamilyMember
from tracker.plans.visibility import LEAD
from tracker.security.ratelimit import Limit, attempts, hit, retry_after
from tracker.web import redact_path

log = logging.getLogger("tracker.family")

FAMILY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
# Link guessing, limited two ways. Per address, only BAD guesses count (unknown, expired or
# stopped links), and a real link opens even from an address over its limit: a family hub, a
# refuge's wifi or a mobile network's shared address put many families behind one address,
# and one person's mistyped or old links must not lock the others out. Per token (per live
# link), its opens count, generously (opening is a look and a continue: two a visit), so one
# link cannot be hammered. Guessing a 256-bit token stays hopeless either way.
BAD_GUESS_LIMIT = Limit(attempts=30, window=15 * 60)
TOKEN_LIMIT = Limit(attempts=60, window=15 * 60)


class FamilySignedOut(Exception):
    """No live family session: never signed in, expired, left, or revoked."""


def family_headers_middleware(app: ASGIApp) -> ASGIApp:
    """Set the family pages' privacy headers on every response from these handlers."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in FAMILY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


def page(name: str, *, lang: str = "en", status_code: int = 200,
         cookies: list[Cookie] | None = None, headers: dict[str, str] | None = None,
         **context: Any) -> Template:
    """A family page in the reader's language (English when there is no catalogue for it)."""
    return Template(
        template_name=name, status_code=status_code, headers={**FAMILY_HEADERS, **(headers or {})},
        cookies=cookies or [],
        context={"lang": lang, "lang_used": language_used(lang), "lang_name": language_name(lang),
                 **context},
    )


# ---------------------------------------------------------------- error pages


def _problem(status_code: int, kind: str) -> Template:
    return page("family/problem.html", status_code=status_code, kind=kind)


def _signed_out(_: Request, __: FamilySignedOut) -> Template:
    return page("family/signed_out.html", status_code=401)


def _not_found(_: Request, __: NotFound) -> Template:
    # Someone else's step, another family's, or none at all: one answer for all three.
    return _problem(404, "not_found")


def _csrf_refused(_: Request, exc: PermissionDeniedException) -> Template:
    return _problem(403, "form_expired")


def _bad_request(_: Request, __: ValidationException) -> Template:
    return _problem(400, "bad_request")


def _http_error(request: Request, exc: HTTPException) -> Template:
    if exc.status_code >= 500:
        log.error("family page error %s on %s %s", exc.status_code, request.method,
                  redact_path(request.url.path))
        return _problem(500, "broken")
    kinds = {404: "not_found", 403: "form_expired", 405: "not_found"}
    return _problem(exc.status_code, kinds.get(exc.status_code, "bad_request"))


def _unexpected(request: Request, exc: Exception) -> Template:
    log.exception("unexpected error on %s %s", request.method, redact_path(request.url.path))
    return _problem(500, "broken")


FAMILY_EXCEPTION_HANDLERS: dict[Any, Any] = {
    FamilySignedOut: _signed_out,
    NotFound: _not_found,
    PermissionDeniedException: _csrf_refused,
    ValidationException: _bad_request,
    HTTPException: _http_error,
    Exception: _unexpected,
}


# ---------------------------------------------------------------- the texted link


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _member_language(member_id: int) -> str:
    row = await FamilyMember.select(FamilyMember.language).where(
        FamilyMember.id == member_id).first()
    return (row or {}).get("language") or "en"


def _link_not_working() -> Template:
    # Unknown, expired, revoked, or for a plan that ended: the same page and status for all.
    return page("family/link_not_working.html", status_code=404)


class LinkController(Controller):
    """The address in the text message: look, then continue (which is what uses the link)."""

    path = "/f"
    include_in_schema = False
    exception_handlers = FAMILY_EXCEPTION_HANDLERS
    middleware = [family_headers_middleware]

    @get("/{token:str}")
    async def open_link(
        self, token: FromPath[str], request: Request, now: NamedDependency[datetime],
    ) -> Template:
        """A "Continue to your plan" page; changes nothing, so link previews don't use it up."""
        holder = await _holder_or_refusal(token, request, now)
        if not isinstance(holder, LinkHolder):
            return holder
        return page("family/continue.html", lang=await _member_language(holder.member_id),
                    token=token)

    @post("/{token:str}")
    async def continue_link(
        self, token: FromPath[str], request: Request, now: NamedDependency[datetime],
    ) -> Response[Any]:
        """Swap the link for a session cookie and go to the plan (303, so the token leaves history)."""
        holder = await _holder_or_refusal(token, request, now)
        if not isinstance(holder, LinkHolder):
            return holder
        settings = request.app.state["settings"]
        session, _ = await start_session(holder=holder, now=now, link_days=settings.family_link_days)
        cookie = Cookie(key=COOKIE_NAME, value=session, path=COOKIE_PATH, httponly=True,
                        secure=settings.secure_cookies, samesite="lax")
        return Redirect("/family", status_code=303, cookies=[cookie], headers=dict(FAMILY_HEADERS))


def _too_many_tries(limit: Limit, now: datetime) -> Template:
    return page("family/too_many_tries.html", status_code=429,
                headers={"Retry-After": str(retry_after(limit, now))})


async def _holder_or_refusal(token: str, request: Request, now: datetime) -> LinkHolder | Template:
    """The link's holder; or "too many tries" (with Retry-After); or "this link does not work"."""
    holder = await resolve_token(token, now=now)
    if holder is not None:
        # A real link opens however many bad guesses its address has made; only its own
        # opens are counted (so guesses cannot fill the counters: they count per address).
        if not await hit(f"family-link-token:{holder.link_id}", TOKEN_LIMIT, now=now):
            return _too_many_tries(TOKEN_LIMIT, now)
        return holder
    address = f"family-link-bad:{_client_address(request)}"
    if await attempts(address, BAD_GUESS_LIMIT, now=now) >= BAD_GUESS_LIMIT.attempts:
        return _too_many_tries(BAD_GUESS_LIMIT, now)
    await hit(address, BAD_GUESS_LIMIT, now=now)
    return _link_not_working()


# ---------------------------------------------------------------- the plan page


async def provide_family_access(request: Request) -> FamilyAccess:
    """The member behind the session cookie, checked on every request."""
    access = await resolve_session(request.cookies.get(COOKIE_NAME),
                                   now=request.app.state["clock"].now())
    if access is None:
        raise FamilySignedOut()
    request.scope["state"]["member_id"] = access.member_id  # for the access log (an id, never a name)
    return access


SAVED_KINDS = {"done", "started", "help", "message"}


async def _plan_page(
    access: FamilyAccess, *, now: datetime, today: date, status_code: int = 200,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
    saved: str | None = None,
) -> Template:
    data = await service.family_page(access, now=now, today=today)
    errors = errors or {}
    return page(
        "family/plan.html", lang=access.language, status_code=status_code, errors=errors,
        values=values or {}, saved=saved if saved in SAVED_KINDS else None,
        note_max=service.NOTE_MAX, message_max=service.MESSAGE_MAX, **data,
        **await our_plan.theirs(access, data["redact"]),
    )


# The plan page as read (no form errors), rendered once per version of what it shows and kept
# with a stand-in for the CSRF token, which is each browser's own and put in on the way out.
PAGE_CACHE = "family_pages"
_CSRF_STAND_IN = secrets.token_hex(16)


@dataclass(frozen=True)
class _KeptPage:
    html: str
    staff_seen: dict[tuple[int, str], Any]
    # The booked review's start: from then on the page names the next one (or the date due).
    until: datetime | None


def _csrf_input(token: str) -> str:
    # As Litestar's Template puts it in a page's context (`csrf_input`).
    return f'<input type="hidden" name="_csrf_token" value="{html.escape(token)}" />'


async def _read_plan_page(
    request: Request, access: FamilyAccess, *, now: datetime, today: date, saved: str | None,
) -> Response[bytes]:
    """The plan page, served again while the family's version and the staff shown are unchanged.

    The version is read first (tracker.plans.read_cache says why that order keeps it right);
    the key holds everything else the page depends on: the member and plan, their language
    and name, the day (steps become overdue, dates move), and the "we have saved" banner.
    """
    cache = app_cache(request.app.state, PAGE_CACHE)
    saved = saved if saved in SAVED_KINDS else None
    key = (access.member_id, access.plan_id, access.language, access.member_name, today, saved)
    kept = cache.peek(key)
    staff_ids = [user_id for user_id, _ in kept[1].staff_seen] if kept else []
    version = await service.page_version(access.family_id, staff_ids)
    page_html: str | None = None
    if kept is not None and kept[0] == version.family:
        entry: _KeptPage = kept[1]
        if version.shows(entry.staff_seen) and (entry.until is None or now <= entry.until):
            page_html = entry.html
    if page_html is None:
        data = await service.family_page(access, now=now, today=today)
        response = page(
            "family/plan.html", lang=access.language, errors={}, values={}, saved=saved,
            note_max=service.NOTE_MAX, message_max=service.MESSAGE_MAX, **data,
            **await our_plan.theirs(access, data["redact"]),
        )
        engine = request.app.template_engine
        assert engine is not None  # noqa: S101 - the app always has one
        page_html = engine.get_template("family/plan.html").render(
            **response.context, csrf_input=_csrf_input(_CSRF_STAND_IN))
        cache.put(key, version.family, _KeptPage(
            html=page_html, staff_seen=data["staff_seen"],
            until=data["next_review"]["starts_at"]))
    token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
    body = page_html.replace(_csrf_input(_CSRF_STAND_IN), _csrf_input(token))
    return Response(content=body.encode(), media_type=MediaType.HTML,
                    headers=dict(FAMILY_HEADERS))


class FamilyPageController(Controller):
    """The family's plan page and its forms; a session reaches only its own member's steps."""

    path = "/family"
    include_in_schema = False
    exception_handlers = FAMILY_EXCEPTION_HANDLERS
    middleware = [family_headers_middleware]
    dependencies = {"access": Provide(provide_family_access)}

    @get()
    async def plan(
        self, request: Request, access: NamedDependency[FamilyAccess],
        now: NamedDependency[datetime], today: NamedDependency[date],
        saved: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Outcomes, the member's steps, what professionals offered, the next review, contacts."""
        return await _read_plan_page(request, access, now=now, today=today, saved=saved)

    @get("/our-plan")
    async def our_plan_page(
        self, access: NamedDependency[FamilyAccess], now: NamedDependency[datetime],
        today: NamedDependency[date], sent: FromQuery[str | None] = None,
    ) -> Template:
        """The plan on one page, to print (its own print stylesheet) or to have by email."""
        data = await our_plan.our_plan(access, now=now, today=today)
        return page("family/our_plan.html", lang=access.language, errors={}, sent=sent == "1",
                    **data)

    @post("/our-plan/email")
    async def email_copy(
        self, request: Request, access: NamedDependency[FamilyAccess],
        now: NamedDependency[datetime], today: NamedDependency[date],
        windows: NamedDependency[SendWindows],
    ) -> Response[Any]:
        """Send the member "Our plan" as a PDF to their email, through the outbox."""
        try:
            await our_plan.send_copy(access, now=now, today=today, windows=windows,
                                     authority_name=request.app.state["settings"].authority_name)
        except FieldErrors as exc:
            data = await our_plan.our_plan(access, now=now, today=today)
            return page("family/our_plan.html", lang=access.language, status_code=400,
                        errors=dict(exc.errors), sent=False, **data)
        return Redirect("/family/our-plan?sent=1", status_code=303, headers=dict(FAMILY_HEADERS))

    @get("/{rest:path}")
    async def elsewhere(self, rest: FromPath[str]) -> Template:
        """Any other address under /family: the same kind page as someone else's step."""
        raise NotFound(rest)

    @post("/actions/{action_id:int}")
    async def update_action(
        self, action_id: FromPath[int], data: URLEncodedBody[dict[str, str]],
        access: NamedDependency[FamilyAccess], now: NamedDependency[datetime],
        today: NamedDependency[date], windows: NamedDependency[SendWindows],
    ) -> Response[Any]:
        """Done, Started, or I need help with this (with optional words)."""
        choice = str(data.get("choice", ""))
        note = str(data.get("note", ""))
        visibility = str(data.get("visibility", LEAD))
        try:
            await service.record_family_update(access=access, action_id=action_id,
                                               choice=choice, note=note, now=now,
                                               windows=windows, visibility=visibility)
        except FieldErrors as exc:
            errors = {f"{name}-{action_id}": message for name, message in exc.errors.items()}
            return await _plan_page(access, now=now, today=today, status_code=400,
                                    errors=errors, values={f"note-{action_id}": note,
                                                           f"visibility-{action_id}": visibility})
        return Redirect(f"/family?saved={choice}", status_code=303,
                        headers=dict(FAMILY_HEADERS))

    @post("/messages")
    async def add_message(
        self, data: URLEncodedBody[dict[str, str]], access: NamedDependency[FamilyAccess],
        now: NamedDependency[datetime], today: NamedDependency[date],
        windows: NamedDependency[SendWindows],
    ) -> Response[Any]:
        """Words for the plan: how they feel about it, what they have noticed."""
        body = str(data.get("message", ""))
        visibility = str(data.get("visibility", LEAD))
        try:
            await service.add_family_message(access=access, body=body, now=now, windows=windows,
                                             visibility=visibility)
        except FieldErrors as exc:
            return await _plan_page(access, now=now, today=today, status_code=400,
                                    errors=dict(exc.errors),
                                    values={"message": body, "visibility": visibility})
        return Redirect("/family?saved=message", status_code=303,
                        headers=dict(FAMILY_HEADERS))

    @post("/leave")
    async def leave(self, request: Request, now: NamedDependency[datetime]) -> Template:
        """End the session on this phone (important on a shared phone) and forget the cookie."""
        await end_session(request.cookies.get(COOKIE_NAME), now=now)
        response = page("family/left.html")
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)
        return response


# ---------------------------------------------------------------- the lead professional's API


class MemberLinkController(Controller):
    """Plan links, for the lead professional (JSON API, bearer token)."""

    path = "/api/v1/members"
    tags = ["families"]

    @post("/{member_id:int}/revoke-link", status_code=200,
          responses=error_responses(400, 401, 403, 404))
    async def revoke_link(
        self, member_id: FromPath[int], caller: NamedDependency[Caller],
        now: NamedDependency[datetime],
    ) -> RevokedLinksOut:
        """Stop a family member's plan link (and any open family page) working at once."""
        await require_manage(caller, await service.member_family(member_id))
        ended = await revoke_member_links(
            member_id=member_id, reason="revoked_by_lead", now=now,
            actor=Actor.user(caller.id, caller.name, channel="api"))
        return RevokedLinksOut(member_id=member_id, revoked=ended)


ROUTES = [LinkController, FamilyPageController, MemberLinkController, PlanMessagesController]
