"""Real peers on loopback for the nudge tests: an HTTP server speaking Twilio's Messages API and an SMTP server."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import secrets
import socket
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

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
