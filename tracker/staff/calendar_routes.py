"""The /calendar page (issue, revoke) and the secret ICS feed URL."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from tracker.settings import Settings
from tracker.staff import calendar
from tracker.staff.sessions import current_caller, require_signed_in

NO_STORE = {"Cache-Control": "no-store"}


def _settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state["settings"]


def _page(request: Request[Any, Any, Any], *, feed: dict[str, Any] | None, token: str = "",
          revoked: bool = False) -> Template:
    url = f"{_settings(request).public_base_url}/calendar/{token}.ics" if token else ""
    webcal = "webcal://" + url.split("://", 1)[1] if url else ""
    return Template(template_name="staff/calendar.html",
                    context={"feed": feed, "url": url, "webcal": webcal, "revoked": revoked},
                    headers=NO_STORE)


@get("/calendar", guards=[require_signed_in], include_in_schema=False)
async def calendar_page(request: Request[Any, Any, Any]) -> Template:
    """Whether the caller has a live feed, and the buttons to make a new one or stop it."""
    caller = current_caller(request)
    assert caller is not None  # the guard saw to it
    revoked = request.query_params.get("revoked") == "1"
    return _page(request, feed=await calendar.live_feed(caller.id), revoked=revoked)


@post("/calendar/new", guards=[require_signed_in], include_in_schema=False)
async def calendar_new(request: Request[Any, Any, Any]) -> Template:
    """Make a new secret address (the old one stops working) and show it once."""
    caller = current_caller(request)
    assert caller is not None
    now = request.app.state["clock"].now()
    token = await calendar.issue_feed(caller=caller, now=now)
    return _page(request, feed=await calendar.live_feed(caller.id), token=token)


@post("/calendar/revoke", guards=[require_signed_in], include_in_schema=False)
async def calendar_revoke(request: Request[Any, Any, Any]) -> Redirect:
    """Stop the secret address working."""
    caller = current_caller(request)
    assert caller is not None
    await calendar.revoke_feed(caller=caller, now=request.app.state["clock"].now())
    return Redirect("/calendar?revoked=1", status_code=303)


@get("/calendar/{feed:str}", include_in_schema=False)
async def calendar_feed(request: Request[Any, Any, Any], feed: FromPath[str]) -> Response[bytes]:
    """The ICS feed; the secret in the address is the only credential (calendar apps send no cookie)."""
    if not feed.endswith(".ics"):
        raise NotFoundException()
    settings = _settings(request)
    body = await calendar.feed_for_token(
        feed.removesuffix(".ics"), now=request.app.state["clock"].now(),
        base_url=settings.public_base_url, authority_name=settings.authority_name)
    if body is None:
        raise NotFoundException()
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**NO_STORE, "Content-Disposition": 'inline; filename="plan-tracker.ics"'})


ROUTES = [calendar_page, calendar_new, calendar_revoke, calendar_feed]
