"""Routes for nudges: Twilio webhooks, the message history API, and the console's /dev/messages page.

GOV.UK Notify's webhooks live in govuk_notify_webhooks.py and are served from ROUTES here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from tracker.api_responses import error_responses, to_out
from tracker.errors import FieldErrors, NotFound
from tracker.notify import delivery, history
from tracker.notify.api_types import MessageOut
from tracker.notify.govuk_notify_webhooks import ROUTES as NOTIFY_WEBHOOKS
from tracker.notify.inbound import handle_inbound, valid_message_sid
from tracker.people.caller import Caller
from tracker.settings import Settings
from tracker.validate import parse_id

TWIML = "application/xml"


async def _verified_form(request: Request[Any, Any, Any]) -> dict[str, str] | None:
    """The POSTed form when X-Twilio-Signature matches, else None.

    Twilio signs the exact URL it called, so it is rebuilt from PUBLIC_BASE_URL (what Twilio
    was given) rather than from the request, which a proxy may have rewritten.
    """
    from twilio.request_validator import RequestValidator  # noqa: PLC0415 - twilio loads only for its webhooks

    settings: Settings = request.app.state["settings"]
    signature = request.headers.get("x-twilio-signature", "")
    if not settings.twilio_auth_token or not signature:
        return None
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        return None
    return params


def _forbidden() -> Response[str]:
    return Response("Signature check failed.", status_code=403, media_type="text/plain")


def _bad_sid() -> Response[str]:
    # Every message Twilio sends carries its SID; without one a replay could not be recognised.
    return Response("MessageSid is missing or not a Twilio message SID.", status_code=400,
                    media_type="text/plain")


def _twiml(reply: str | None) -> Response[str]:
    body = f"<Message>{escape(reply)}</Message>" if reply else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
                    status_code=200, media_type=TWIML)


@post("/webhooks/twilio/status", include_in_schema=False, status_code=200)
async def twilio_status(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> Response[str]:
    """Twilio's delivery report for a text: moves the outbox row forward, never back."""
    form = await _verified_form(request)
    if form is None:
        return _forbidden()
    sid = form.get("MessageSid", "")
    if not valid_message_sid(sid):
        return _bad_sid()
    # Only an id we could have issued: "²" or 2**40 would reach the database as nonsense.
    outbox_id = parse_id(request.query_params.get("outbox") or "")
    await delivery.apply_status(
        outbox_id=outbox_id, message_sid=sid,
        status=form.get("MessageStatus", form.get("SmsStatus", "")),
        error_code=form.get("ErrorCode") or None, now=now)
    return _twiml(None)


@post("/webhooks/twilio/inbound", include_in_schema=False, status_code=200)
async def twilio_inbound(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> Response[str]:
    """A text a family member sent us: keywords, HELP, or a message for their plan."""
    form = await _verified_form(request)
    if form is None:
        return _forbidden()
    sid = form.get("MessageSid", "")
    if not valid_message_sid(sid):
        return _bad_sid()
    result = await handle_inbound(message_sid=sid, from_number=form.get("From", ""),
                                  body=form.get("Body", ""), now=now)
    return _twiml(result.reply)


@get("/api/v1/messages", tags=["messages"], responses=error_responses(400, 401, 404))
async def list_messages(
    caller: NamedDependency[Caller],
    family_id: FromQuery[int | None] = None,
    member_id: FromQuery[int | None] = None,
    user_id: FromQuery[int | None] = None,
    status: FromQuery[str | None] = None,
    limit: FromQuery[int] = 200,
) -> list[MessageOut]:
    """Messages to families and professionals the caller may see: sent, delivered, or why not."""
    if status is not None and status not in history.STATUSES:
        raise FieldErrors({"status": f"Use one of: {', '.join(history.STATUSES)}."})
    messages = await history.list_messages(caller, family_id=family_id, member_id=member_id,
                                           user_id=user_id, status=status, limit=limit)
    return to_out(messages, list[MessageOut])


@get("/dev/messages", include_in_schema=False)
async def dev_messages(request: Request[Any, Any, Any], staff: NamedDependency[Caller]) -> Template:
    """What the console backends 'sent': only while one is in use, only what `staff` may see."""
    settings: Settings = request.app.state["settings"]
    channels = history.console_channels(settings)
    if settings.is_production or not channels:
        raise NotFound("dev messages")
    return Template("dev/messages.html",
                    context={"messages": await history.console_messages(staff, channels=channels)})


ROUTES = [twilio_status, twilio_inbound, *NOTIFY_WEBHOOKS, list_messages, dev_messages]
