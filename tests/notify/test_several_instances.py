"""Several instances against one PostgreSQL: web processes share sessions and sign-in limits,
dispatchers send each nudge exactly once, and a rolling restart (SIGTERM each process in turn,
under light load) loses no request and leaves no lease behind.

Real processes: `tracker serve --no-scheduler` under uvicorn and `tracker nudges dispatch`,
texting the loopback Twilio-speaking server. PostgreSQL only (SQLite is one machine's file).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import TEST_DB
from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, free_port
from tests.support.factories import WINDOWS, make_world
from tests.support.staff_pages import PASSWORD, give_password
from tracker.notify.outbox import enqueue
from tracker.notify.tables import Outbox
from tracker.plans.tables import FamilyMember
from tracker.security.tables import RateLimitHit
from tracker.settings import PROJECT_ROOT

pytestmark = [
    pytest.mark.skipif(TEST_DB != "postgres", reason="several instances share one PostgreSQL "
                       "(run with TEST_DB=postgres; `make test` does)"),
    pytest.mark.usefixtures("clean_outbox"),
]
NOW = "2026-11-24T10:00"
SECRET = "several-instances-test-secret-0123456789abcdef"


def _env(twilio_url: str = "http://127.0.0.1:9", **extra: str) -> dict[str, str]:
    return {**os.environ, "SECRET_KEY": SECRET, "TRACKER_ENV": "test", "LOG_FORMAT": "text",
            "SMS_BACKEND": "twilio", "EMAIL_BACKEND": "console", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+447700900999",
            "TWILIO_API_BASE_URL": twilio_url, "SEND_RATE_PER_SECOND": "0",
            "SHUTDOWN_GRACE_SECONDS": "10", **extra}


@dataclass
class Web:
    """One `tracker serve --no-scheduler` process on its own port."""

    port: int
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tracker.cli", "serve", "--no-scheduler", "--host", "127.0.0.1",
            "--port", str(self.port), cwd=PROJECT_ROOT, env=_env(),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        async with httpx.AsyncClient() as client:
            # Up to two minutes: on a busy 2-core machine importing the app alone can take 30 s.
            for _ in range(2400):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError(f"web process on {self.port} did not start")

    async def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 20)
        self.proc = None
        return code


@contextlib.asynccontextmanager
async def web_processes(n: int) -> AsyncIterator[list[Web]]:
    webs = [Web(free_port()) for _ in range(n)]
    try:
        await asyncio.gather(*(w.start() for w in webs))
        yield webs
    finally:
        for w in webs:
            if w.proc is not None:
                w.proc.kill()
                await w.proc.wait()


async def dispatcher(twilio: FakeTwilio, batch: int) -> asyncio.subprocess.Process:
    """A long-running `tracker nudges dispatch` (ticks every second until SIGTERM)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tracker.cli", "--now", NOW, "nudges", "dispatch", cwd=PROJECT_ROOT,
        env=_env(twilio.url, DISPATCH_BATCH_SIZE=str(batch), DISPATCH_INTERVAL_SECONDS="1",
                 DISPATCH_CONCURRENCY="2"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def texts(clock, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """`n` due texts, each to its own family member's number; returns the numbers."""
    world = await make_world(clock.now())
    numbers = []
    for i in range(n):
        number = f"+4477009{i:05d}"
        member = (await FamilyMember.insert(FamilyMember(
            family=world.family["id"], name=f"Adult {i}", relationship="Aunt", mobile=number,
            preferred_channel="sms", sms_consent=True)).returning(FamilyMember.id))[0]["id"]
        assert await enqueue(windows=WINDOWS, channel="sms", template="member_action_due",
                             due_at=clock.now(), key=f"test:several:{number}",
                             recipient_member_id=member,
                             context={"name": f"Adult {i}", "due_on": "2026-11-24",
                                      "needs_link": True})
        numbers.append(number)
    return numbers


async def all_sent(keys_like: str = "test:several:%") -> bool:
    rows = await Outbox.raw(
        "SELECT count(*) AS n FROM notify_outbox WHERE key LIKE {} AND status <> 'sent'", keys_like)
    return rows[0]["n"] == 0


async def until(check, seconds: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


def sent_once(twilio: FakeTwilio, numbers: list[str]) -> None:
    """None of this test's outbox rows reached Twilio twice (each has a number of its own).
    Only these numbers are counted: the dispatchers also nudge whatever earlier tests left due,
    and make_world gives every family's Jess the same number."""
    twice = [to for to, n in Counter(m["to"] for m in twilio.messages if m["to"] in numbers).items()
             if n > 1]
    assert twice == []


async def _signed_in(client: httpx.AsyncClient, base: str, email: str, password: str) -> int:
    await client.get(f"{base}/signin")
    token = client.cookies.get("csrftoken")
    answer = await client.post(f"{base}/signin", data={"email": email, "password": password,
                                                        "_csrf_token": token or ""})
    return answer.status_code


@pytest.fixture(scope="module")
async def webs(migrated: None) -> AsyncIterator[list[Web]]:
    """Two web processes, shared by this module's tests (each start costs seconds)."""
    async with web_processes(2) as running:
        yield running


async def test_a_session_made_on_one_web_process_works_on_another_and_limits_are_shared(
        clock, webs):
    a, b = webs
    world = await make_world(clock.now())
    await give_password(world.lead.id)
    await give_password(world.invitee.id)
    await RateLimitHit.delete(force=True)
    async with httpx.AsyncClient() as client:
        assert await _signed_in(client, a.url, world.lead.email, PASSWORD) == 303
        mine = await client.get(f"{b.url}/actions")
        assert mine.status_code == 200 and "Sign out" in mine.text
    # Sign-in limits are counted in the database: five wrong passwords spread over both
    # processes use up the account's allowance on each.
    async with httpx.AsyncClient() as other:
        codes = [await _signed_in(other, (a, b)[i % 2].url, world.invitee.email, "wrong")
                 for i in range(5)]
        assert codes == [400] * 5
        assert await _signed_in(other, a.url, world.invitee.email, PASSWORD) == 429
        assert await _signed_in(other, b.url, world.invitee.email, PASSWORD) == 429


@dataclass
class Load:
    """Light load on the plan API over every web process that is up; counts what was lost."""

    webs: list[Web]
    headers: dict[str, str]
    path: str
    ok: int = 0
    lost: list[str] = field(default_factory=list)
    running: bool = True

    async def client(self, n: int) -> None:
        # A fresh connection per request, as a load balancer's health-checked pool would give:
        # a refused connection (the process is stopping or down) is tried on the next process.
        async with httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)) as c:
            while self.running:
                n += 1
                for k in range(len(self.webs)):
                    web = self.webs[(n + k) % len(self.webs)]
                    try:
                        answer = await c.get(web.url + self.path, headers=self.headers)
                    except httpx.ConnectError:
                        continue
                    except httpx.TransportError as exc:
                        self.lost.append(f"{web.port}: {exc!r}")
                        break
                    if answer.status_code == 200:
                        self.ok += 1
                    else:
                        self.lost.append(f"{web.port}: {answer.status_code}")
                    break
                await asyncio.sleep(0.05)


async def test_a_rolling_restart_loses_no_request_sends_each_nudge_once_and_leaves_no_lease(
        clock, twilio_server, webs):
    """Three dispatchers and two web processes under light load; each is stopped in turn."""
    world = await make_world(clock.now())
    numbers = await texts(clock, 60)
    # Each text takes a moment (two at a time): a tick of ten lasts half a second, so the
    # SIGTERM below lands while one is in hand.
    twilio_server.hang_after_accept = 0.1
    load = Load(list(webs), world.lead.headers, f"/api/v1/plans/{world.plan_id}")
    clients = [asyncio.create_task(load.client(i)) for i in range(4)]
    # The replacements start while the dispatchers do (as a deployment brings the new version
    # up before draining the old one); each old process is then stopped in turn, under load.
    fresh = [Web(free_port()) for _ in webs]
    starting = asyncio.gather(*(w.start() for w in fresh))
    procs = list(await asyncio.gather(*(dispatcher(twilio_server, batch=10) for _ in range(3))))
    try:
        await until(lambda: _some_sent(twilio_server))
        # One dispatcher stops mid-tick: it finishes the text in hand and releases the rest.
        procs[0].send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(procs[0].communicate(), 30)
        assert procs[0].returncode == 0, err.decode()[-2000:]
        assert "stopping: released" in out.decode()
        await starting
        for old, new in zip(list(webs), fresh, strict=True):  # each web process in turn
            load.webs.append(new)
            before = load.ok
            # As a proxy does: take the old process out of the pool, then SIGTERM it at once,
            # while the requests already sent to it are still in flight; they must all finish.
            # (Sending it new connections while its listening socket closes would lose those the
            # kernel had queued but uvicorn had not yet accepted: no server can answer them.)
            load.webs.remove(old)
            await asyncio.sleep(0.02)
            # uvicorn re-raises the signal once its graceful shutdown is done.
            assert await old.stop() in (0, -signal.SIGTERM)
            await until(lambda before=before: _more(load, before))
        await until(all_sent)
    finally:
        load.running = False
        await asyncio.gather(*clients)
        await asyncio.gather(starting, return_exceptions=True)
        webs[:] = [*webs, *fresh]  # the module's fixture kills whichever are still running
        for p in procs[1:]:
            p.send_signal(signal.SIGTERM)
        for p in procs[1:]:
            await asyncio.wait_for(p.wait(), 30)
    assert load.lost == [] and load.ok > 20
    assert [p.returncode for p in procs] == [0, 0, 0]
    leased = await Outbox.raw("SELECT count(*) AS n FROM notify_outbox WHERE status = 'sending'")
    assert leased[0]["n"] == 0
    assert sorted(m["to"] for m in twilio_server.messages if m["to"] in numbers) == sorted(numbers)
    sent_once(twilio_server, numbers)


async def _some_sent(twilio: FakeTwilio) -> bool:
    return len(twilio.messages) >= 3


async def _more(load: Load, before: int) -> bool:
    return load.ok > before + 5
