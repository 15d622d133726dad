"""Sign-in, sign-out, the start page and password reset pages: thin handlers over signin.py."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from tracker.errors import FieldErrors
from tracker.settings import Settings
from tracker.staff import devices, signin
from tracker.staff.oidc import require_password_signin
from tracker.staff.sessions import (
    COOKIE_NAME,
    current_caller,
    end_session,
    expired_session_cookie,
    require_signed_in,
    safe_next,
    session_cookie,
    start_session,
)

log = logging.getLogger("tracker.staff")


def _now(request: Request[Any, Any, Any]) -> Any:
    return request.app.state["clock"].now()


def _settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state["settings"]


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address for rate limits (X-Forwarded-For counts only from TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


def _known_devices(request: Request[Any, Any, Any]) -> list[devices.DeviceToken]:
    """The genuine device tokens this browser brought (see tracker.staff.devices)."""
    return devices.parse(request.cookies.get(devices.COOKIE_NAME),
                         secret=_settings(request).secret_key, now=_now(request))


def _signin_page(*, email: str = "", next_path: str = "/", errors: dict[str, str] | None = None,
                 message: str = "", notice: str = "", status: int = 200) -> Template:
    return Template(
        template_name="staff/signin.html",
        context={"email": email, "next_path": next_path, "errors": errors or {},
                 "message": message, "notice": notice},
        status_code=status,
    )


@get("/", guards=[require_signed_in], include_in_schema=False)
async def start_page(request: Request[Any, Any, Any]) -> Redirect:
    """Chairs start at their dashboard; everyone else at their actions."""
    caller = current_caller(request)
    return Redirect("/chair" if caller and caller.is_chair else "/actions", status_code=303)


@get("/signin", include_in_schema=False)
async def signin_form(request: Request[Any, Any, Any]) -> Template | Redirect:
    """The sign-in form (already signed in: straight on)."""
    next_path = safe_next(request.query_params.get("next"))
    if current_caller(request) is not None:
        return Redirect(next_path, status_code=303)
    notice = "Your new password is saved. Sign in with it." if request.query_params.get(
        "reset") == "done" else ""
    return _signin_page(next_path=next_path, notice=notice)


@post("/signin", include_in_schema=False, guards=[require_password_signin])
async def signin_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Check the password, then start a brand-new session (never reuse a presented id)."""
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1024]
    next_path = safe_next(str(form.get("next", "/")))
    now = _now(request)
    known = _known_devices(request)
    try:
        result = await signin.sign_in(email=email, password=password,
                                      address=client_address(request), now=now, devices=known)
    except FieldErrors as exc:
        return _signin_page(email=email, next_path=next_path, errors=exc.errors, status=400)
    except signin.SignInRefused as exc:
        return _signin_page(email=email, next_path=next_path, message=exc.message,
                            status=429 if exc.throttled else 400)
    # Session fixation: whatever id the browser brought is ended, and a fresh one issued.
    if presented := request.cookies.get(COOKIE_NAME):
        await end_session(presented, now=now, reason="replaced")
    raw = await start_session(user_id=result.caller.id, now=now)
    log.info("user %s signed in (password check %.0f ms)", result.caller.id,
             result.hash_seconds * 1000)
    settings = _settings(request)
    return Redirect(next_path, status_code=303, cookies=[
        session_cookie(raw, settings), devices.cookie(known, result.device, settings)])


@post("/signout", include_in_schema=False)
async def signout(request: Request[Any, Any, Any]) -> Redirect:
    """End this browser's session everywhere and forget the cookie."""
    if presented := request.cookies.get(COOKIE_NAME):
        await end_session(presented, now=_now(request), reason="signout")
    return Redirect("/signin", status_code=303, cookies=[expired_session_cookie(_settings(request))])


@get("/reset", include_in_schema=False, guards=[require_password_signin])
async def reset_form(sent: FromQuery[str | None] = None) -> Template:
    """Ask for a password reset link; after asking (?sent=1), the same answer for every address."""
    return Template(template_name="staff/reset_request.html", context={"sent": sent == "1"})


@post("/reset", include_in_schema=False, guards=[require_password_signin])
async def reset_submit(request: Request[Any, Any, Any]) -> Redirect:
    """Always the same answer, whether or not the address has an account: post/redirect/get, so
    refreshing the answer never asks for another link."""
    form = await request.form()
    await signin.request_reset(
        email=str(form.get("email", ""))[:254], address=client_address(request),
        now=_now(request), base_url=_settings(request).public_base_url,
        windows=request.app.state["send_windows"], devices=_known_devices(request),
    )
    return Redirect("/reset?sent=1", status_code=303)


def _reset_page(*, usable: bool, errors: dict[str, str] | None = None, status: int = 200) -> Template:
    return Template(template_name="staff/reset_password.html",
                    context={"usable": usable, "errors": errors or {}},
                    status_code=status if usable else 404)


@get("/reset/{token:str}", include_in_schema=False, guards=[require_password_signin])
async def reset_password_form(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    """The new-password form, or a kind page when the link has expired or been used."""
    usable = await signin.reset_is_usable(token, now=_now(request))
    return _reset_page(usable=usable)


@post("/reset/{token:str}", include_in_schema=False, guards=[require_password_signin])
async def reset_password_submit(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    """Save the new password; every session of the account ends."""
    form = await request.form()
    try:
        done = await signin.complete_reset(
            token=token, password=str(form.get("password", "")),
            confirm=str(form.get("confirm", "")), now=_now(request))
    except FieldErrors as exc:
        return _reset_page(usable=True, errors=exc.errors, status=400)
    if done is None:
        return _reset_page(usable=False)
    settings = _settings(request)
    # This browser read the owner's email: from now on it is one of the account's known ones.
    return Redirect("/signin?reset=done", status_code=303, cookies=[
        expired_session_cookie(settings),
        devices.cookie(_known_devices(request), done, settings)])


ROUTES = [start_page, signin_form, signin_submit, signout, reset_form, reset_submit,
          reset_password_form, reset_password_submit]
