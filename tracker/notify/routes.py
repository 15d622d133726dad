"""Routes for nudges: Twilio webhooks, the message history API, and the console's /dev/messages page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from tracker.errors import FieldErrors, NotFound
from tracker.notify import delivery, history
from tracker.notify.inbound import handle_inbound
from tracker.people.caller import Caller
from tracker.settings import Settings

TWIML = "application/xml"


async def _verified_form(request: Request) -> dict[str, str] | None:
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


def _twiml(reply: str | None) -> Response[str]:
    body = f"<Message>{escape(reply)}</Message>" if reply else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
                    status_code=200, media_type=TWIML)


@post("/webhooks/twilio/status", include_in_schema=False, status_code=200)
async def twilio_status(request: Request, now: NamedDependency[datetime]) -> Response[str]:
    """Twilio's delivery report for a text: moves the outbox row forward, never back."""
    form = await _verified_form(request)
    if form is None:
        return _forbidden()
    raw_id = request.query_params.get("outbox")
    outbox_id = int(raw_id) if raw_id and raw_id.isdigit() else None
    await delivery.apply_status(
        outbox_id=outbox_id, message_sid=form.get("MessageSid", ""),
        status=form.get("MessageStatus", form.get("SmsStatus", "")),
        error_code=form.get("ErrorCode") or None, now=now)
    return _twiml(None)


@post("/webhooks/twilio/inbound", include_in_schema=False, status_code=200)
async def twilio_inbound(request: Request, now: NamedDependency[datetime]) -> Response[str]:
    """A text a family member sent us: keywords, HELP, or a message for their plan."""
    form = await _verified_form(request)
    if form is None:
        return _forbidden()
    result = await handle_inbound(from_number=form.get("From", ""), body=form.get("Body", ""),
                                  now=now)
    return _twiml(result.reply)


@get("/api/v1/messages", tags=["messages"])
async def list_messages(
    caller: NamedDependency[Caller],
    family_id: FromQuery[int | None] = None,
    member_id: FromQuery[int | None] = None,
    user_id: FromQuery[int | None] = None,
    status: FromQuery[str | None] = None,
    limit: FromQuery[int] = 200,
) -> list[dict[str, Any]]:
    """Messages to families and professionals the caller may see: sent, delivered, or why not."""
    if status is not None and status not in history.STATUSES:
        raise FieldErrors({"status": f"Use one of: {', '.join(history.STATUSES)}."})
    return await history.list_messages(caller, family_id=family_id, member_id=member_id,
                                       user_id=user_id, status=status, limit=limit)


@get("/dev/messages", include_in_schema=False)
async def dev_messages(request: Request, staff: NamedDependency[Caller]) -> Template:
    """What the console backends 'sent' (staff only; not in production)."""
    settings: Settings = request.app.state["settings"]
    if settings.is_production:
        raise NotFound("dev messages")
    return Template("dev/messages.html", context={"messages": await history.console_messages()})


ROUTES = [twilio_status, twilio_inbound, list_messages, dev_messages]
