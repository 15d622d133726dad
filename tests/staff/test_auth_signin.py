"""Sign-in hardening: same message for unknown and wrong, lockouts that expire, reset links."""

from __future__ import annotations

import json
import time

from tests.support.factories import make_user
from tests.support.staff import SESSION_COOKIE, post_form, sign_in
from tracker.notify.tables import Outbox
from tracker.staff import signin
from tracker.staff.tables import PasswordReset, StaffSession

PASSWORD = "correct horse battery staple"


async def _try(client, email, password, address=None):
    await client.get("/signin")
    return await post_form(client, "/signin", {"email": email, "password": password})


async def test_unknown_email_and_wrong_password_get_the_same_answer(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    wrong = await _try(client, user.email, "not the password at all")
    unknown = await _try(client, "nobody-here@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert signin.BAD_CREDENTIALS in wrong.text and signin.BAD_CREDENTIALS in unknown.text
    # The typed email stays in the form; the password never comes back.
    assert user.email in wrong.text and "not the password at all" not in wrong.text


async def test_email_is_matched_without_regard_to_case_or_spaces(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    response = await _try(client, f"  {user.email.upper()} ", PASSWORD)
    assert response.status_code == 303


async def test_empty_fields_are_named(client):
    response = await _try(client, "", "")
    assert response.status_code == 400
    assert 'href="#email"' in response.text and 'href="#password"' in response.text


async def test_inactive_account_cannot_sign_in_and_looks_like_a_wrong_password(client, clock):
    from tracker.people.tables import StaffUser

    user = await make_user(clock.now(), password=PASSWORD)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == user.id)
    response = await _try(client, user.email, PASSWORD)
    assert response.status_code == 400 and signin.BAD_CREDENTIALS in response.text


async def test_five_attempts_per_account_then_a_pause_then_the_right_password_works(client, clock):
    # Start at a window boundary so the test does not straddle two windows.
    clock.at = clock.at.replace(minute=0, second=0)
    user = await make_user(clock.now(), password=PASSWORD)
    for _ in range(5):
        assert (await _try(client, user.email, "wrong password guess")).status_code == 400
    throttled = await _try(client, user.email, PASSWORD)  # even the right one, for now
    assert throttled.status_code == 429 and "too many attempts" in throttled.text.lower()
    clock.advance(minutes=15)
    assert (await _try(client, user.email, PASSWORD)).status_code == 303


async def test_a_successful_sign_in_clears_the_account_counter(client, clock):
    clock.at = clock.at.replace(minute=0, second=0)
    user = await make_user(clock.now(), password=PASSWORD)
    for _ in range(4):
        await _try(client, user.email, "wrong password guess")
    assert (await _try(client, user.email, PASSWORD)).status_code == 303
    client.cookies.clear()
    for _ in range(4):
        assert (await _try(client, user.email, "wrong password guess")).status_code == 400
    assert (await _try(client, user.email, PASSWORD)).status_code == 303


async def test_twenty_failures_from_one_address_pause_that_address(client, clock):
    clock.at = clock.at.replace(minute=30, second=0)
    victim = await make_user(clock.now(), password=PASSWORD)
    for n in range(20):
        # Spread over many accounts, so no per-account limit is reached.
        assert (await _try(client, f"guess{n}@example.org", "wrong password guess")).status_code == 400
    assert (await _try(client, victim.email, PASSWORD)).status_code == 429
    clock.advance(minutes=15)
    assert (await _try(client, victim.email, PASSWORD)).status_code == 303


async def test_successful_sign_ins_from_one_office_address_are_not_limited(client, clock):
    clock.at = clock.at.replace(minute=45, second=0)
    for _ in range(25):
        user = await make_user(clock.now(), password=PASSWORD)
        client.cookies.clear()
        await sign_in(client, user.email, PASSWORD)


async def test_password_check_runs_off_the_event_loop_and_takes_tens_of_milliseconds(clock):
    user = await make_user(clock.now(), password=PASSWORD)
    result = await signin.sign_in(email=user.email, password=PASSWORD, address="203.0.113.9",
                                  now=clock.now())
    assert 0.005 < result.hash_seconds < 2
    started = time.perf_counter()
    unknown = None
    try:
        await signin.sign_in(email="nobody-else@example.org", password=PASSWORD,
                             address="203.0.113.9", now=clock.now())
    except signin.SignInRefused as exc:
        unknown = exc
    assert unknown is not None
    # An unknown email still pays for a hash: no fast path that tells it apart.
    assert time.perf_counter() - started > 0.005


# ------------------------------------------------------------------ password reset


async def _request_reset(client, email):
    """Ask for a reset link as a browser does: post/redirect/get to the answer."""
    await client.get("/reset")
    posted = await post_form(client, "/reset", {"email": email})
    assert posted.status_code == 303 and posted.headers["location"] == "/reset?sent=1"
    return await client.get(posted.headers["location"])


async def _latest_link(user_id: int) -> str:
    row = await Outbox.select().where(Outbox.recipient_user == user_id).order_by(
        Outbox.id, ascending=False).first()
    assert row is not None and row["channel"] == "email"
    return json.loads(row["context"])["link"]


async def test_reset_answers_the_same_for_known_and_unknown_addresses(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    known = await _request_reset(client, user.email)
    unknown = await _request_reset(client, "nobody-at-all@example.org")
    assert known.status_code == unknown.status_code == 200
    assert "If that address has an account, we've sent a link" in known.text
    assert known.text.replace(user.email, "") == unknown.text.replace("nobody-at-all@example.org", "")


async def test_reset_link_sets_a_new_password_once_and_ends_every_session(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    other_browser = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    await _request_reset(client, user.email)
    link = await _latest_link(user.id)
    assert link.startswith("http://testserver.local/reset/")
    path = link.removeprefix("http://testserver.local")
    row = await PasswordReset.select().where(PasswordReset.user == user.id).first()
    assert path.rsplit("/", 1)[1] not in json.dumps(row, default=str)  # only the hash is stored
    assert (await client.get(path)).status_code == 200
    short = await post_form(client, path, {"password": "too short", "confirm": "too short"})
    assert short.status_code == 400 and "at least 12 characters" in short.text
    new = "a brand new long passphrase"
    done = await post_form(client, path, {"password": new, "confirm": new})
    assert done.status_code == 303 and done.headers["location"] == "/signin?reset=done"
    ended = await StaffSession.select().where(StaffSession.user == user.id)
    assert all(r["ended_at"] is not None for r in ended)
    client.cookies.set(SESSION_COOKIE, other_browser, domain="testserver.local")
    assert (await client.get("/calendar")).status_code == 303
    # Single use.
    again = await post_form(client, path, {"password": "another passphrase here", "confirm": "another passphrase here"})
    assert again.status_code == 404 and "expired" in again.text
    assert (await _try(client, user.email, PASSWORD)).status_code == 400
    assert (await _try(client, user.email, new)).status_code == 303


async def test_reset_link_expires_after_10_minutes(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await _request_reset(client, user.email)
    path = (await _latest_link(user.id)).removeprefix("http://testserver.local")
    clock.advance(minutes=9, seconds=59)
    assert (await client.get(path)).status_code == 200
    clock.advance(seconds=1)
    assert (await client.get(path)).status_code == 404
    new = "a brand new long passphrase"
    assert (await post_form(client, path, {"password": new, "confirm": new})).status_code == 404


async def test_only_the_newest_reset_link_works(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await _request_reset(client, user.email)
    first = (await _latest_link(user.id)).removeprefix("http://testserver.local")
    clock.advance(minutes=1)
    await _request_reset(client, user.email)
    second = (await _latest_link(user.id)).removeprefix("http://testserver.local")
    assert first != second
    assert (await client.get(first)).status_code == 404
    assert (await client.get(second)).status_code == 200


async def test_reset_requests_are_rate_limited_quietly(client, clock):
    clock.at = clock.at.replace(minute=0, second=0)
    user = await make_user(clock.now(), password=PASSWORD)
    for _ in range(5):
        response = await _request_reset(client, user.email)
        assert response.status_code == 200
    emails = await Outbox.count().where(Outbox.recipient_user == user.id)
    assert emails == signin.RESET_ACCOUNT_LIMIT.attempts


async def test_a_reset_gets_a_throttled_user_back_in_at_once(client, clock):
    clock.at = clock.at.replace(minute=0, second=0)
    user = await make_user(clock.now(), password=PASSWORD)
    for _ in range(6):
        await _try(client, user.email, "someone else guessing")
    await _request_reset(client, user.email)
    path = (await _latest_link(user.id)).removeprefix("http://testserver.local")
    new = "a brand new long passphrase"
    assert (await post_form(client, path, {"password": new, "confirm": new})).status_code == 303
    assert (await _try(client, user.email, new)).status_code == 303


async def test_reset_email_is_due_now_and_says_how_long_the_link_works(client, clock):
    user = await make_user(clock.now(), password=PASSWORD)
    await _request_reset(client, user.email)
    row = await Outbox.select().where(Outbox.recipient_user == user.id).first()
    assert row["template"] == "password_reset" and row["due_at"] == clock.now()
    from tracker.notify.templates import Letterhead, render_email

    rendered = render_email("password_reset", json.loads(row["context"]),
                            letterhead=Letterhead(authority_name="Demo", base_url="http://x"))
    assert "10 minutes" in str(rendered)


async def test_password_hashing_leaves_the_event_loop_free():
    import asyncio

    from tracker.people.accounts import hash_password_sync, verify_password

    stored = hash_password_sync(PASSWORD)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.002)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    assert await verify_password(PASSWORD, stored)
    took = time.perf_counter() - started
    task.cancel()
    # The loop kept ticking while scrypt ran in a thread (a blocking hash would allow none);
    # a low bar, because a loaded CI machine gives the loop few chances in that time.
    assert took > 0 and ticks >= 2
