"""Least exposure: headers on every answer, no-store on case data, HSTS, trusted proxies only,
superseded reports gone from disk, downloads audited."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import httpx
import pytest

from tests.support.factories import SYSTEM, at
from tests.support.staff import csrf_token
from tests.support.staff_pages import as_user, signable_world
from tracker.audit import AuditEvent
from tracker.plans import service
from tracker.plans.schemas import ConferenceIn
from tracker.plans.tables import ConferenceInvitee
from tracker.security.tables import RateLimitHit
from tracker.settings import get_settings
from tracker.web import SECURITY_HEADERS

BASE = "http://testserver.local"
PDF = b"%PDF-1.7\n%first draft\n"


def assert_protected(response: httpx.Response, *, no_store: bool = True) -> None:
    """Every security header is on the answer (and no-store, for anything but an asset)."""
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.request.url, response.status_code)
    if no_store:
        assert response.headers.get("cache-control") == "no-store", response.request.url


async def test_unrouted_404s_and_405s_carry_the_security_headers(client):
    for method, path, status in [
        ("GET", "/no-such-page", 404), ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/static/no-such-file.css", 404), ("DELETE", "/signin", 405),
        ("PUT", "/health", 405), ("POST", "/api/v1/plans/1/nonsense", 404),
    ]:
        response = await client.request(method, path)
        assert response.status_code == status, (method, path, response.status_code)
        assert_protected(response, no_store=not path.startswith("/static/"))


async def test_every_authenticated_page_and_api_answer_says_no_store(client, clock):
    world = await signable_world(clock.now())
    api = [f"/api/v1/plans/{world.plan_id}", f"/api/v1/families/{world.family['id']}",
           "/api/v1/messages", f"/api/v1/actions/{world.action_id}"]
    for path in api:
        response = await client.get(path, headers=world.lead.headers)
        assert response.status_code == 200, path
        assert_protected(response)
    refused = await client.get(api[0], headers=world.outsider.headers)
    assert refused.status_code == 404
    assert_protected(refused)
    await as_user(client, world.lead)
    for path in ["/actions", f"/families/{world.family['id']}", f"/plans/{world.plan_id}",
                 f"/conferences/{world.conference_id}", "/dev/messages", "/calendar"]:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_protected(response)
    # A static asset may be cached, and still carries the other headers.
    asset = await client.get("/static/staff.css")
    assert asset.status_code == 200
    assert_protected(asset, no_store=False)
    assert asset.headers.get("cache-control") != "no-store"


async def test_hsts_only_when_the_public_address_is_https(migrated, clock):
    from tracker.app import create_app

    for base, hsts in (("https://plans.example.gov.uk", True), ("http://127.0.0.1:8000", False)):
        app = create_app(dataclasses.replace(get_settings(), public_base_url=base), clock=clock,
                         scheduler=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
            for path in ("/signin", "/no-such-page"):
                header = (await c.get(path)).headers.get("strict-transport-security")
                assert (header == "max-age=31536000; includeSubDomains") is hsts, (base, path)


# ------------------------------------------------------------------ forwarded addresses


def _address_key_hash(address: str) -> str:
    return hashlib.sha256(f"signin:address:{address}".encode()).hexdigest()


async def _failed_sign_in_through_uvicorn(clock, trusted_proxies: str, forwarded_for: str) -> set[str]:  # type: ignore[no-untyped-def]
    """One wrong password through uvicorn's own proxy handling, as `tracker serve` sets it up,
    from a peer at 127.0.0.1; returns the rate-limit keys it counted."""
    import uvicorn

    from tracker.app import create_app
    from tracker.cli import uvicorn_proxy_options

    settings = dataclasses.replace(get_settings(), trusted_proxies=trusted_proxies)
    app = create_app(settings, clock=clock, scheduler=False)
    config = uvicorn.Config(app, **uvicorn_proxy_options(settings))
    config.load()  # wraps the app in uvicorn's ProxyHeadersMiddleware when proxy_headers is on
    await RateLimitHit.delete(force=True)
    transport = httpx.ASGITransport(app=config.loaded_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        await c.get("/signin")
        response = await c.post("/signin", headers={"X-Forwarded-For": forwarded_for}, data={
            "email": "someone@example.org", "password": "a wrong guess",
            "_csrf_token": c.cookies["csrftoken"]})
        assert response.status_code == 400
    return {r["key_hash"] for r in await RateLimitHit.select(RateLimitHit.key_hash)}


async def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_rate_limit_key(clock):
    keys = await _failed_sign_in_through_uvicorn(clock, "", "203.0.113.77")
    assert _address_key_hash("127.0.0.1") in keys
    assert _address_key_hash("203.0.113.77") not in keys
    # Trusting another proxy does not make 127.0.0.1 trusted either.
    keys = await _failed_sign_in_through_uvicorn(clock, "10.0.0.0/8", "203.0.113.78")
    assert _address_key_hash("127.0.0.1") in keys and _address_key_hash("203.0.113.78") not in keys


async def test_forwarded_for_from_a_trusted_proxy_names_the_client(clock):
    keys = await _failed_sign_in_through_uvicorn(clock, "127.0.0.1", "203.0.113.79")
    assert _address_key_hash("203.0.113.79") in keys
    assert _address_key_hash("127.0.0.1") not in keys


def test_trusted_proxies_must_be_addresses_or_networks():
    from tracker.settings import Settings, SettingsError

    settings = Settings.from_env({"TRUSTED_PROXIES": " 10.0.0.1, 192.168.0.0/16 ,::1",
                                  "SECRET_KEY": "x" * 40})
    assert settings.trusted_proxy_list == ["10.0.0.1", "192.168.0.0/16", "::1"]
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings.from_env({"TRUSTED_PROXIES": "proxy.internal", "SECRET_KEY": "x" * 40})
    assert Settings.from_env({"SECRET_KEY": "x" * 40}).trusted_proxy_list == []


def test_serve_trusts_no_proxy_by_default():
    from tracker.cli import uvicorn_proxy_options

    assert uvicorn_proxy_options(get_settings()) == {"access_log": False, "proxy_headers": False}
    assert uvicorn_proxy_options(dataclasses.replace(get_settings(), trusted_proxies="10.1.2.3")) \
        == {"access_log": False, "proxy_headers": True, "forwarded_allow_ips": ["10.1.2.3"]}


# ------------------------------------------------------------------ report files


async def _review(world, now) -> int:  # type: ignore[no-untyped-def]
    return await service.create_conference(
        data=ConferenceIn(family_id=world.family["id"], kind="review_cp",
                          starts_at=at(now.date() + timedelta(days=20)), chair_id=world.chair.id,
                          invitee_ids=[world.invitee.id, world.lead.id]),
        actor=SYSTEM, now=now)


async def _upload(client, conference_id, name, content) -> str:  # type: ignore[no-untyped-def]
    token = await csrf_token(client, "/actions")
    response = await client.post(f"/conferences/{conference_id}/report", data={"_csrf_token": token},
                                 files={"report": (name, content, "application/pdf")})
    assert response.status_code == 303, response.text[:300]
    row = await ConferenceInvitee.select(ConferenceInvitee.report_file).where(
        ConferenceInvitee.conference == conference_id).where(
        ConferenceInvitee.report_file.is_not_null()).first()
    return row["report_file"]


async def test_a_replaced_report_is_deleted_from_disk(client, clock):
    var_dir = get_settings().var_dir
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    first = await _upload(client, conference_id, "draft.pdf", PDF)
    assert (var_dir / first).is_file() and (var_dir / first).with_suffix(".json").is_file()
    second = await _upload(client, conference_id, "final.pdf", b"%PDF-1.7\n%final\n")
    assert second != first and (var_dir / second).is_file()
    assert not (var_dir / first).exists() and not (var_dir / first).with_suffix(".json").exists()
    # Saying the report is in again, without a file, keeps the attached one.
    token = await csrf_token(client, "/actions")
    response = await client.post(f"/conferences/{conference_id}/report", data={"_csrf_token": token},
                                 files={"report": ("", b"", "application/octet-stream")})
    assert response.status_code == 303
    assert (var_dir / second).is_file()


async def test_report_downloads_are_audited_with_who_and_which(client, clock):
    world = await signable_world(clock.now())
    conference_id = await _review(world, clock.now())
    await as_user(client, world.invitee)
    await _upload(client, conference_id, "Report.pdf", PDF)
    invitation = await ConferenceInvitee.select(ConferenceInvitee.id).where(
        (ConferenceInvitee.conference == conference_id)
        & (ConferenceInvitee.user == world.invitee.id)).first()
    await as_user(client, world.chair)
    assert (await client.get(f"/conferences/{conference_id}/reports/{world.invitee.id}")).status_code == 200
    [event] = await AuditEvent.select().where(
        (AuditEvent.record_type == "conference_invitee") & (AuditEvent.action == "read")
        & (AuditEvent.record_id == invitation["id"]))
    assert (event["actor_user_id"], event["channel"], event["family_id"]) == (
        world.chair.id, "web", world.family["id"])
    assert "Report.pdf" in event["changes"]
    # Refused downloads (hidden family, no file) are not recorded as reads.
    await as_user(client, world.outsider)
    assert (await client.get(f"/conferences/{conference_id}/reports/{world.invitee.id}")).status_code == 404
    await as_user(client, world.chair)
    assert (await client.get(f"/conferences/{conference_id}/reports/{world.lead.id}")).status_code == 404
    assert await AuditEvent.count().where(
        (AuditEvent.action == "read") & (AuditEvent.family_id == world.family["id"])) == 1
