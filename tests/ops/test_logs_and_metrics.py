"""Operations as a monitoring team sees them: request ids, JSON log lines, and /metrics behind its token."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import random
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.factories import WINDOWS, make_user, make_world
from tests.support.staff import sign_in
from tracker.bootstrap import build_dispatcher
from tracker.notify.outbox import enqueue
from tracker.notify.providers import providers_for
from tracker.notify.scheduler import dispatch_tick
from tracker.notify.tables import STATUSES, Outbox
from tracker.ops.logs import JsonFormatter, configure_logging, scrub
from tracker.settings import Settings, SettingsError, get_settings

BASE = "http://testserver.local"
METRICS_TOKEN = "metrics-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def ops_settings() -> Settings:
    return dataclasses.replace(get_settings(), metrics_token=METRICS_TOKEN, log_format="json",
                               send_rate_per_second=0)


@pytest.fixture
def ops_app(migrated, clock, ops_settings):  # type: ignore[no-untyped-def]
    from tracker.app import create_app

    return create_app(ops_settings, clock=clock, scheduler=False)


@pytest.fixture
async def ops(ops_app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ops_app), base_url=BASE) as client:
        yield client


@pytest.fixture
def json_log(ops_settings) -> Iterator[io.StringIO]:  # type: ignore[no-untyped-def]
    """What the process logs, as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = configure_logging(ops_settings, stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line must be one JSON object."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def access_event(stream: io.StringIO, request_id: str) -> dict[str, Any]:
    [event] = [e for e in events(stream) if e["logger"] == "tracker.access" and e.get("request_id") == request_id]
    return event


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The exposition parsed by Prometheus's own parser: (name, labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


# ------------------------------------------------------------------------------ request ids and logs


async def test_every_answer_carries_a_request_id_even_for_an_unknown_path(ops):
    first, second = await ops.get("/health"), await ops.get("/health")
    assert len(first.headers["x-request-id"]) == 32 and first.headers["x-request-id"] != second.headers["x-request-id"]
    missing = await ops.get("/no/such/page")
    assert missing.status_code == 404 and len(missing.headers["x-request-id"]) == 32
    kept = await ops.get("/health", headers={"X-Request-Id": "proxy-abc-12345"})
    assert kept.headers["x-request-id"] == "proxy-abc-12345"
    odd = await ops.get("/health", headers={"X-Request-Id": "<script>"})
    assert odd.headers["x-request-id"] != "<script>" and len(odd.headers["x-request-id"]) == 32


async def test_json_logs_give_one_event_a_line_with_route_status_duration_and_user_id(ops, json_log, clock):
    world = await make_world(clock.now())
    response = await ops.get(f"/api/v1/plans/{world.plan_id}",
                             headers={"Authorization": f"Bearer {world.lead.token}"})
    assert response.status_code == 200
    event = access_event(json_log, response.headers["x-request-id"])
    assert event["route"] == "/api/v1/plans/{plan_id}" and event["method"] == "GET"
    assert event["status"] == 200 and isinstance(event["duration_ms"], float)
    assert event["user_id"] == world.lead.id and event["level"] == "info"
    assert "T" in event["ts"]
    text = json_log.getvalue()
    for secret in (world.lead.token, world.lead.email, world.lead.name, "Jess", "Rosie"):
        assert secret not in text


async def test_a_family_link_token_and_a_staff_sign_in_never_reach_the_json_log(ops, json_log, clock):
    user = await make_user(clock.now(), name="Nadia Logtest", password="a long enough password 1")
    await sign_in(ops, user.email, "a long enough password 1")
    page = await ops.get("/actions")
    assert page.status_code == 200
    event = access_event(json_log, page.headers["x-request-id"])
    assert event["user_id"] == user.id and event["route"] == "/actions"
    await ops.get("/f/SeCrEtToKeN-should-not-appear")
    text = json_log.getvalue()
    for secret in ("SeCrEtToKeN-should-not-appear", user.email, "Nadia", "a long enough password 1"):
        assert secret not in text
    # A line written while serving a request carries that request's id.
    signed_in = [e for e in events(json_log) if e["event"].startswith(f"user {user.id} signed in")]
    assert signed_in and signed_in[0]["request_id"]


def test_messages_are_scrubbed_of_addresses_numbers_and_credentials() -> None:
    assert scrub("sent sms #3 to +447700900123, 1 segment") == "sent sms #3 to [phone], 1 segment"
    assert scrub("to 07700 900123 and jess@example.org") == "to [phone] and [email]"
    assert scrub("Authorization: Bearer abc.def") == "Authorization: Bearer [redacted]"
    assert scrub("GET /reset/9f8e7d?token=xyz") == "GET /reset/[redacted]?token=[redacted]"
    tick = "tick at 2026-11-24T10:00:00+00:00: 3 new, 2 sent"
    assert scrub(tick) == tick


def test_an_error_is_one_json_line_with_its_traceback_scrubbed() -> None:
    try:
        raise ValueError("cannot text +447700900123")
    except ValueError:
        record = logging.LogRecord("tracker", logging.ERROR, __file__, 1, "failed for %s", ("a@b.org",),
                                   exc_info=__import__("sys").exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert event["event"] == "failed for [email]" and "ValueError: cannot text [phone]" in event["error"]


def test_log_format_must_be_text_or_json() -> None:
    assert Settings.from_env({"LOG_FORMAT": "json", "VAR_DIR": "/tmp/tracker-ops-test"}).log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        Settings.from_env({"LOG_FORMAT": "xml", "VAR_DIR": "/tmp/tracker-ops-test"})


# ------------------------------------------------------------------------------ /metrics


async def test_metrics_are_hidden_without_a_token_and_refused_with_a_wrong_one(migrated, clock, ops):
    from tracker.app import create_app

    app = create_app(dataclasses.replace(get_settings(), metrics_token=""), clock=clock, scheduler=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await client.get("/metrics", headers=BEARER)).status_code == 404
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        answer = await ops.get("/metrics", headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        assert "tracker_" not in answer.text
    answer = await ops.get("/metrics", headers=BEARER)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain; version=0.0.4")


async def test_metrics_show_the_outbox_by_status(ops, clock):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    for n in range(3):
        await enqueue(windows=WINDOWS,
                      channel="sms", template="member_action_due", due_at=clock.now(), key=f"test:metrics:{jess}:{n}",
                      recipient_member_id=jess, context={"name": "Jess", "due_on": "2026-11-24", "needs_link": True})
    found = samples((await ops.get("/metrics", headers=BEARER)).text)
    for status in STATUSES:
        expected = await Outbox.count().where(Outbox.status == status)
        assert found[("tracker_outbox_rows", (("status", status),))] == expected
    assert found[("tracker_outbox_rows", (("status", "pending"),))] >= 3


async def test_request_latency_is_counted_by_route_template_not_raw_path(ops, clock):
    world = await make_world(clock.now())
    key = ("tracker_http_request_duration_seconds_count", (("method", "GET"), ("route", "/api/v1/plans/{plan_id}")))
    before = samples((await ops.get("/metrics", headers=BEARER)).text).get(key, 0)
    for _ in range(2):
        await ops.get(f"/api/v1/plans/{world.plan_id}", headers={"Authorization": f"Bearer {world.lead.token}"})
    await ops.get("/no/such/page/12345")
    text = (await ops.get("/metrics", headers=BEARER)).text
    found = samples(text)
    assert found[key] == before + 2
    assert found[("tracker_http_requests_total",
                  (("method", "GET"), ("route", "/api/v1/plans/{plan_id}"), ("status", "200")))] >= 2
    assert ("tracker_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404"))) in found
    # No raw path in any route label (a sample's value may hold the digits 12345: 0.0123456).
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert "/api/v1/plans/{plan_id}" in routes
    assert [r for r in routes if str(world.plan_id) in r or "12345" in r] == []


async def test_sends_are_counted_by_provider_and_result_and_the_last_clean_tick_is_shown(
        ops, ops_app, clock, ops_settings):
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    await enqueue(windows=WINDOWS,
                  channel="sms", template="member_action_due", due_at=clock.now(), key=f"test:metrics-send:{jess}",
                  recipient_member_id=jess, context={"name": "Jess", "due_on": "2026-11-24", "needs_link": True})
    key = ("tracker_sends_total", (("channel", "sms"), ("provider", "console"), ("result", "accepted")))
    found = samples((await ops.get("/metrics", headers=BEARER)).text)
    before = found.get(key, 0)
    assert not any(name == "tracker_dispatcher_seconds_since_last_successful_tick" for name, _ in found)
    dispatcher = build_dispatcher(ops_settings, clock, providers_for(ops_settings), rng=random.Random(5))
    ops_app.state["dispatcher_heartbeat"] = dispatcher.heartbeat  # as the dispatcher's lifespan does
    clock.advance(seconds=40)
    found = samples((await ops.get("/metrics", headers=BEARER)).text)
    assert found[("tracker_dispatcher_seconds_since_last_successful_tick", ())] == 40.0  # since it started
    await dispatch_tick(dispatcher)
    clock.advance(seconds=90)
    found = samples((await ops.get("/metrics", headers=BEARER)).text)
    assert found[key] >= before + 1
    assert found[("tracker_dispatcher_seconds_since_last_successful_tick", ())] == 90.0


def test_tracker_serve_with_log_format_json_writes_only_json_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As an operator runs it: `tracker serve` in its own process, every line on stderr one JSON event."""
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "VAR_DIR": str(tmp_path),
           "LOG_FORMAT": "json", "TRACKER_ENV": "development"}
    tracker = [sys.executable, "-m", "tracker.cli"]
    subprocess.run([*tracker, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([*tracker, "serve", "--port", str(port), "--no-scheduler"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "tracker serve did not start"
                time.sleep(0.3)
        request_id = answer.headers["x-request-id"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    lines = [line for line in stderr.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    [access] = [e for e in parsed if e.get("request_id") == request_id]
    assert (access["route"], access["status"], access["logger"]) == ("/health", 200, "tracker.access")
    assert any(e["logger"].startswith("uvicorn") for e in parsed)
