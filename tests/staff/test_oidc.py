"""Single sign-on against a real OpenID provider (npm oidc-provider) on loopback.

The whole flow runs for real: our app (in process) sends the browser to the provider, the
"browser" (httpx) signs in on the provider's own login and consent forms, and comes back to our
callback, which swaps the code (with the PKCE verifier) at the provider's token endpoint and
verifies the ID token against the provider's published keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    LoopbackProvider,
    new_key,
    sign_in_at_provider,
    skip_or_fail_without_provider,
    start_provider,
)
from tests.support.staff import SESSION_COOKIE, post_form
from tracker.audit import Actor, AuditEvent
from tracker.clock import FixedClock
from tracker.people.accounts import create_user
from tracker.people.tables import StaffUser
from tracker.settings import Settings, SettingsError, get_settings
from tracker.staff import oidc
from tracker.staff.tables import OidcFlow, StaffSession
from tracker.tokens import hash_token

APP_BASE = "http://testserver.local"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "sub-sam": {"email": "Sam.Sso@council.example", "email_verified": True, "name": "Sam Sso"},
    "sub-replay": {"email": "replay@council.example", "email_verified": True, "name": "Rae Play"},
    "sub-linked": {"email": "linked@council.example", "email_verified": True, "name": "Lin Ked"},
    "sub-impostor": {"email": "linked@council.example", "email_verified": True, "name": "Not Lin"},
    "sub-nobody": {"email": "nobody@council.example", "email_verified": True, "name": "No Body"},
    "sub-new": {"email": "new.starter@council.example", "email_verified": True, "name": "New Starter"},
    "sub-gone": {"email": "gone@council.example", "email_verified": True, "name": "Gone Away"},
    "sub-unverified": {"email": "unverified@council.example", "email_verified": False, "name": "Un Verified"},
    "sub-admin": {"email": "admin.sso@council.example", "email_verified": True, "name": "Ada Sso"},
}
SYSTEM = Actor.system("test")


@pytest.fixture(scope="module")
def provider() -> Iterator[LoopbackProvider]:
    skip_or_fail_without_provider()
    running = start_provider(redirect_uris=[f"{APP_BASE}/signin/oidc/callback"], accounts=ACCOUNTS)
    yield running
    running.stop()


def sso_settings(provider: LoopbackProvider, **changes: Any) -> Settings:
    return dataclasses.replace(get_settings(), oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                               oidc_client_secret=CLIENT_SECRET, **changes)


@pytest.fixture
def real_clock() -> FixedClock:
    """The provider stamps tokens with the real time, so the app's clock starts there too."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
async def clients(migrated: None) -> AsyncIterator[Any]:
    """Make (app client, provider client) pairs: one person's browser, on our app and at the provider."""
    from tracker.app import create_app

    opened: list[httpx.AsyncClient] = []

    async def make(settings: Settings, clock: FixedClock) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
        app = create_app(settings, clock=clock, scheduler=False)
        app_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP_BASE)
        provider_client = httpx.AsyncClient(timeout=20)
        opened.extend([app_client, provider_client])
        return app_client, provider_client

    yield make
    for client in opened:
        await client.aclose()


async def sso(app_client: httpx.AsyncClient, provider_client: httpx.AsyncClient, login: str,
              next_path: str = "/actions") -> httpx.Response:
    """Sign in with the organisation's account, as a browser would; returns our callback's answer."""
    start = await app_client.get("/signin/oidc", params={"next": next_path})
    assert start.status_code == 303, start.text[:500]
    back = await sign_in_at_provider(provider_client, start.headers["location"], login=login, app_base=APP_BASE)
    return await app_client.get(back.removeprefix(APP_BASE))


async def add_user(email: str, now: datetime, *, roles: tuple[str, ...] = ("professional",)) -> int:
    return await create_user(email=email, name=email.split("@")[0], roles=list(roles), actor=SYSTEM, now=now)


async def open_sessions(user_id: int) -> int:
    return await StaffSession.count().where((StaffSession.user == user_id) & StaffSession.ended_at.is_null())


