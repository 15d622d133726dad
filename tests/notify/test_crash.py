"""SIGKILL a dispatcher process mid-send: nothing is sent twice, and nothing is silently lost."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.support.factories import make_world
from tracker.notify.outbox import enqueue
from tracker.notify.tables import Outbox
from tracker.plans.tables import FamilyMember
from tracker.settings import PROJECT_ROOT

pytestmark = pytest.mark.usefixtures("clean_outbox")
ACCOUNT_SID = "AC" + "0" * 30 + "12"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # as in conftest.py
NOW = "2026-11-24T10:00"
NUMBER = "+447700900777"


def env_for(twilio_url: str) -> dict[str, str]:
    return {**os.environ, "SMS_BACKEND": "twilio", "EMAIL_BACKEND": "console",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": "+447700900999", "TWILIO_API_BASE_URL": twilio_url,
            "SEND_RATE_PER_SECOND": "0"}


async def dispatch(env: dict[str, str], now: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tracker.cli", "--now", now, "nudges", "dispatch", "--once", cwd=PROJECT_ROOT,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def a_text(clock) -> int:  # type: ignore[no-untyped-def]
    world = await make_world(clock.now())
    jess = world.family["members"][0]["id"]
    await FamilyMember.update({FamilyMember.mobile: NUMBER}).where(FamilyMember.id == jess)
    row_id = await enqueue(channel="sms", template="member_action_due", due_at=clock.now(),
                           key=f"test:sigkill:{jess}", recipient_member_id=jess,
                           context={"name": "Jess", "due_on": "2026-11-24", "needs_link": True})
    assert row_id
    return row_id


async def until(check, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_sigkill_after_twilio_accepted_is_never_resent_and_the_callback_settles_it(
        clock, real_settings, twilio_server):
    row_id = await a_text(clock)
    env = env_for(twilio_server.url)
    twilio_server.hang_after_accept, twilio_server.hang_to = 60, NUMBER
    proc = await dispatch(env, NOW)

    async def accepted() -> bool:
        return len(twilio_server.to(NUMBER)) == 1

    await until(accepted)
    proc.kill()  # SIGKILL: no cleanup, no except/finally
    await proc.wait()
    twilio_server.hang_after_accept = 0
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "sending" and row["handed_at"] is not None

    # Another instance, after the lease has run out: unknown, and not sent again.
    later = await dispatch(env, "2026-11-24T10:10")
    out, err = await later.communicate()
    assert later.returncode == 0, err.decode()
    assert "unknown #" in out.decode()
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "unknown" and len(twilio_server.to(NUMBER)) == 1

    # Twilio's delivery report settles it.
    from tracker.app import create_app

    app = create_app(real_settings, clock=clock, scheduler=False)
    path = f"/webhooks/twilio/status?outbox={row_id}"
    params = {"MessageSid": twilio_server.to(NUMBER)[0]["sid"], "MessageStatus": "delivered"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver.local" + path, params)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as c:
        assert (await c.post(path, data=params, headers={"X-Twilio-Signature": signature})).status_code == 200
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "delivered" and row["provider_message_id"] == twilio_server.to(NUMBER)[0]["sid"]

    again = await dispatch(env, "2026-11-24T11:00")
    await again.communicate()
    assert len(twilio_server.to(NUMBER)) == 1


async def test_a_claim_left_by_a_dead_process_before_sending_is_released_and_sent_once(clock, twilio_server):
    row_id = await a_text(clock)
    env = env_for(twilio_server.url)
    # The process claims, then dies before handing the text over (simulated by claiming here
    # and never sending: what a SIGKILL between the claim and the send leaves behind).
    await Outbox.update({Outbox.status: "sending"}).where(Outbox.id == row_id)
    await Outbox.raw("UPDATE notify_outbox SET lease_expires_at = {} WHERE id = {}",
                     clock.now().replace(minute=5), row_id)
    later = await dispatch(env, "2026-11-24T10:10")
    out, err = await later.communicate()
    assert later.returncode == 0, err.decode()
    row = await Outbox.select().where(Outbox.id == row_id).first()
    assert row["status"] == "sent" and len(twilio_server.to(NUMBER)) == 1


async def test_sigkill_after_recording_changes_nothing(clock, twilio_server):
    row_id = await a_text(clock)
    env = env_for(twilio_server.url)
    first = await dispatch(env, NOW)

    async def recorded() -> bool:
        row = await Outbox.select(Outbox.status).where(Outbox.id == row_id).first()
        return row["status"] == "sent"

    await until(recorded)
    first.kill()
    await first.wait()
    later = await dispatch(env, "2026-11-24T10:10")
    await later.communicate()
    assert len(twilio_server.to(NUMBER)) == 1
    assert (await Outbox.select(Outbox.status).where(Outbox.id == row_id).first())["status"] == "sent"
