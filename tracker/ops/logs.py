"""Logs: text lines for people (`LOG_FORMAT=text`) or one JSON event a line (`LOG_FORMAT=json`).

Every record written while a request is being served carries that request's id (also sent back
in the `X-Request-Id` header), so one person's trouble can be found across processes. Logs
never carry tokens, phone numbers, email addresses or names: the access event names the route
template (`/api/v1/plans/{plan_id}`), never the raw path, and every message is scrubbed of
anything shaped like an email address, a phone number or a bearer token before it is written,
in case a library (or a careless line of ours) puts one in.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.logging.config import LoggingConfig

from tracker.settings import Settings

# The id of the request being served on this task (None outside a request).
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Fields of a log record that the JSON formatter writes as fields of their own.
EVENT_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "user_id", "member_id")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International numbers (+44 7700 900123, +447700900123) and UK national mobiles (07700 900123).
_PHONE = re.compile(r"(?<![\w/])(?:\+\d[\d ]{8,16}\d|0 ?7\d{3} ?\d{3} ?\d{3})(?!\w)")
_CREDENTIAL = re.compile(r"(?i)\b(bearer\s+|(?:token|password|secret|api[_-]?key)\s*[=:]\s*)[^\s,;&\"']+")
_SECRET_PATHS = re.compile(r"/(f|reset|calendar)/[^/\s?\"']+")


def scrub(text: str) -> str:
    """The text with emails, phone numbers, credentials and secret link tokens replaced."""
    text = _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}[redacted]", text)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, event, the request's fields, and any error."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": scrub(record.getMessage()),
        }
        for name in EVENT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                event[name] = value
        if record.exc_info:
            event["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger [request id] message`, scrubbed like the JSON events."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = scrub(super().format(record))
        request_id = getattr(record, "request_id", None)
        if request_id:
            head, _, rest = line.partition(f" {record.name} ")
            line = f"{head} {record.name} [{request_id}] {rest}"
        return line


def litestar_logging_config() -> LoggingConfig:
    """Litestar's logging set up to leave ours alone: it does not replace the root logger's handler
    (which writes LOG_FORMAT), and its own `litestar` logger writes through that handler."""
    return LoggingConfig(configure_root_logger=False,
                         loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}})


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """Send the process's logs (ours, uvicorn's, libraries') to stderr in LOG_FORMAT; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_tracker", False)]:
        root.removeHandler(old)
    setattr(handler, "_tracker", True)  # noqa: B010 - a marker attribute logging.Handler does not declare
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # uvicorn's loggers carry their own handlers unless told otherwise: route them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # APScheduler says "Running job …" at INFO every tick; our dispatcher logs what a tick did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler
