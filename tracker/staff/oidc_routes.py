"""Single sign-on pages: start at the organisation's provider, come back signed in.

Thin handlers over tracker/staff/oidc.py. Both paths answer 404 when OIDC is not configured.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from tracker.errors import NotFound
from tracker.people.single_sign_on import OidcRefused, account_for_claims
from tracker.settings import Settings
from tracker.staff import oidc
from tracker.staff.sessions import (
    COOKIE_NAME,
    current_caller,
    end_session,
    safe_next,
    session_cookie,
    start_session,
)

log = logging.getLogger("tracker.staff")

CALLBACK_PATH = "/signin/oidc/callback"


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state["settings"]
    if not settings.oidc_enabled:
        raise NotFound("single sign-on is not configured")
    return settings


def _browser_cookie(value: str, settings: Settings) -> Cookie:
    """Binds a flow to the browser that started it; Lax, so the provider's redirect carries it."""
    return Cookie(key=oidc.BROWSER_COOKIE, value=value, path="/signin/oidc", httponly=True,
                  samesite="lax", secure=settings.secure_cookies,
                  max_age=int(oidc.FLOW_VALID_FOR.total_seconds()))


def _refused(exc: OidcRefused) -> Template:
    return Template(
        template_name="staff/signin.html",
        context={"email": "", "next_path": "/", "errors": {}, "message": "", "notice": "",
                 "oidc_message": exc.message},
        status_code=exc.status,
    )


@get("/signin/oidc", include_in_schema=False)
async def oidc_start(request: Request[Any, Any, Any]) -> Redirect | Template:
    """Send the browser to the organisation's sign-in, remembering where to come back to."""
    settings = _settings(request)
    next_path = safe_next(request.query_params.get("next"))
    if current_caller(request) is not None:
        return Redirect(next_path, status_code=303)
    try:
        started = await oidc.client_for(request.app.state).begin(
            next_path=next_path, browser_token=request.cookies.get(oidc.BROWSER_COOKIE),
            now=request.app.state["clock"].now())
    except OidcRefused as exc:
        log.warning("single sign-on could not start: %s", exc.reason)
        return _refused(exc)
    return Redirect(started.authorization_url, status_code=303,
                    cookies=[_browser_cookie(started.browser_token, settings)])


@get(CALLBACK_PATH, include_in_schema=False)
async def oidc_callback(request: Request[Any, Any, Any]) -> Redirect | Template:
    """Finish the flow: verified ID token, an active account, then a brand-new session."""
    settings = _settings(request)
    now = request.app.state["clock"].now()
    params = {key: str(value) for key, value in request.query_params.items()}
    try:
        claims, next_path = await oidc.client_for(request.app.state).finish(
            params=params, browser_token=request.cookies.get(oidc.BROWSER_COOKIE), now=now)
        caller = await account_for_claims(claims, settings=settings, now=now)
    except OidcRefused as exc:
        log.warning("single sign-on refused: %s", exc.reason)
        return _refused(exc)
    # Session fixation: whatever id the browser brought is ended, and a fresh one issued.
    if presented := request.cookies.get(COOKIE_NAME):
        await end_session(presented, now=now, reason="replaced")
    raw = await start_session(user_id=caller.id, now=now)
    log.info("user %s signed in with single sign-on", caller.id)
    return Redirect(safe_next(next_path), status_code=303, cookies=[session_cookie(raw, settings)])


ROUTES = [oidc_start, oidc_callback]