# ------------------------------------------------------------------ the whole flow


async def test_signing_in_with_the_organisations_account_reaches_actions(provider, clients, real_clock):
    user_id = await add_user("sam.sso@council.example", real_clock.now())
    app_client, provider_client = await clients(sso_settings(provider), real_clock)

    start = await app_client.get("/signin/oidc", params={"next": "/actions"})
    assert start.status_code == 303
    asked = parse_qs(urlsplit(start.headers["location"]).query)
    assert start.headers["location"].startswith(f"{provider.issuer}/auth?")
    assert asked["response_type"] == ["code"] and asked["client_id"] == [CLIENT_ID]
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
    assert asked["redirect_uri"] == [f"{APP_BASE}/signin/oidc/callback"]
    state, nonce = asked["state"][0], asked["nonce"][0]
    # The flow waits in the database, its state only as a hash, bound to this browser.
    row = await OidcFlow.select().where(OidcFlow.state_hash == hash_token(state)).first()
    assert row is not None and row["nonce"] == nonce and row["next_path"] == "/actions"
    assert row["browser_hash"] == hash_token(app_client.cookies[oidc.BROWSER_COOKIE])
    assert not await OidcFlow.exists().where(OidcFlow.state_hash == state)

    back = await sign_in_at_provider(provider_client, start.headers["location"], login="sub-sam", app_base=APP_BASE)
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    done = await app_client.get(back.removeprefix(APP_BASE))
    assert done.status_code == 303 and done.headers["location"] == "/actions"
    assert SESSION_COOKIE in app_client.cookies
    actions = await app_client.get("/actions")
    assert actions.status_code == 200 and "sam.sso" in actions.text
    # The subject is stored (and audited); the flow row is gone.
    linked = await StaffUser.select(StaffUser.subject).where(StaffUser.id == user_id).first()
    assert linked == {"subject": "sub-sam"}
    assert await AuditEvent.exists().where((AuditEvent.record_type == "staff_user")
                                           & (AuditEvent.record_id == user_id)
                                           & AuditEvent.changes.like("%single_sign_on%"))
    assert not await OidcFlow.exists().where(OidcFlow.state_hash == hash_token(state))

    # From now on the account is found by its subject, even after its email here changes.
    await StaffUser.update({StaffUser.email: "sam.renamed@council.example"}).where(StaffUser.id == user_id)
    again_app, again_provider = await clients(sso_settings(provider), real_clock)
    second = await sso(again_app, again_provider, "sub-sam")
    assert second.status_code == 303 and second.headers["location"] == "/actions"
    assert await open_sessions(user_id) == 2


async def test_a_replayed_state_is_refused(provider, clients, real_clock):
    user_id = await add_user("replay@council.example", real_clock.now())
    app_client, provider_client = await clients(sso_settings(provider), real_clock)
    start = await app_client.get("/signin/oidc")
    back = await sign_in_at_provider(provider_client, start.headers["location"], login="sub-replay",
                                     app_base=APP_BASE)
    first = await app_client.get(back.removeprefix(APP_BASE))
    assert first.status_code == 303
    assert await open_sessions(user_id) == 1

    # The same callback again (the same browser, the same code and state): refused, no session.
    replay = await app_client.get(back.removeprefix(APP_BASE))
    assert replay.status_code == 400
    assert "already been used" in replay.text
    assert await open_sessions(user_id) == 1


async def test_a_state_started_in_another_browser_is_refused(provider, clients, real_clock):
    await add_user("replay2@council.example", real_clock.now())
    victim_app, _ = await clients(sso_settings(provider), real_clock)
    attacker_app, attacker_provider = await clients(sso_settings(provider), real_clock)
    # Someone signs in at the provider and tries to plant the callback in another browser.
    start = await attacker_app.get("/signin/oidc")
    back = await sign_in_at_provider(attacker_provider, start.headers["location"], login="sub-replay",
                                     app_base=APP_BASE)
    planted = await victim_app.get(back.removeprefix(APP_BASE))
    assert planted.status_code == 400 and SESSION_COOKIE not in victim_app.cookies
    # And the flow is spent: the browser that started it cannot finish it now either.
    late = await attacker_app.get(back.removeprefix(APP_BASE))
    assert late.status_code == 400


