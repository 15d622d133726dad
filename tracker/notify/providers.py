"""Providers: a small interface for sending a text or an email, with typed retryable/permanent errors.

Backends: Twilio (SMS, the official async client), SMTP (email, aiosmtplib), GOV.UK Notify
(both, the official notifications-python-client) and a console backend for each that records
the message in the database for /dev/messages.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import re
import secrets
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from tracker.metrics import count_send
from tracker.notify.tables import ConsoleMessage
from tracker.settings import Settings, SettingsError

# Twilio error codes (https://www.twilio.com/docs/api/errors) and what the dispatcher does.
# Anything not listed: HTTP 429 and 5xx are retried, other 4xx fail permanently.
TWILIO_CODES: dict[int, tuple[str, str]] = {
    20429: ("retry", "too many requests: slow down and try again"),
    20500: ("retry", "Twilio internal error"),
    20503: ("retry", "Twilio service unavailable"),
    21211: ("permanent", "the 'To' number is not a valid phone number"),
    21408: ("permanent", "sending to this region is not enabled on the account"),
    21610: ("permanent", "the recipient replied STOP: they are unsubscribed (opt them out)"),
    21612: ("permanent", "this number cannot be reached from our number"),
    21614: ("permanent", "the 'To' number is not a mobile number"),
    21617: ("permanent", "the message body is too long"),
    30003: ("permanent", "unreachable handset (delivery report)"),
    30004: ("permanent", "message blocked by the recipient or carrier (delivery report)"),
    30005: ("permanent", "unknown handset or number no longer in service (delivery report)"),
    30006: ("permanent", "landline or unreachable carrier (delivery report)"),
    30007: ("permanent", "filtered as spam by the carrier (delivery report)"),
    30008: ("permanent", "unknown delivery error (delivery report)"),
}
OPT_OUT_CODE = 21610


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (a family's copy of their plan as a PDF)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ProviderReceipt:
    """The provider has accepted the message; its id lets status callbacks find the row."""

    provider_message_id: str
    status: str = "sent"


class ProviderError(Exception):
    """A send that did not go through."""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class RetryableError(ProviderError):
    """Try again later (rate limited, provider down, timeout)."""


class PermanentError(ProviderError):
    """Trying again will not help (bad number, unsubscribed, landline)."""


SendFn = TypeVar("SendFn", bound=Callable[..., Awaitable[ProviderReceipt]])


def counted(provider: str, channel: str) -> Callable[[SendFn], SendFn]:
    """Count each send for /metrics by provider, channel and result (accepted, retryable, permanent)."""

    def wrap(fn: SendFn) -> SendFn:
        @functools.wraps(fn)
        async def send(*args: Any, **kwargs: Any) -> ProviderReceipt:
            try:
                receipt = await fn(*args, **kwargs)
            except RetryableError:
                count_send(provider, channel, "retryable")
                raise
            except PermanentError:
                count_send(provider, channel, "permanent")
                raise
            count_send(provider, channel, "accepted")
            return receipt

        return cast(SendFn, send)  # functools.wraps keeps fn's signature; mypy cannot see that

    return wrap


class SmsProvider(Protocol):
    """Sends texts."""

    sender: str

    async def send_sms(self, *, to: str, body: str, status_callback: str | None,
                       outbox_id: int | None) -> ProviderReceipt: ...


class EmailProvider(Protocol):
    """Sends emails with a plain-text body and an HTML alternative."""

    sender: str

    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None,
                         attachments: tuple[Attachment, ...] = ()) -> ProviderReceipt: ...


# ------------------------------------------------------------------------------- console


class ConsoleSms:
    """Records texts in the database (shown at /dev/messages) instead of sending them."""

    def __init__(self, sender: str = "console") -> None:
        self.sender = sender

    @counted("console", "sms")
    async def send_sms(self, *, to: str, body: str, status_callback: str | None,
                       outbox_id: int | None) -> ProviderReceipt:
        """Record the text; always accepted."""
        sid = "CONSOLE-SM" + secrets.token_hex(8)
        await ConsoleMessage.insert(ConsoleMessage(
            outbox_id=outbox_id, channel="sms", to_address=to, sender=self.sender, body=body,
            provider_message_id=sid))
        return ProviderReceipt(sid)


class ConsoleEmail:
    """Records emails in the database (shown at /dev/messages) instead of sending them."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    @counted("console", "email")
    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None,
                         attachments: tuple[Attachment, ...] = ()) -> ProviderReceipt:
        """Record the email (an attachment as a line naming it); always accepted."""
        sid = "CONSOLE-EM" + secrets.token_hex(8)
        for a in attachments:
            text += f"\n[attached: {a.filename}, {a.content_type}, {len(a.data)} bytes]"
        await ConsoleMessage.insert(ConsoleMessage(
            outbox_id=outbox_id, channel="email", to_address=to, sender=self.sender,
            subject=subject, body=text, html=html, provider_message_id=sid))
        return ProviderReceipt(sid)


