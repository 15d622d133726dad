"""Prometheus metrics: what this process counts (requests, sends) and what the database says (the outbox).

Counters and histograms live in one registry per process (`REGISTRY`), so with several
processes each `/metrics` answer covers only the process that gave it: scrape every process
(each has its own port), and add them up in the query, e.g.
`sum by (route) (rate(tracker_http_request_duration_seconds_sum[5m]))`. The outbox figures are
read from the database at scrape time, so every process gives the same answer for them. The
dispatcher's last successful tick (its heartbeat, which /health reads too) is known only to the
process that runs the dispatcher; a web-only process (`tracker serve --no-scheduler`) leaves
that metric out.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "tracker_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["method", "route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter(
    "tracker_http_requests", "HTTP requests answered, by route template and status code.",
    ["method", "route", "status"], registry=REGISTRY,
)
SENDS = Counter(
    "tracker_sends", "Messages handed to a provider, by provider, channel and result "
    "(accepted, retryable, permanent).", ["provider", "channel", "result"], registry=REGISTRY,
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    REQUESTS.labels(method, route, str(status)).inc()


def count_send(provider: str, channel: str, result: str) -> None:
    """Count one attempt to hand a message to a provider."""
    SENDS.labels(provider, channel, result).inc()


class _Snapshot(Collector):
    """Figures read from the database for one scrape."""

    def __init__(self, outbox: dict[str, int], seconds_since_tick: float | None) -> None:
        self.outbox = outbox
        self.seconds_since_tick = seconds_since_tick

    def collect(self) -> Iterable[Metric]:
        rows = GaugeMetricFamily("tracker_outbox_rows", "Outbox rows (messages) by status.",
                                 labels=["status"])
        for status, count in sorted(self.outbox.items()):
            rows.add_metric([status], count)
        yield rows
        if self.seconds_since_tick is not None:
            yield GaugeMetricFamily(
                "tracker_dispatcher_seconds_since_last_successful_tick",
                "Seconds since this process's nudge dispatcher last ticked cleanly (since it "
                "started, before its first clean tick).", value=self.seconds_since_tick)


def exposition(outbox: dict[str, int], seconds_since_tick: float | None) -> bytes:
    """The Prometheus text format: this process's counters, then the database's figures."""
    snapshot = CollectorRegistry(auto_describe=True)
    snapshot.register(_Snapshot(outbox, seconds_since_tick))
    return generate_latest(REGISTRY) + generate_latest(snapshot)