async def test_an_expired_flow_is_refused(provider, clients, real_clock):
    app_client, provider_client = await clients(sso_settings(provider), real_clock)
    start = await app_client.get("/signin/oidc")
    back = await sign_in_at_provider(provider_client, start.headers["location"], login="sub-replay",
                                     app_base=APP_BASE)
    real_clock.advance(minutes=11)
    late = await app_client.get(back.removeprefix(APP_BASE))
    assert late.status_code == 400 and "expired" in late.text


async def test_an_unknown_email_is_refused_and_no_account_is_made(provider, clients, real_clock):
    app_client, provider_client = await clients(sso_settings(provider), real_clock)
    answer = await sso(app_client, provider_client, "sub-nobody")
    assert answer.status_code == 403
    assert "ask your administrator to add you" in answer.text
    assert SESSION_COOKIE not in app_client.cookies
    assert not await StaffUser.exists().where(StaffUser.email == "nobody@council.example")
    assert (await app_client.get("/actions")).status_code == 303  # still signed out


async def test_a_different_subject_for_the_same_email_is_refused(provider, clients, real_clock):
    user_id = await add_user("linked@council.example", real_clock.now())
    first_app, first_provider = await clients(sso_settings(provider), real_clock)
    assert (await sso(first_app, first_provider, "sub-linked")).status_code == 303
    other_app, other_provider = await clients(sso_settings(provider), real_clock)
    answer = await sso(other_app, other_provider, "sub-impostor")
    assert answer.status_code == 403 and SESSION_COOKIE not in other_app.cookies
    row = await StaffUser.select(StaffUser.subject).where(StaffUser.id == user_id).first()
    assert row == {"subject": "sub-linked"}


async def test_an_inactive_account_and_an_unverified_email_are_refused(provider, clients, real_clock):
    gone = await add_user("gone@council.example", real_clock.now())
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == gone)
    await add_user("unverified@council.example", real_clock.now())
    for login in ("sub-gone", "sub-unverified"):
        app_client, provider_client = await clients(sso_settings(provider), real_clock)
        answer = await sso(app_client, provider_client, login)
        assert answer.status_code in {400, 403}, login
        assert SESSION_COOKIE not in app_client.cookies
    assert not await StaffUser.exists().where(StaffUser.subject.is_in(["sub-gone", "sub-unverified"]))


async def test_oidc_create_users_adds_a_professional_only(provider, clients, real_clock):
    settings = sso_settings(provider, oidc_create_users=True)
    app_client, provider_client = await clients(settings, real_clock)
    answer = await sso(app_client, provider_client, "sub-new", next_path="/chair")
    assert answer.status_code == 303
    row = await StaffUser.select().where(StaffUser.email == "new.starter@council.example").first()
    assert row is not None
    assert row["roles"] == "professional" and row["subject"] == "sub-new" and row["active"]
    assert row["name"] == "New Starter" and row["password_hash"] is None
    assert (await app_client.get("/actions")).status_code == 200
    assert (await app_client.get("/chair")).status_code == 403  # a professional, not a chair
    assert await AuditEvent.exists().where((AuditEvent.record_type == "staff_user")
                                           & (AuditEvent.record_id == row["id"])
                                           & (AuditEvent.action == "create"))


# ------------------------------------------------------------------ the ID token checks