# -------------------------------------------------------------------------------- twilio


def _twilio_http_client(base_url: str, timeout: float) -> Any:
    """Twilio's async HTTP client, optionally sending every request to `base_url`'s scheme and host.

    Twilio's `edge`/`region` options only choose among Twilio's own hosts, so a test server
    or a regional proxy needs the URL itself rewritten. Basic auth is sent as a header:
    aiohttp deprecates the `auth=` parameter the stock client uses.
    """
    from twilio.http.async_http_client import AsyncTwilioHttpClient  # noqa: PLC0415 - twilio loads only with the Twilio backend

    target = urlsplit(base_url) if base_url else None

    class RebasedAsyncTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
        async def request(self, method: str, url: str, params: Any = None, data: Any = None,
                          headers: Any = None, auth: Any = None, timeout: Any = None,  # noqa: ASYNC109
                          allow_redirects: bool = False) -> Any:
            if target is not None and target.netloc:
                parts = urlsplit(url)
                prefix = target.path.rstrip("/")
                url = urlunsplit((target.scheme, target.netloc, prefix + parts.path, parts.query,
                                  parts.fragment))
            headers = dict(headers or {})
            if auth is not None:
                pair = f"{auth[0]}:{auth[1]}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            return await super().request(method, url, params=params, data=data, headers=headers,
                                         auth=None, timeout=timeout, allow_redirects=allow_redirects)

    return RebasedAsyncTwilioHttpClient(timeout=timeout)


