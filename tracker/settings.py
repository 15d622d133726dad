"""Typed settings, read once from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """Raised when the environment cannot give a safe configuration."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"expected true/false, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """Every setting the product reads. Each field's metadata names its variable and meaning."""

    env: str = field(
        default="development",
        metadata={"var": "TRACKER_ENV", "doc": "development, test or production"},
    )
    database_url: str = field(
        default="sqlite:///var/tracker.db",
        metadata={
            "var": "DATABASE_URL",
            "doc": "sqlite:///relative/path.db, sqlite:////absolute.db or postgresql://user@host/db",
        },
    )
    secret_key: str = field(
        default="",
        repr=False,
        metadata={
            "var": "SECRET_KEY",
            "doc": "signs sessions and CSRF tokens, and family plan links are derived with it "
            "(changing it ends every family link); generated into var/secret_key when unset "
            "(production refuses to start without it)",
        },
    )
    host: str = field(default="127.0.0.1", metadata={"var": "HOST", "doc": "address to serve on"})
    port: int = field(default=8000, metadata={"var": "PORT", "doc": "port to serve on"})
    trusted_proxies: str = field(
        default="",
        metadata={
            "var": "TRUSTED_PROXIES",
            "doc": "comma-separated addresses or networks of reverse proxies whose "
            "X-Forwarded-For/-Proto are believed (empty: none; the peer's address is the client's)",
        },
    )
    public_base_url: str = field(
        default="http://127.0.0.1:8000",
        metadata={
            "var": "PUBLIC_BASE_URL",
            "doc": "the address people and Twilio reach the product at (links, webhook signatures)",
        },
    )
    var_dir: Path = field(
        default=PROJECT_ROOT / "var",
        metadata={"var": "VAR_DIR", "doc": "where the SQLite file, secret key and uploads live"},
    )
    authority_name: str = field(
        default="Demo Children's Services",
        metadata={"var": "AUTHORITY_NAME", "doc": "the local authority's name on pages and emails"},
    )
    first_review_months: int = field(
        default=3,
        metadata={"var": "FIRST_REVIEW_MONTHS", "doc": "first review at most this long after the ICPC"},
    )
    later_review_months: int = field(
        default=6,
        metadata={"var": "LATER_REVIEW_MONTHS", "doc": "later reviews at most this far apart"},
    )
    report_working_days_before: int = field(
        default=2,
        metadata={
            "var": "REPORT_WORKING_DAYS_BEFORE",
            "doc": "reports are due this many working days before a conference",
        },
    )
    first_core_group_working_days: int = field(
        default=10,
        metadata={
            "var": "FIRST_CORE_GROUP_WORKING_DAYS",
            "doc": "first core group within this many working days of the ICPC",
        },
    )
    language_rules_path: str = field(
        default="",
        metadata={
            "var": "LANGUAGE_RULES_PATH",
            "doc": "a TOML file of restorative language rules (empty: the bundled file)",
        },
    )
    language_tone_path: str = field(
        default="",
        metadata={
            "var": "LANGUAGE_TONE_PATH",
            "doc": "a JSON tone model for the language check (empty: the bundled file; "
                   "off: rules only)",
        },
    )
    plain_english_terms_path: str = field(
        default="",
        metadata={
            "var": "PLAIN_ENGLISH_TERMS_PATH",
            "doc": "a TOML file of jargon and plain alternatives for family-facing text (empty: the bundled file)",
        },
    )
    family_link_days: int = field(
        default=45,
        metadata={"var": "FAMILY_LINK_DAYS", "doc": "a family member's plan link works this many days"},
    )
    date_span_years: int = field(
        default=5,
        metadata={"var": "DATE_SPAN_YEARS",
                  "doc": "due dates, conference and meeting times and review dates must fall within "
                         "this many years either side of today"},
    )
    db_pool_max: int = field(
        default=10, metadata={"var": "DB_POOL_MAX", "doc": "PostgreSQL pool size per process"}
    )
    # --- staff sign-in (tracker/staff/oidc.py) ---
    password_signin: bool = field(
        default=True,
        metadata={"var": "PASSWORD_SIGNIN",
                  "doc": "offer sign-in with a password (false: only single sign-on; password reset is off too)"},
    )
    oidc_issuer: str = field(
        default="",
        metadata={"var": "OIDC_ISSUER",
                  "doc": "the OpenID Connect provider's issuer URL (e.g. https://login.microsoftonline.com/"
                  "TENANT/v2.0); with the client id and secret it turns single sign-on on"},
    )
    oidc_client_id: str = field(
        default="", metadata={"var": "OIDC_CLIENT_ID", "doc": "this service's client id at the provider"}
    )
    oidc_client_secret: str = field(
        default="", repr=False,
        metadata={"var": "OIDC_CLIENT_SECRET",
                  "doc": "this service's client secret at the provider; the provider must allow the "
                  "redirect URI PUBLIC_BASE_URL/signin/oidc/callback"},
    )
    oidc_scopes: str = field(
        default="openid email profile",
        metadata={"var": "OIDC_SCOPES", "doc": "scopes asked for (must include openid and give an email claim)"},
    )
    oidc_email_claim: str = field(
        default="email",
        metadata={"var": "OIDC_EMAIL_CLAIM",
                  "doc": "the ID token claim holding the person's email (Entra ID without the email "
                  "claim configured: preferred_username)"},
    )
    oidc_create_users: bool = field(
        default=False,
        metadata={"var": "OIDC_CREATE_USERS",
                  "doc": "single sign-on adds an account (professional role only) for someone with none"},
    )
    # --- nudges (tracker/notify) ---
    sms_backend: str = field(
        default="console",
        metadata={"var": "SMS_BACKEND",
                  "doc": "console (recorded, shown at /dev/messages), twilio or notify (GOV.UK Notify)"},
    )
    email_backend: str = field(
        default="console",
        metadata={"var": "EMAIL_BACKEND",
                  "doc": "console (recorded, shown at /dev/messages), smtp or notify (GOV.UK Notify)"},
    )
    twilio_account_sid: str = field(
        default="", metadata={"var": "TWILIO_ACCOUNT_SID", "doc": "Twilio account SID (AC…)"}
    )
    twilio_auth_token: str = field(
        default="", repr=False,
        metadata={"var": "TWILIO_AUTH_TOKEN", "doc": "Twilio auth token; also verifies webhooks"},
    )
    twilio_from: str = field(
        default="", metadata={"var": "TWILIO_FROM", "doc": "the E.164 number texts come from"}
    )
    twilio_messaging_service_sid: str = field(
        default="",
        metadata={"var": "TWILIO_MESSAGING_SERVICE_SID", "doc": "send through this service instead"},
    )
    twilio_api_base_url: str = field(
        default="",
        metadata={"var": "TWILIO_API_BASE_URL",
                  "doc": "send Twilio API requests here instead (a test server or a proxy)"},
    )
    notify_api_key: str = field(
        default="", repr=False,
        metadata={"var": "NOTIFY_API_KEY",
                  "doc": "GOV.UK Notify API key (`{key name}-{service id}-{secret}`, from Notify's "
                         "API integration page)"},
    )
    notify_sms_template_id: str = field(
        default="",
        metadata={"var": "NOTIFY_SMS_TEMPLATE_ID",
                  "doc": "the Notify text message template whose whole content is `((body))`"},
    )
    notify_email_template_id: str = field(
        default="",
        metadata={"var": "NOTIFY_EMAIL_TEMPLATE_ID",
                  "doc": "the Notify email template with subject `((subject))` and content `((body))`"},
    )
    notify_base_url: str = field(
        default="https://api.notifications.service.gov.uk",
        metadata={"var": "NOTIFY_BASE_URL",
                  "doc": "where Notify API requests go (change only for a test server or a proxy)"},
    )
    notify_callback_token: str = field(
        default="", repr=False,
        metadata={"var": "NOTIFY_CALLBACK_TOKEN",
                  "doc": "the bearer token given to Notify for its delivery-receipt and received-text "
                         "callbacks (/webhooks/notify/…); unset: those callbacks are refused"},
    )
    smtp_host: str = field(default="127.0.0.1", metadata={"var": "SMTP_HOST", "doc": "SMTP server"})
    smtp_port: int = field(default=25, metadata={"var": "SMTP_PORT", "doc": "SMTP port"})
    smtp_username: str = field(default="", metadata={"var": "SMTP_USERNAME", "doc": "SMTP login"})
    smtp_password: str = field(
        default="", repr=False, metadata={"var": "SMTP_PASSWORD", "doc": "SMTP password"}
    )
    smtp_starttls: bool = field(
        default=False, metadata={"var": "SMTP_STARTTLS", "doc": "upgrade the SMTP connection with STARTTLS"}
    )
    mail_from: str = field(
        default="Plan tracker <nudges@tracker.invalid>",
        metadata={"var": "MAIL_FROM", "doc": "the From address of emails"},
    )
    sms_hours: str = field(
        default="09:00-19:00",
        metadata={"var": "SMS_HOURS", "doc": "local hours texts may be sent (others wait, never dropped)"},
    )
    email_hours: str = field(
        default="07:00-21:00", metadata={"var": "EMAIL_HOURS", "doc": "local hours emails may be sent"}
    )
    sms_on_sundays: bool = field(
        default=False, metadata={"var": "SMS_ON_SUNDAYS", "doc": "allow texts on Sundays"}
    )
    sms_on_bank_holidays: bool = field(
        default=False, metadata={"var": "SMS_ON_BANK_HOLIDAYS", "doc": "allow texts on bank holidays"}
    )
    nudge_time: str = field(
        default="09:30", metadata={"var": "NUDGE_TIME", "doc": "local time a day's nudges fall due"}
    )
    professional_working_days_before: int = field(
        default=5,
        metadata={"var": "NUDGE_PROFESSIONAL_WORKING_DAYS_BEFORE",
                  "doc": "remind professionals this many working days before an action is due"},
    )
    member_days_before: int = field(
        default=2,
        metadata={"var": "NUDGE_MEMBER_DAYS_BEFORE",
                  "doc": "remind family members this many days before their step is due"},
    )
    report_nudge_working_days: int = field(
        default=5,
        metadata={"var": "NUDGE_REPORT_WORKING_DAYS_BEFORE",
                  "doc": "remind invited professionals this many working days before the report deadline"},
    )
    overdue_nudges_max: int = field(
        default=4, metadata={"var": "NUDGE_OVERDUE_MAX", "doc": "weekly overdue nudges at most"}
    )
    send_rate_per_second: float = field(
        default=1.0,
        metadata={"var": "SEND_RATE_PER_SECOND", "doc": "messages a second per sender (0: no throttle)"},
    )
    dispatch_interval_seconds: int = field(
        default=30, metadata={"var": "DISPATCH_INTERVAL_SECONDS", "doc": "seconds between dispatcher ticks"}
    )
    dispatch_batch_size: int = field(
        default=50, metadata={"var": "DISPATCH_BATCH_SIZE", "doc": "rows one tick claims at most"}
    )
    send_max_attempts: int = field(
        default=5, metadata={"var": "SEND_MAX_ATTEMPTS", "doc": "tries before a message is failed"}
    )
    retry_base_seconds: int = field(
        default=30,
        metadata={"var": "RETRY_BASE_SECONDS", "doc": "first retry delay; doubles each try, with jitter"},
    )
    dispatch_stall_seconds: int = field(
        default=300,
        metadata={"var": "DISPATCH_STALL_SECONDS",
                  "doc": "/health answers 503 when the dispatcher has not ticked cleanly for this long"},
    )
    send_lease_seconds: int = field(
        default=300,
        metadata={"var": "SEND_LEASE_SECONDS",
                  "doc": "a claimed row not recorded by then is swept (to unknown if it reached the provider)"},
    )
    # --- operations ---
    log_format: str = field(
        default="text",
        metadata={"var": "LOG_FORMAT",
                  "doc": "text (lines for people) or json (one JSON event a line, for log collectors)"},
    )
    metrics_token: str = field(
        default="", repr=False,
        metadata={"var": "METRICS_TOKEN",
                  "doc": "bearer token /metrics asks for (Prometheus format); unset: /metrics answers 404"},
    )
    # Core group meetings (issue 9 part 3): how far apart they may be after the first one.
    core_group_interval_weeks: int = field(
        default=6,
        metadata={"var": "CORE_GROUP_INTERVAL_WEEKS",
                  "doc": "core group meetings at most this many weeks apart (after the first)"},
    )
    # --- a family member's texts (issue 10 part 8: routine steps) ---
    member_texts_per_week: int = field(
        default=2,
        metadata={"var": "MEMBER_TEXTS_PER_WEEK",
                  "doc": "texts a family member gets at most in any rolling 7 days (more wait their turn)"},
    )
    quiet_days: str = field(
        default="12-24..01-01",
        metadata={"var": "QUIET_DAYS",
                  "doc": "MM-DD..MM-DD: no messages to family members on these days unless something "
                         "falls due that day (empty: none)"},
    )
    # --- several instances (issue 12): rolling restarts ---
    shutdown_grace_seconds: int = field(
        default=20,
        metadata={"var": "SHUTDOWN_GRACE_SECONDS",
                  "doc": "on SIGTERM a web process stops taking connections and waits this long "
                         "for requests in flight to finish"},
    )

    @property
    def is_production(self) -> bool:
        """True when running for real people: stricter checks apply."""
        return self.env == "production"

    @property
    def trusted_proxy_list(self) -> list[str]:
        """TRUSTED_PROXIES as a list of addresses or networks (empty: trust no proxy)."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def oidc_enabled(self) -> bool:
        """True when single sign-on with OpenID Connect is configured."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def oidc_redirect_uri(self) -> str:
        """Where the provider sends the browser back (register this URI at the provider)."""
        return f"{self.public_base_url}/signin/oidc/callback"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite:")

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag when the public address is https."""
        return self.public_base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables, generating a dev secret when unset."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            var = f.metadata["var"]
            if var not in environ:
                continue
            raw = environ[var]
            try:
                if f.type in ("int", int):
                    values[f.name] = int(raw)
                elif f.type in ("float", float):
                    values[f.name] = float(raw)
                elif f.type in ("bool", bool):
                    values[f.name] = _bool(raw)
                elif f.type in ("Path", Path):
                    values[f.name] = Path(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise SettingsError(f"{var}: {exc}") from exc
        settings = cls(**values)
        _check(settings)
        if not settings.secret_key:
            if settings.is_production:
                raise SettingsError(
                    "SECRET_KEY must be set in production: generate one with "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            settings = _with(settings, secret_key=_dev_secret(settings.var_dir))
        return _with(settings, public_base_url=settings.public_base_url.rstrip("/"))


def _with(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


def _dev_secret(var_dir: Path) -> str:
    """Read the generated secret from var/, or create it (owner-only) on first run."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