def claims_for(provider: LoopbackProvider, now: datetime, **changes: Any) -> dict[str, Any]:
    at = int(now.timestamp())
    claims = {"iss": provider.issuer, "sub": "sub-sam", "aud": CLIENT_ID, "iat": at, "exp": at + 300,
              "nonce": "the-nonce", "email": "sam.sso@council.example"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def test_a_token_signed_with_the_providers_key_is_accepted(provider, migrated):
    client = oidc.OidcClient(sso_settings(provider))
    now = datetime.now(UTC)
    claims = await client.verify_id_token(provider.sign(claims_for(provider, now)), nonce="the-nonce", now=now)
    assert claims["sub"] == "sub-sam" and claims["aud"] == CLIENT_ID


@pytest.mark.parametrize(("case", "because"), [
    ("forged same kid", "BadSignatureError"), ("forged unknown kid", "No key for kid: 'attacker'"),
    ("wrong audience", "Invalid claim: 'aud'"), ("expired", "The token is expired"),
    ("issued in the future", "issued in the future"), ("wrong issuer", "Invalid claim: 'iss'"),
    ("wrong nonce", "Invalid claim: 'nonce'"), ("no nonce", "Missing claim: 'nonce'"),
    ("unsigned", "'none' is not allowed"),
])
async def test_bad_id_tokens_are_refused(provider, migrated, case, because):
    client = oidc.OidcClient(sso_settings(provider))
    now = datetime.now(UTC)
    token = {
        "forged same kid": lambda: provider.sign(claims_for(provider, now), key=_other_key("provider-key-1")),
        "forged unknown kid": lambda: provider.sign(claims_for(provider, now), key=_other_key("attacker")),
        "wrong audience": lambda: provider.sign(claims_for(provider, now, aud="another-client")),
        "expired": lambda: provider.sign(claims_for(provider, now - timedelta(minutes=20))),
        "issued in the future": lambda: provider.sign(claims_for(provider, now + timedelta(minutes=20))),
        "wrong issuer": lambda: provider.sign(claims_for(provider, now, iss="http://127.0.0.1:9/")),
        "wrong nonce": lambda: provider.sign(claims_for(provider, now, nonce="another-nonce")),
        "no nonce": lambda: provider.sign(claims_for(provider, now, nonce=None)),
        "unsigned": lambda: _unsigned(claims_for(provider, now)),
    }[case]()
    with pytest.raises(oidc.OidcRefused) as refused:
        await client.verify_id_token(token, nonce="the-nonce", now=now)
    assert refused.value.message == oidc.REFUSED
    # Refused for exactly the reason the case is about (the rest of each token is sound).
    assert "ID token refused" in refused.value.reason and because in refused.value.reason


def _other_key(kid: str) -> Any:
    return new_key(kid)


def _unsigned(claims: dict[str, Any]) -> str:
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': 'provider-key-1'})}.{part(claims)}."


async def test_an_expired_token_is_accepted_within_a_minute_of_leeway_only(provider, migrated):
    client = oidc.OidcClient(sso_settings(provider))
    now = datetime.now(UTC)
    token = provider.sign(claims_for(provider, now, exp=int(now.timestamp()) - 30))
    assert (await client.verify_id_token(token, nonce="the-nonce", now=now))["sub"] == "sub-sam"
    with pytest.raises(oidc.OidcRefused):
        await client.verify_id_token(token, nonce="the-nonce", now=now + timedelta(seconds=31))


# ------------------------------------------------------------------ the sign-in page and PASSWORD_SIGNIN


async def test_the_signin_page_offers_the_organisations_account_when_configured(provider, clients, clock, client):
    app_client, _ = await clients(sso_settings(provider), clock)
    page = await app_client.get("/signin?next=/chair")
    assert "Sign in with your organisation's account" in page.text
    assert 'href="/signin/oidc?next=/chair"' in page.text
    assert 'name="password"' in page.text  # passwords still allowed alongside
    # Not configured: no button, and the single sign-on paths are not there at all.
    plain = await client.get("/signin")
    assert "organisation's account" not in plain.text
    assert (await client.get("/signin/oidc")).status_code == 404
    assert (await client.get("/signin/oidc/callback?state=x&code=y")).status_code == 404


async def test_password_signin_false_hides_and_refuses_passwords(provider, clients, clock):
    from tests.support.factories import make_user

    user = await make_user(clock.now(), password="correct horse battery staple")
    app_client, _ = await clients(sso_settings(provider, password_signin=False), clock)
    page = await app_client.get("/signin")
    assert page.status_code == 200
    assert "Sign in with your organisation's account" in page.text
    assert 'name="password"' not in page.text and "/reset" not in page.text
    refused = await post_form(app_client, "/signin", {"email": user.email, "password": "correct horse battery staple"})
    assert refused.status_code == 403 and "Password sign-in is turned off" in refused.text
    assert SESSION_COOKIE not in app_client.cookies
    assert await open_sessions(user.id) == 0
    for path in ("/reset", "/reset/some-token"):
        assert (await app_client.get(path)).status_code == 403
    assert (await post_form(app_client, "/reset", {"email": user.email})).status_code == 403


async def test_with_password_signin_off_new_accounts_get_no_password_link(provider, clients, real_clock):
    from tracker.notify.tables import Outbox

    await add_user("admin.sso@council.example", real_clock.now(), roles=("admin",))
    app_client, provider_client = await clients(sso_settings(provider, password_signin=False), real_clock)
    assert (await sso(app_client, provider_client, "sub-admin", next_path="/admin")).status_code == 303
    added = await post_form(app_client, "/admin/users/new", {
        "name": "Sso Only", "email": "sso.only@council.example", "roles": ["professional"]})
    assert added.status_code == 303
    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == "sso.only@council.example").first()
    assert user is not None
    assert not await Outbox.exists().where(Outbox.recipient_user == user["id"])
    refused = await post_form(app_client, f"/admin/users/{user['id']}/send-link")
    assert refused.status_code == 403
    assert not await Outbox.exists().where(Outbox.recipient_user == user["id"])


