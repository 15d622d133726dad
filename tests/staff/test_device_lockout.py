"""A lockout nobody can turn on someone: device cookies (OWASP) keep the owner's own browsers in,
other browsers are slowed and limited, and a reset by email always works."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.factories import make_user
from tests.support.staff import SESSION_COOKIE, post_form
from tracker.notify.tables import Outbox
from tracker.security.tables import RateLimitHit
from tracker.settings import get_settings
from tracker.staff import devices, signin

PASSWORD = "correct horse battery staple"
WRONG = "a wrong guess at it"
BASE = "http://testserver.local"


@asynccontextmanager
async def browser(app, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A browser of its own (its own cookie jar), connecting from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    await client.get("/signin")
    return await post_form(client, "/signin", {"email": email, "password": password})


async def signed_in_before(client: httpx.AsyncClient, email: str) -> None:
    """Sign in successfully, then end the session: the browser keeps only its device cookie."""
    assert (await attempt(client, email, PASSWORD)).status_code == 303
    assert devices.COOKIE_NAME in client.cookies
    await post_form(client, "/signout")
    assert SESSION_COOKIE not in client.cookies and devices.COOKIE_NAME in client.cookies


async def _window_start(clock) -> None:  # type: ignore[no-untyped-def]
    # Start at a window boundary so a test does not straddle two 15-minute windows.
    clock.at = clock.at.replace(minute=0, second=0)


async def test_an_attackers_browser_is_locked_out_while_the_owners_known_device_still_signs_in(app, clock):
    await _window_start(clock)
    owner = await make_user(clock.now(), password=PASSWORD)
    async with browser(app, "198.51.100.7") as desk, browser(app, "203.0.113.66") as attacker:
        await signed_in_before(desk, owner.email)
        for _ in range(signin.ACCOUNT_LIMIT.attempts):
            assert (await attempt(attacker, owner.email, WRONG)).status_code == 400
        locked = await attempt(attacker, owner.email, PASSWORD)  # even the right password, now
        assert locked.status_code == 429 and "too many attempts" in locked.text.lower()
        # The owner, at their own desk, is not locked out by any of that.
        assert (await attempt(desk, owner.email, PASSWORD)).status_code == 303
        assert SESSION_COOKIE in desk.cookies
        # And the attacker is still locked out (the owner's success does not free them).
        assert (await attempt(attacker, owner.email, WRONG)).status_code == 429


async def test_guesses_from_the_owners_own_office_address_do_not_lock_their_desk_out(app, clock):
    await _window_start(clock)
    owner = await make_user(clock.now(), password=PASSWORD)
    async with browser(app, "198.51.100.8") as desk, browser(app, "198.51.100.8") as colleague:
        await signed_in_before(desk, owner.email)
        # Someone behind the same office address fails often enough to pause the address.
        for n in range(signin.ADDRESS_LIMIT.attempts):
            await attempt(colleague, f"guess{n}@example.org", WRONG)
        assert (await attempt(colleague, owner.email, PASSWORD)).status_code == 429
        assert (await attempt(desk, owner.email, PASSWORD)).status_code == 303


async def test_an_unknown_browser_is_slowed_then_limited(app, clock):
    await _window_start(clock)
    owner = await make_user(clock.now(), password=PASSWORD)
    async with browser(app, "203.0.113.67") as stranger:
        took = []
        for _ in range(signin.ACCOUNT_LIMIT.attempts):
            started = time.perf_counter()
            assert (await attempt(stranger, owner.email, WRONG)).status_code == 400
            took.append(time.perf_counter() - started)
        # The 3rd, 4th and 5th failures wait 0.25, 0.5 and 1 second on top of the check.
        assert [signin.slowdown(n) for n in range(1, 6)] == [0, 0, 0.25, 0.5, 1.0]
        assert took[2] >= 0.25 and took[3] >= 0.5 and took[4] >= 1.0
        assert signin.slowdown(20) == signin.SLOWDOWN_MAX
        assert (await attempt(stranger, owner.email, PASSWORD)).status_code == 429
        clock.advance(minutes=15)
        assert (await attempt(stranger, owner.email, PASSWORD)).status_code == 303


async def test_a_known_device_has_its_own_limit_and_its_failures_lock_out_nobody_else(app, clock):
    await _window_start(clock)
    owner = await make_user(clock.now(), password=PASSWORD)
    async with browser(app) as laptop, browser(app) as phone, browser(app) as new_one:
        await signed_in_before(laptop, owner.email)
        await signed_in_before(phone, owner.email)
        for _ in range(signin.DEVICE_LIMIT.attempts):
            assert (await attempt(laptop, owner.email, WRONG)).status_code == 400
        assert (await attempt(laptop, owner.email, PASSWORD)).status_code == 429
        # The phone (another known device) and a brand-new browser are unaffected.
        assert (await attempt(phone, owner.email, PASSWORD)).status_code == 303
        assert (await attempt(new_one, owner.email, PASSWORD)).status_code == 303


async def test_a_forged_stale_or_other_accounts_device_cookie_is_not_trusted(app, clock):
    await _window_start(clock)
    owner = await make_user(clock.now(), password=PASSWORD)
    other = await make_user(clock.now(), password=PASSWORD)
    secret = get_settings().secret_key
    genuine = devices.encode(devices.issue(owner.id, now=clock.now()), secret)
    forged = [
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),  # signature changed
        devices.encode(devices.issue(owner.id, now=clock.now()), "another app's secret"),
        devices.encode(devices.issue(other.id, now=clock.now()), secret),  # someone else's
        devices.encode(devices.issue(owner.id, now=clock.now() - devices.TRUST_FOR), secret),
    ]
    async with browser(app, "203.0.113.68") as attacker:
        for _ in range(signin.ACCOUNT_LIMIT.attempts):
            await attempt(attacker, owner.email, WRONG)
        for value in forged:
            attacker.cookies.set(devices.COOKIE_NAME, value, domain="testserver.local")
            assert (await attempt(attacker, owner.email, PASSWORD)).status_code == 429, value
        attacker.cookies.set(devices.COOKIE_NAME, genuine, domain="testserver.local")
        assert (await attempt(attacker, owner.email, PASSWORD)).status_code == 303


async def _latest_reset_path(user_id: int) -> str:
    row = await Outbox.select().where(Outbox.recipient_user == user_id).order_by(
        Outbox.id, ascending=False).first()
    assert row is not None and row["template"] == "password_reset"
    return json.loads(row["context"])["link"].removeprefix(BASE)


async def test_the_owner_can_always_reset_by_email_and_that_browser_becomes_known(app, clock):
    await _window_start(clock)
    owner = await make_user(clock.now(), password=PASSWORD)
    async with browser(app, "203.0.113.69") as attacker, browser(app, "198.51.100.9") as desk, \
            browser(app, "198.51.100.10") as borrowed:
        await signed_in_before(desk, owner.email)
        # The attacker locks out unknown browsers and uses up the account's reset requests.
        for _ in range(signin.ACCOUNT_LIMIT.attempts + 1):
            await attempt(attacker, owner.email, WRONG)
        for _ in range(signin.RESET_ACCOUNT_LIMIT.attempts + 2):
            await attacker.get("/reset")
            await post_form(attacker, "/reset", {"email": owner.email})
        sent = await Outbox.count().where(Outbox.recipient_user == owner.id)
        assert sent == signin.RESET_ACCOUNT_LIMIT.attempts
        # The owner's own browser still gets a link.
        await desk.get("/reset")
        await post_form(desk, "/reset", {"email": owner.email})
        assert await Outbox.count().where(Outbox.recipient_user == owner.id) == sent + 1
        # Opened on a browser the account has never seen, the link still works...
        path = await _latest_reset_path(owner.id)
        new = "a brand new long passphrase"
        assert (await post_form(borrowed, path, {"password": new, "confirm": new})).status_code == 303
        # ...and that browser is now a known one: the attacker locking out strangers again
        # does not stop it.
        for _ in range(signin.ACCOUNT_LIMIT.attempts + 1):
            await attempt(attacker, owner.email, WRONG)
        assert (await attempt(attacker, owner.email, new)).status_code == 429
        assert (await attempt(borrowed, owner.email, new)).status_code == 303


async def test_device_counters_live_in_the_database_shared_by_every_instance(clock):
    """Two app instances (as two web processes) see one known device's attempts together."""
    from tracker.app import create_app

    await _window_start(clock)
    await RateLimitHit.delete(force=True)
    owner = await make_user(clock.now(), password=PASSWORD)
    first = create_app(get_settings(), clock=clock, scheduler=False)
    second = create_app(get_settings(), clock=clock, scheduler=False)
    async with browser(first) as laptop:
        await signed_in_before(laptop, owner.email)
        cookie = laptop.cookies[devices.COOKIE_NAME]
    async with browser(first) as one, browser(second) as two:
        for c in (one, two):
            c.cookies.set(devices.COOKIE_NAME, cookie, domain="testserver.local")
        for n in range(signin.DEVICE_LIMIT.attempts):
            assert (await attempt(one if n % 2 else two, owner.email, WRONG)).status_code == 400
        assert (await attempt(one, owner.email, PASSWORD)).status_code == 429
        assert (await attempt(two, owner.email, PASSWORD)).status_code == 429
    # It was that device's counter, not the account's: a browser without the cookie gets in.
    async with browser(second) as fresh:
        assert (await attempt(fresh, owner.email, PASSWORD)).status_code == 303


def test_a_browser_remembers_its_five_most_recent_accounts():
    settings = get_settings()
    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    tokens: list[devices.DeviceToken] = []
    for user_id in range(1, 8):
        value = devices.cookie(tokens, devices.issue(user_id, now=now), settings).value or ""
        tokens = devices.parse(value, secret=settings.secret_key, now=now)
    assert [t.user_id for t in tokens] == [7, 6, 5, 4, 3]
    # Signing in again moves an account to the front with a fresh nonce.
    again = devices.issue(4, now=now + timedelta(days=1))
    value = devices.cookie(tokens, again, settings).value or ""
    parsed = devices.parse(value, secret=settings.secret_key, now=now + timedelta(days=1))
    assert [t.user_id for t in parsed] == [4, 7, 6, 5, 3] and parsed[0] == again
    cookie = devices.cookie(tokens, again, settings)
    assert cookie.httponly and cookie.samesite == "lax"
    assert cookie.max_age == int(devices.TRUST_FOR.total_seconds())
    assert devices.parse("garbage~d1.1.x.2.y~" + "z" * 5000, secret=settings.secret_key, now=now) == []
