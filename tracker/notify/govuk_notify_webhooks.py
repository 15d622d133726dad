"""GOV.UK Notify's callbacks: delivery receipts and received texts, each carrying our bearer token.

Notify posts JSON with `Authorization: Bearer <NOTIFY_CALLBACK_TOKEN>` (the token set in its
"Callbacks" settings). Receipts move outbox rows exactly as Twilio's reports do, through the
same provider-neutral core (`delivery.move_row`); received texts go to the same handler as
Twilio's (`inbound.handle_inbound`), once per Notify id. Notify cannot carry a reply in its callback's answer the way
TwiML does, so a reply is sent as a text of its own after we have answered.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from datetime import datetime
from typing import Any

import phonenumbers
from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency

from tracker.notify import delivery
from tracker.notify.inbound import handle_inbound
from tracker.notify.providers import ProviderError, sms_provider_for
from tracker.notify.tables import CHANNELS
from tracker.settings import Settings

log = logging.getLogger("tracker.notify")

# Notify's message statuses (texts and emails) as outbox statuses.
NOTIFY_STATUS = {
    "created": "sent", "sending": "sent", "pending": "sent",
    "sent": "sent",  # an international text: no further report will come
    "delivered": "delivered",
    "permanent-failure": "failed", "temporary-failure": "failed", "technical-failure": "failed",
}

# Notify's ids are UUIDs; every received text carries one.
NOTIFY_ID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")

# Twilio confirms STOP and START itself; Notify does not, so we do (once, in plain words).
CONFIRMATIONS = {
    "opted_out": "You will not get any more texts about your family's plan from {authority}. "
                 "If you would like them again, reply START.",
    "opted_in": "Thank you. You will get texts about your family's plan from {authority} again. "
                "Reply STOP at any time to stop them.",
}


def _authorised(request: Request[Any, Any, Any], settings: Settings) -> bool:
    """True when the bearer token is NOTIFY_CALLBACK_TOKEN (compared in constant time)."""
    expected = settings.notify_callback_token
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def _unauthorised() -> Response[dict[str, str]]:
    return Response({"detail": "This callback's bearer token is not the one we gave Notify."},
                    status_code=401, headers={"WWW-Authenticate": 'Bearer realm="notify-callbacks"'})


def _bad_request(field: str, message: str) -> Response[dict[str, Any]]:
    return Response({"detail": "Please check the fields named below.", "errors": {field: message}},
                    status_code=400)


async def _payload(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """The callback's JSON object, or None when the body is not one."""
    try:
        data = json.loads(await request.body())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value.strip() if isinstance(value, str) else ""


def e164(number: str) -> str | None:
    """Notify's `source_number` (international digits without '+', e.g. 447700900123) as E.164."""
    raw = number.strip()
    if not raw:
        return None
    try:
        parsed = phonenumbers.parse(raw if raw.startswith(("+", "0")) else "+" + raw, "GB")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@post("/webhooks/notify/status", include_in_schema=False, status_code=200)
async def notify_status(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> Response[Any]:
    """Notify's delivery receipt for a text or an email: moves the outbox row forward, never back."""
    settings: Settings = request.app.state["settings"]
    if not _authorised(request, settings):
        return _unauthorised()
    payload = await _payload(request)
    if payload is None:
        return _bad_request("body", "Send the receipt as a JSON object.")
    status = _text(payload, "status")
    if not status:
        return _bad_request("status", "The receipt has no status.")
    new = NOTIFY_STATUS.get(status.lower())
    if new is None:
        return Response({"outcome": f"ignored: status {status!r}"}, status_code=200)
    reference = _text(payload, "reference")
    outbox_id = int(reference) if reference.isdigit() and len(reference) < 19 else None
    notification_id = _text(payload, "id")
    if outbox_id is None and not notification_id:
        return _bad_request("reference", "The receipt names no message (no reference and no id).")
    kind = _text(payload, "notification_type")
    channels = (kind,) if kind in CHANNELS else CHANNELS
    outcome, row = await delivery.move_row(
        outbox_id=outbox_id, provider_message_id=notification_id, new=new, channels=channels,
        error_code=status if new == "failed" else None,
        error_text=f"GOV.UK Notify reported {status}", now=now)
    if row is not None and new == "failed":
        await delivery.after_failed(row, reason=status, now=now)
    log.info("notify receipt: %s", outcome)
    return Response({"outcome": outcome}, status_code=200)


async def _send_reply(settings: Settings, to: str, body: str) -> None:
    """Send a reply text through the configured SMS backend (after Notify has had its answer)."""
    provider = sms_provider_for(settings)
    try:
        await provider.send_sms(to=to, body=body, status_callback=None, outbox_id=None)
    except ProviderError as exc:
        log.warning("could not send a reply to a received text: %s %s", exc.code, exc.text)
    finally:
        close = getattr(provider, "close", None)
        if close is not None:
            await close()


@post("/webhooks/notify/inbound", include_in_schema=False, status_code=200)
async def notify_inbound(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> Response[Any]:
    """A text a family member sent to our Notify number: keywords, HELP, or a message for their plan."""
    settings: Settings = request.app.state["settings"]
    if not _authorised(request, settings):
        return _unauthorised()
    payload = await _payload(request)
    if payload is None:
        return _bad_request("body", "Send the received text as a JSON object.")
    notification_id = _text(payload, "id")
    if not NOTIFY_ID.fullmatch(notification_id):
        return _bad_request("id", "The received text has no Notify id.")
    from_number = e164(_text(payload, "source_number"))
    if from_number is None:
        return _bad_request("source_number", "This is not a phone number we can read.")
    message = payload.get("message")
    if not isinstance(message, str):
        return _bad_request("message", "The received text has no message.")
    # Acted on once per Notify id (Notify retries a callback it got no answer to); the prefix
    # keeps Notify's ids apart from Twilio's MessageSids in the same claim table.
    result = await handle_inbound(message_sid=f"notify:{notification_id.lower()}", from_number=from_number,
                                  body=message, now=now)
    reply = result.reply
    if reply is None and result.outcome in CONFIRMATIONS:
        reply = CONFIRMATIONS[result.outcome].format(authority=settings.authority_name)
    background = BackgroundTask(_send_reply, settings, from_number, reply) if reply else None
    return Response({"outcome": result.outcome}, status_code=200, background=background)


ROUTES = [notify_status, notify_inbound]
