"""`/metrics` in Prometheus's text format, for a scraper holding METRICS_TOKEN.

Unset METRICS_TOKEN answers 404, as if there were no such page: nothing about the service is
shown until an operator chooses to. A missing or wrong token answers 401.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from litestar import Request, Response, get
from piccolo.query.functions.aggregate import Count

from tracker import metrics
from tracker.errors import NotFound
from tracker.notify.heartbeat import Heartbeat
from tracker.notify.tables import STATUSES, Outbox
from tracker.settings import Settings


async def outbox_by_status() -> dict[str, int]:
    """How many outbox rows are in each status (every status named, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    rows = await Outbox.select(Outbox.status, Count(Outbox.id, alias="n")).group_by(Outbox.status)
    for row in rows:
        counts[row["status"]] = int(row["n"])
    return counts


def _seconds_since_tick(request: Request[Any, Any, Any]) -> float | None:
    """Seconds since this process's dispatcher last ticked cleanly (since it started, before its
    first clean tick): its heartbeat, as /health reads it. None without a dispatcher here."""
    heartbeat: Heartbeat | None = request.app.state.get("dispatcher_heartbeat")
    if heartbeat is None:
        return None
    now: datetime = request.app.state["clock"].now()
    return max((now - (heartbeat.last_success_at or heartbeat.started_at)).total_seconds(), 0.0)


@get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """This process's request and send counters, and the outbox by status."""
    settings: Settings = request.app.state["settings"]
    if not settings.metrics_token:
        raise NotFound("metrics")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                             settings.metrics_token.encode()):
        return Response(b"Send the metrics token as 'Authorization: Bearer ...'.\n", status_code=401,
                        media_type="text/plain", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = metrics.exposition(await outbox_by_status(), _seconds_since_tick(request))
    return Response(body, media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})


ROUTES = [prometheus_metrics]