_current: Settings | None = None


def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def reset_settings(settings: Settings | None = None) -> None:
    """Replace (or forget) the process's settings; used by the CLI and tests."""
    global _current
    _current = settings


def settings_table() -> str:
    """The README's settings table, generated from the fields so the two never drift."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for f in fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = "var/"
        shown = "(generated)" if f.name == "secret_key" else f"`{default}`"
        rows.append(f"| `{f.metadata['var']}` | {shown} | {f.metadata['doc']} |")
    return "\n".join(rows)


def _quiet_days_bad(value: str) -> bool:
    """True when QUIET_DAYS is not MM-DD..MM-DD with two days that exist (29 February allowed)."""
    first, sep, last = value.partition("..")
    if not sep:
        return True
    try:
        for part in (first, last):
            month, day = (int(x) for x in part.strip().split("-"))
            date(2024, month, day)
    except ValueError:
        return True
    return False


def _check(settings: Settings) -> None:
    """Refuse settings that cannot work together, with a message saying what to set."""
    if settings.env not in {"development", "test", "production"}:
        raise SettingsError("TRACKER_ENV must be development, test or production")
    if not 1 <= settings.core_group_interval_weeks <= 52:
        raise SettingsError("CORE_GROUP_INTERVAL_WEEKS must be between 1 and 52")
    if settings.member_texts_per_week < 1:
        raise SettingsError("MEMBER_TEXTS_PER_WEEK must be 1 or more")
    if settings.quiet_days and _quiet_days_bad(settings.quiet_days):
        raise SettingsError("QUIET_DAYS must be MM-DD..MM-DD, such as 12-24..01-01, or empty")
    if settings.log_format not in {"text", "json"}:
        raise SettingsError("LOG_FORMAT must be text or json")
    for proxy in settings.trusted_proxy_list:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"TRUSTED_PROXIES: {proxy!r} is not an IP address or network") from None
    if not settings.password_signin and not settings.oidc_enabled:
        raise SettingsError(
            "PASSWORD_SIGNIN=false needs single sign-on: set OIDC_ISSUER, OIDC_CLIENT_ID and "
            "OIDC_CLIENT_SECRET, or nobody could sign in"
        )
    if settings.oidc_issuer and not settings.oidc_issuer.startswith("https://") and settings.is_production:
        raise SettingsError("OIDC_ISSUER must be an https:// address in production")
