"""Typed settings, read once from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

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
            "doc": "signs sessions and CSRF tokens; generated into var/secret_key when unset "
            "(production refuses to start without it)",
        },
    )
    host: str = field(default="127.0.0.1", metadata={"var": "HOST", "doc": "address to serve on"})
    port: int = field(default=8000, metadata={"var": "PORT", "doc": "port to serve on"})
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
    family_link_days: int = field(
        default=45,
        metadata={"var": "FAMILY_LINK_DAYS", "doc": "a family member's plan link works this many days"},
    )
    db_pool_max: int = field(
        default=10, metadata={"var": "DB_POOL_MAX", "doc": "PostgreSQL pool size per process"}
    )

    @property
    def is_production(self) -> bool:
        """True when running for real people: stricter checks apply."""
        return self.env == "production"

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
        values: dict[str, object] = {}
        for f in fields(cls):
            var = f.metadata["var"]
            if var not in environ:
                continue
            raw = environ[var]
            try:
                if f.type in ("int", int):
                    values[f.name] = int(raw)
                elif f.type in ("bool", bool):
                    values[f.name] = _bool(raw)
                elif f.type in ("Path", Path):
                    values[f.name] = Path(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise SettingsError(f"{var}: {exc}") from exc
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.env not in {"development", "test", "production"}:
            raise SettingsError("TRACKER_ENV must be development, test or production")
        if not settings.secret_key:
            if settings.is_production:
                raise SettingsError(
                    "SECRET_KEY must be set in production: generate one with "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            settings = _with(settings, secret_key=_dev_secret(settings.var_dir))
        return _with(settings, public_base_url=settings.public_base_url.rstrip("/"))


def _with(settings: Settings, **changes: object) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)  # type: ignore[arg-type]


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