class TwilioSms:
    """Texts through Twilio's Messages API with the official async client."""

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            raise SettingsError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not (settings.twilio_from or settings.twilio_messaging_service_sid):
            raise SettingsError("SMS_BACKEND=twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        self._settings = settings
        self._timeout = timeout
        self._client: Any = None
        self._http: Any = None
        self.sender = settings.twilio_messaging_service_sid or settings.twilio_from

    def _client_for_loop(self) -> Any:
        # The aiohttp session inside must be made on the running loop, so build lazily.
        if self._client is None:
            from twilio.rest import Client  # noqa: PLC0415 - twilio loads only with the Twilio backend

            s = self._settings
            self._http = _twilio_http_client(s.twilio_api_base_url, self._timeout)
            self._client = Client(s.twilio_account_sid, s.twilio_auth_token, http_client=self._http)
        return self._client

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._client = self._http = None

    @counted("twilio", "sms")
    async def send_sms(self, *, to: str, body: str, status_callback: str | None,
                       outbox_id: int | None) -> ProviderReceipt:
        """Create the message; map Twilio's answers onto RetryableError/PermanentError."""
        import aiohttp  # noqa: PLC0415 - twilio's HTTP client, only with the Twilio backend
        from twilio.base.exceptions import TwilioRestException  # noqa: PLC0415 - as above

        client = self._client_for_loop()
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self._settings.twilio_messaging_service_sid:
            kwargs["messaging_service_sid"] = self._settings.twilio_messaging_service_sid
        else:
            kwargs["from_"] = self._settings.twilio_from
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            # The stock async client ignores its own timeout, so bound the call here. A timeout
            # is ambiguous (Twilio may have accepted it): it is retried, and a status callback
            # arriving for the row first marks it sent, which stops the retry.
            async with asyncio.timeout(self._timeout):
                message = await client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            raise classify_twilio(exc.status, exc.code, exc.msg) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RetryableError(f"could not reach Twilio: {exc!r}", code="network") from exc
        return ProviderReceipt(str(message.sid), status=str(message.status or "queued"))


def classify_twilio(http_status: int, code: int | None, text: str) -> ProviderError:
    """A Twilio REST error as retryable or permanent, by the table above then the HTTP status."""
    if code is not None and code in TWILIO_CODES:
        kind, meaning = TWILIO_CODES[code]
        cls = RetryableError if kind == "retry" else PermanentError
        return cls(f"{meaning}: {text}", code=str(code))
    if http_status == 429 or http_status >= 500:
        return RetryableError(text or f"HTTP {http_status}", code=str(code or http_status))
    return PermanentError(text or f"HTTP {http_status}", code=str(code or http_status))


# ---------------------------------------------------------------------------------- smtp


class SmtpEmail:
    """Email through an SMTP server with aiosmtplib: plain text plus an HTML alternative."""

    def __init__(self, settings: Settings, *, timeout: float = 15.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self.sender = settings.mail_from

    def build(self, *, to: str, subject: str, text: str, html: str,
              attachments: tuple[Attachment, ...] = ()) -> EmailMessage:
        """The MIME message: text/plain first, text/html as the alternative, then any files."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        domain = self.sender.rsplit("@", 1)[-1].strip(">") or "tracker.invalid"
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
        for a in attachments:
            maintype, _, subtype = a.content_type.partition("/")
            message.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        return message

    @counted("smtp", "email")
    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None,
                         attachments: tuple[Attachment, ...] = ()) -> ProviderReceipt:
        """Send; 4xx replies and connection trouble are retryable, 5xx permanent."""
        import aiosmtplib  # noqa: PLC0415 - loaded only with the SMTP backend

        s = self._settings
        message = self.build(to=to, subject=subject, text=text, html=html, attachments=attachments)
        try:
            await aiosmtplib.send(
                message, hostname=s.smtp_host, port=s.smtp_port,
                username=s.smtp_username or None, password=s.smtp_password or None,
                start_tls=s.smtp_starttls, timeout=self._timeout,
                tls_context=ssl.create_default_context() if s.smtp_starttls else None,
            )
        except aiosmtplib.SMTPResponseException as exc:
            cls = PermanentError if 500 <= exc.code < 600 else RetryableError
            raise cls(exc.message, code=f"smtp{exc.code}") from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"could not reach the mail server: {exc!r}", code="network") from exc
        return ProviderReceipt(str(message["Message-ID"]))


# ------------------------------------------------------------------------- GOV.UK Notify
#
# Notify sends from templates made in its web admin, so this product keeps one template per
# channel whose placeholders carry our already-rendered words: a text template whose content is
# `((body))`, and an email template with subject `((subject))` and content `((body))`. The outbox
# row's id goes to Notify as the `reference`, so its delivery receipts find the row even when the
# sender stopped before recording Notify's id. The official client is synchronous (requests) and
# not thread-safe, so each worker thread of asyncio's default executor gets its own client, and
# every call runs in a thread off the event loop.

# GOV.UK Notify's documented errors for sending a text message or an email (the "Error codes"
# tables of its API documentation): (HTTP status, error type) -> what the dispatcher does.
# Anything not listed: HTTP 429 and 5xx are retried, other 4xx fail permanently. A request that
# never got an answer (connection refused, timeout) reaches us from the client as a 503.
NOTIFY_ERRORS: dict[tuple[int, str], tuple[str, str]] = {
    # "Can't send to this recipient using a team-only API key" / "... when service is in trial
    # mode" / "Missing personalisation: …" / template not found: the same request fails again.
    (400, "BadRequestError"): ("permanent", "Notify refused the message"),
    # "phone_number Not a UK mobile number", "email_address Not a valid email address", …
    (400, "ValidationError"): ("permanent", "Notify found a field not valid"),
    # "Invalid token: API key not found" / "Your system clock must be accurate to within 30
    # seconds": retrying will not help until an operator fixes the key or the clock.
    (403, "AuthError"): ("permanent", "Notify did not accept our API key or clock"),
    # "Exceeded rate limit for key type … of 3000 requests per 60 seconds"
    (429, "RateLimitError"): ("retry", "over Notify's per-minute rate limit"),
    # "Exceeded send limits (…) for today": tomorrow's retries go through.
    (429, "TooManyRequestsError"): ("retry", "over the service's daily sending limit"),
    # "Internal server error": "resend your text message" / "resend your email".
    (500, "Exception"): ("retry", "Notify could not process the request"),
}

API_KEY = re.compile(
    r"^(?P<name>.+)-(?P<service_id>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})"
    r"-(?P<secret>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})$"
)


def service_id_of(api_key: str) -> str:
    """The service id inside a Notify API key, or SettingsError when the key is not one."""
    match = API_KEY.match(api_key.strip())
    if match is None:
        raise SettingsError("NOTIFY_API_KEY must look like {key name}-{service id}-{secret}, "
                            "as copied from Notify's API integration page")
    return match["service_id"]


def classify_notify(http_status: int, errors: Any) -> ProviderError:
    """A Notify API error as retryable or permanent, by the table above then the HTTP status."""
    error_type, message = "", ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        error_type = str(errors[0].get("error", ""))
        message = str(errors[0].get("message", ""))
    elif errors:
        message = str(errors)
    code = f"{http_status} {error_type}".strip()
    if (http_status, error_type) in NOTIFY_ERRORS:
        kind, meaning = NOTIFY_ERRORS[(http_status, error_type)]
        cls: type[ProviderError] = RetryableError if kind == "retry" else PermanentError
        return cls(f"{meaning}: {message}" if message else meaning, code=code)
    if http_status == 429 or http_status >= 500:
        return RetryableError(message or f"HTTP {http_status}", code=code)
    return PermanentError(message or f"HTTP {http_status}", code=code)


class _NotifyClient:
    """One NotificationsAPIClient per thread (the client's requests session is not thread-safe)."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        service_id_of(settings.notify_api_key)  # refuse a malformed key at start-up
        self._api_key = settings.notify_api_key.strip()
        self._base_url = settings.notify_base_url.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
                self._api_key, base_url=self._base_url, timeout=self._timeout)
            self._local.client = client
        return client

    async def call(self, method: str, **kwargs: Any) -> ProviderReceipt:
        """Run one client method in a worker thread; map its errors onto ours."""

        def blocking() -> dict[str, Any]:
            answer: dict[str, Any] = getattr(self._client(), method)(**kwargs)
            return answer

        try:
            # A timeout is ambiguous (Notify may have the message): it is retried, and a
            # delivery receipt carrying the row's reference settles the row first if it came.
            answer = await asyncio.to_thread(blocking)
        except APIError as exc:
            if 200 <= exc.status_code < 300:
                # Accepted, but the answer could not be read: sending again would send twice.
                # The row is sent without Notify's id; its receipt finds it by reference.
                return ProviderReceipt("")
            raise classify_notify(exc.status_code, exc.message) from exc
        notification_id = answer.get("id") if isinstance(answer, dict) else None
        return ProviderReceipt(str(notification_id or ""))


class NotifySms:
    """Texts through GOV.UK Notify: the rendered text is the template's `((body))`."""

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        if not (settings.notify_api_key and settings.notify_sms_template_id):
            raise SettingsError("SMS_BACKEND=notify needs NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID")
        self._client = _NotifyClient(settings, timeout)
        self._template_id = settings.notify_sms_template_id
        self.sender = "GOV.UK Notify (text)"

    @counted("notify", "sms")
    async def send_sms(self, *, to: str, body: str, status_callback: str | None,
                       outbox_id: int | None) -> ProviderReceipt:
        """Send; Notify posts receipts to the callback URL set in its admin, not per message."""
        return await self._client.call(
            "send_sms_notification", phone_number=to, template_id=self._template_id,
            personalisation={"body": body},
            reference=str(outbox_id) if outbox_id is not None else None)


class NotifyEmail:
    """Emails through GOV.UK Notify: our subject and plain text fill its template.

    Notify builds the HTML itself from the template, so our HTML alternative is not sent.
    """

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        if not (settings.notify_api_key and settings.notify_email_template_id):
            raise SettingsError("EMAIL_BACKEND=notify needs NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID")
        self._client = _NotifyClient(settings, timeout)
        self._template_id = settings.notify_email_template_id
        self.sender = "GOV.UK Notify (email)"

    @counted("notify", "email")
    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None,
                         attachments: tuple[Attachment, ...] = ()) -> ProviderReceipt:
        """Send the subject and plain text through the email template.

        Notify sends files only through a template with a file placeholder, which this product's
        one email template does not have: an email with a file is refused, not sent without it.
        """
        if attachments:
            raise PermanentError("GOV.UK Notify email here cannot carry a file; use SMTP for "
                                 "copies of a plan", code="attachment")
        return await self._client.call(
            "send_email_notification", email_address=to, template_id=self._template_id,
            personalisation={"subject": subject, "body": text},
            reference=str(outbox_id) if outbox_id is not None else None)


@dataclass
class Providers:
    """The backends the dispatcher sends through."""

    sms: SmsProvider
    email: EmailProvider

    async def close(self) -> None:
        """Release connections."""
        for p in (self.sms, self.email):
            close = getattr(p, "close", None)
            if close is not None:
                await close()


def sms_provider_for(settings: Settings) -> SmsProvider:
    """The text backend SMS_BACKEND names."""
    if settings.sms_backend == "twilio":
        return TwilioSms(settings)
    if settings.sms_backend == "notify":
        return NotifySms(settings)
    if settings.sms_backend == "console":
        return ConsoleSms(settings.twilio_from or "console")
    raise SettingsError(f"SMS_BACKEND must be console, twilio or notify, not {settings.sms_backend!r}")


def email_provider_for(settings: Settings) -> EmailProvider:
    """The email backend EMAIL_BACKEND names."""
    if settings.email_backend == "smtp":
        return SmtpEmail(settings)
    if settings.email_backend == "notify":
        return NotifyEmail(settings)
    if settings.email_backend == "console":
        return ConsoleEmail(settings.mail_from)
    raise SettingsError(f"EMAIL_BACKEND must be console, smtp or notify, not {settings.email_backend!r}")


def providers_for(settings: Settings) -> Providers:
    """Build the backends SMS_BACKEND and EMAIL_BACKEND name."""
    return Providers(sms=sms_provider_for(settings), email=email_provider_for(settings))
