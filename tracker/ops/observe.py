"""Around every HTTP request, routed or not: a request id, one access event, and the latency metric.

This wraps the whole Litestar application (not a route's middleware), so answers Litestar
gives before or without routing (an unknown path's 404, a 405) are logged, counted and carry
`X-Request-Id` too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tracker import metrics
from tracker.ops.logs import request_id_var
from tracker.web import redact_path

log = logging.getLogger("tracker.access")
HEADER = "X-Request-Id"
# An id a trusted reverse proxy set is kept (so its logs and ours join up) when it looks like one.
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNMATCHED = "unmatched"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _GOOD_ID.match(text) else None
    return None


def _who(state: dict[str, Any]) -> dict[str, int]:
    """The signed-in professional's or family member's id (never a name or address)."""
    who: dict[str, int] = {}
    caller = state.get("caller")
    user_id = getattr(caller, "id", None) if caller is not None else state.get("user_id")
    if isinstance(user_id, int):
        who["user_id"] = user_id
    if isinstance(state.get("member_id"), int):
        who["member_id"] = state["member_id"]
    return who


def observe_requests(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app: request id in and out, one access event, latency by route template."""

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                headers[HEADER] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or UNMATCHED
            method = scope["method"]
            metrics.observe_request(method, route, status, seconds)
            log.info("%s %s %s %.0fms", method, redact_path(scope["path"]), status, seconds * 1000,
                     extra={"method": method, "route": route, "status": status,
                            "duration_ms": round(seconds * 1000, 1), **_who(state)})
            request_id_var.reset(token)

    return observed
