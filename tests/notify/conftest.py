"""Real peers on loopback for the nudge tests: HTTP servers speaking Twilio's and Notify's APIs, an SMTP server."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import jwt
import pytest
from aiohttp import web

ACCOUNT_SID = "AC" + "0" * 30 + "12"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TWILIO_FROM = "+447700900999"


def free_port() -> int:
    """A free loopback port (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Fault:
    """One canned failure: an HTTP status, optionally a Twilio error code, optionally a delay."""

    status: int
    code: int | None = None
    message: str = "error"
    delay: float = 0.0


class FakeTwilio:
    """POST /2010-04-01/Accounts/{sid}/Messages.json, answering as Twilio does, with faults on demand."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self.faults: list[Fault] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        # Accept (record) the next message, then hold the response this long: a provider
        # that has the message while the sender is still waiting for its answer.
        self.hang_after_accept = 0.0
        self.hang_to: str | None = None  # only for texts to this number (None: any)

    def to(self, number: str) -> list[dict[str, Any]]:
        """Messages accepted for one number."""
        return [m for m in self.messages if m["to"] == number]

    def fail_next(self, status: int, code: int | None = None, message: str = "error", *,
                  times: int = 1, delay: float = 0.0) -> None:
        """Answer the next `times` requests with this failure."""
        self.faults += [Fault(status, code, message, delay)] * times

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected or request.match_info["sid"] != ACCOUNT_SID:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401,
                                      "more_info": "https://www.twilio.com/docs/errors/20003"},
                                     status=401)
        form = await request.post()
        if self.faults:
            fault = self.faults.pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            body: dict[str, Any] = {"status": fault.status, "message": fault.message}
            if fault.code is not None:
                body["code"] = fault.code
                body["more_info"] = f"https://www.twilio.com/docs/errors/{fault.code}"
            return web.json_response(body, status=fault.status)
        if not form.get("To") or not form.get("Body") or not (form.get("From") or
                                                              form.get("MessagingServiceSid")):
            return web.json_response({"code": 21604, "message": "A 'To' phone number is required.",
                                      "status": 400}, status=400)
        sid = "SM" + secrets.token_hex(16)
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        message = {
            "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": "1", "price": None, "price_unit": "GBP", "sid": sid, "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
            "to": form["To"], "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        self.messages.append(message)
        if self.hang_after_accept and self.hang_to in (None, form["To"]):
            await asyncio.sleep(self.hang_after_accept)
        return web.json_response(message, status=201)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", free_port())
        await site.start()
        host, port = site._server.sockets[0].getsockname()[:2]  # type: ignore[union-attr]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


NOTIFY_SERVICE_ID = "3f7c8e2a-9b1d-4c5e-8f60-1a2b3c4d5e6f"
NOTIFY_SECRET = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
NOTIFY_API_KEY = f"tracker_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"
NOTIFY_SMS_TEMPLATE = "11111111-2222-4333-8444-555555555555"
NOTIFY_EMAIL_TEMPLATE = "66666666-7777-4888-8999-aaaaaaaaaaaa"
NOTIFY_CALLBACK_TOKEN = "notify-callback-token-0123456789"


@dataclasses.dataclass
class NotifyFault:
    """One canned Notify error answer: the HTTP status, the error type and its message."""

    status: int
    error: str
    message: str


class FakeNotify:
    """POST /v2/notifications/sms and /email as GOV.UK Notify answers them, checking each JWT.

    Like Notify, a request is refused with 403 AuthError unless its bearer token is a JWT signed
    HS256 with the service's secret, whose `iss` is the service id and whose `iat` is within 30
    seconds of now.
    """

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.refused: list[str] = []  # why each refused request was refused
        self.faults: list[NotifyFault] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self.garble_next = False  # accept the next one, but answer with a body that is not JSON

    def to(self, address: str) -> list[dict[str, Any]]:
        """Notifications accepted for one phone number or email address."""
        return [n for n in self.notifications if address in (n.get("phone_number"), n.get("email_address"))]

    def fail_next(self, status: int, error: str, message: str, *, times: int = 1) -> None:
        """Answer the next `times` (authenticated) requests with this error."""
        self.faults += [NotifyFault(status, error, message)] * times

    @staticmethod
    def _error(status: int, error: str, message: str) -> web.Response:
        return web.json_response({"status_code": status, "errors": [{"error": error, "message": message}]},
                                 status=status)

    def _check_jwt(self, request: web.Request) -> str | None:
        """Why the request's token is not acceptable, or None when it is."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return "Unauthorized: authentication token must be provided"
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, key=NOTIFY_SECRET, algorithms=["HS256"],
                                options={"verify_iat": False})
        except jwt.InvalidTokenError as exc:
            return f"Invalid token: signature ({exc})"
        if header.get("alg") != "HS256" or header.get("typ") != "JWT":
            return "Invalid token: algorithm used is not HS256"
        if claims.get("iss") != NOTIFY_SERVICE_ID:
            return "Invalid token: service not found"
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(time.time() - iat) > 30:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None

    async def _send(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        why = self._check_jwt(request)
        if why is not None:
            self.refused.append(why)
            return self._error(403, "AuthError", why)
        if request.content_type != "application/json":
            return self._error(400, "BadRequestError", "Content-Type must be application/json")
        body = await request.json()
        if self.faults:
            fault = self.faults.pop(0)
            return self._error(fault.status, fault.error, fault.message)
        template_id = NOTIFY_SMS_TEMPLATE if kind == "sms" else NOTIFY_EMAIL_TEMPLATE
        address_field = "phone_number" if kind == "sms" else "email_address"
        if not body.get(address_field):
            return self._error(400, "ValidationError", f"{address_field} is a required property")
        if body.get("template_id") != template_id:
            return self._error(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        needed = ["body"] if kind == "sms" else ["subject", "body"]
        missing = [name for name in needed if name not in personalisation]
        if missing:
            return self._error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        notification_id = str(uuid.uuid4())
        self.notifications.append({"id": notification_id, "type": kind, **body})
        if self.garble_next:
            self.garble_next = False
            return web.Response(text="<html>accepted</html>", status=201, content_type="text/html")
        content: dict[str, Any] = {"body": personalisation["body"]}
        if kind == "sms":
            content["from_number"] = "GOVUK"
        else:
            content.update(subject=personalisation["subject"], from_email="tracker@notifications.service.gov.uk")
        return web.json_response({
            "id": notification_id, "reference": body.get("reference"), "content": content,
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {"id": template_id, "version": 1, "uri": f"{self.url}/v2/template/{template_id}"},
        }, status=201)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v2/notifications/{kind:sms|email}", self._send)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", free_port())
        await site.start()
        host, port = site._server.sockets[0].getsockname()[:2]  # type: ignore[union-attr]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
async def twilio_server() -> AsyncIterator[FakeTwilio]:
    """The Twilio API stand-in on a loopback port."""
    server = FakeTwilio()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def notify_server() -> AsyncIterator[FakeNotify]:
    """The GOV.UK Notify API stand-in on a loopback port."""
    server = FakeNotify()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def notify_settings(notify_server: FakeNotify):  # type: ignore[no-untyped-def]
    """Settings that send texts and emails through the loopback Notify."""
    from tracker.settings import get_settings

    return dataclasses.replace(
        get_settings(), sms_backend="notify", email_backend="notify", notify_api_key=NOTIFY_API_KEY,
        notify_sms_template_id=NOTIFY_SMS_TEMPLATE, notify_email_template_id=NOTIFY_EMAIL_TEMPLATE,
        notify_base_url=notify_server.url, notify_callback_token=NOTIFY_CALLBACK_TOKEN,
        send_rate_per_second=0, dispatch_batch_size=1000, retry_base_seconds=30, send_max_attempts=3,
    )


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port  # type: ignore[attr-defined]
    yield mailbox
    controller.stop()


@pytest.fixture
def real_settings(twilio_server: FakeTwilio, smtp_server: Mailbox):  # type: ignore[no-untyped-def]
    """Settings that send texts to the loopback Twilio and email to the loopback SMTP server."""
    from tracker.settings import get_settings

    return dataclasses.replace(
        get_settings(), sms_backend="twilio", email_backend="smtp",
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from=TWILIO_FROM,
        twilio_api_base_url=twilio_server.url, smtp_host="127.0.0.1",
        smtp_port=smtp_server.port, mail_from="Plan tracker <nudges@tracker.test>",
        send_rate_per_second=0, dispatch_batch_size=1000, retry_base_seconds=30,
        send_max_attempts=3,
    )


@pytest.fixture
async def clean_outbox(migrated: None) -> None:
    """Start from an empty outbox, so a tick's work is this test's."""
    from tracker.notify.tables import ConsoleMessage, Outbox

    await Outbox.delete(force=True)
    await ConsoleMessage.delete(force=True)
