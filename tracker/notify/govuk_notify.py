"""GOV.UK Notify as a provider for texts and emails, through the official notifications-python-client.

Notify sends from templates made in its web admin, so this product keeps one template per
channel whose placeholders carry our already-rendered words: a text template whose content is
`((body))`, and an email template with subject `((subject))` and content `((body))`. The outbox
row's id goes to Notify as the `reference`, so its delivery receipts find the row even when the
sender stopped before recording Notify's id.

The official client is synchronous (requests) and not thread-safe, so each worker thread of
asyncio's default executor gets its own client, and every call runs in a thread off the loop.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

from tracker.notify.providers import (
    PermanentError,
    ProviderError,
    ProviderReceipt,
    RetryableError,
    counted,
)
from tracker.settings import Settings, SettingsError

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

# Notify's message statuses (texts and emails) as outbox statuses.
NOTIFY_STATUS = {
    "created": "sent", "sending": "sent", "pending": "sent",
    "sent": "sent",  # an international text: no further report will come
    "delivered": "delivered",
    "permanent-failure": "failed", "temporary-failure": "failed", "technical-failure": "failed",
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
            from notifications_python_client.notifications import NotificationsAPIClient

            client = NotificationsAPIClient(self._api_key, base_url=self._base_url,
                                            timeout=self._timeout)
            self._local.client = client
        return client

    async def call(self, method: str, **kwargs: Any) -> ProviderReceipt:
        """Run one client method in a worker thread; map its errors onto ours."""
        from notifications_python_client.errors import APIError

        def blocking() -> dict[str, Any]:
            return getattr(self._client(), method)(**kwargs)

        try:
            # A timeout is ambiguous (Notify may have the message): it is retried, and a
            # delivery receipt carrying the row's reference settles the row first if it came.
            answer = await asyncio.to_thread(blocking)
        except APIError as exc:
            raise classify_notify(exc.status_code, exc.message) from exc
        if not isinstance(answer, dict) or not answer.get("id"):
            raise RetryableError("Notify's answer had no notification id", code="invalid response")
        return ProviderReceipt(str(answer["id"]))


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
                         outbox_id: int | None) -> ProviderReceipt:
        """Send the subject and plain text through the email template."""
        return await self._client.call(
            "send_email_notification", email_address=to, template_id=self._template_id,
            personalisation={"subject": subject, "body": text},
            reference=str(outbox_id) if outbox_id is not None else None)
