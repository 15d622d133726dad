"""Providers: a small interface for sending a text or an email, with typed retryable/permanent errors.

Backends: Twilio (SMS, the official async client), SMTP (email, aiosmtplib) and a console
backend for each that records the message in the database for /dev/messages.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

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


class SmsProvider(Protocol):
    """Sends texts."""

    sender: str

    async def send_sms(self, *, to: str, body: str, status_callback: str | None,
                       outbox_id: int | None) -> ProviderReceipt: ...


class EmailProvider(Protocol):
    """Sends emails with a plain-text body and an HTML alternative."""

    sender: str

    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None) -> ProviderReceipt: ...


# ------------------------------------------------------------------------------- console


class ConsoleSms:
    """Records texts in the database (shown at /dev/messages) instead of sending them."""

    def __init__(self, sender: str = "console") -> None:
        self.sender = sender

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

    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None) -> ProviderReceipt:
        """Record the email; always accepted."""
        sid = "CONSOLE-EM" + secrets.token_hex(8)
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

    class RebasedAsyncTwilioHttpClient(AsyncTwilioHttpClient):
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

    def build(self, *, to: str, subject: str, text: str, html: str) -> EmailMessage:
        """The MIME message: text/plain first, text/html as the alternative."""
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
        return message

    async def send_email(self, *, to: str, subject: str, text: str, html: str,
                         outbox_id: int | None) -> ProviderReceipt:
        """Send; 4xx replies and connection trouble are retryable, 5xx permanent."""
        import aiosmtplib  # noqa: PLC0415 - loaded only with the SMTP backend

        s = self._settings
        message = self.build(to=to, subject=subject, text=text, html=html)
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


def providers_for(settings: Settings) -> Providers:
    """Build the backends SMS_BACKEND and EMAIL_BACKEND name."""
    if settings.sms_backend == "twilio":
        sms: SmsProvider = TwilioSms(settings)
    elif settings.sms_backend == "console":
        sms = ConsoleSms(settings.twilio_from or "console")
    else:
        raise SettingsError(f"SMS_BACKEND must be console or twilio, not {settings.sms_backend!r}")
    if settings.email_backend == "smtp":
        email: EmailProvider = SmtpEmail(settings)
    elif settings.email_backend == "console":
        email = ConsoleEmail(settings.mail_from)
    else:
        raise SettingsError(f"EMAIL_BACKEND must be console or smtp, not {settings.email_backend!r}")
    return Providers(sms=sms, email=email)