async def test_an_unreachable_provider_gets_a_kind_answer_and_nothing_is_stored(clients, clock):
    settings = dataclasses.replace(get_settings(), oidc_issuer="http://127.0.0.1:9", oidc_client_id=CLIENT_ID,
                                   oidc_client_secret=CLIENT_SECRET)
    app_client, _ = await clients(settings, clock)
    before = await OidcFlow.count()
    answer = await app_client.get("/signin/oidc")
    assert answer.status_code == 503 and "did not answer" in answer.text
    assert await OidcFlow.count() == before


def test_password_signin_false_needs_single_sign_on():
    with pytest.raises(SettingsError, match="PASSWORD_SIGNIN=false needs single sign-on"):
        Settings.from_env({"PASSWORD_SIGNIN": "false", "SECRET_KEY": "x" * 40})
    settings = Settings.from_env({"PASSWORD_SIGNIN": "false", "SECRET_KEY": "x" * 40,
                                  "OIDC_ISSUER": "https://login.example", "OIDC_CLIENT_ID": "id",
                                  "OIDC_CLIENT_SECRET": "secret", "PUBLIC_BASE_URL": "https://plans.example/"})
    assert settings.oidc_enabled and not settings.password_signin
    assert settings.oidc_redirect_uri == "https://plans.example/signin/oidc/callback"
    assert "secret" not in repr(settings)


async def test_a_token_naming_an_unseen_key_fetches_the_keys_again(provider, migrated):
    """Key rotation: keys cached before the provider's new key appeared are fetched again."""
    import time

    from joserfc.jwk import KeySet

    client = oidc.OidcClient(sso_settings(provider))
    old = new_key("retired-key")
    client._keys = KeySet([old])  # what we fetched a while ago
    client._keys_at = time.monotonic() - oidc.JWKS_REFETCH_SECONDS - 1
    now = datetime.now(UTC)
    claims = await client.verify_id_token(provider.sign(claims_for(provider, now)), nonce="the-nonce", now=now)
    assert claims["sub"] == "sub-sam"
    assert client._keys.get_by_kid("provider-key-1") is not None
    # Just fetched: a token naming yet another unknown key does not fetch again at once.
    fetched_at = client._keys_at
    with pytest.raises(oidc.OidcRefused):
        await client.verify_id_token(provider.sign(claims_for(provider, now), key=new_key("unknown")),
                                     nonce="the-nonce", now=now)
    assert client._keys_at == fetched_at
