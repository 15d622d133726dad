"""One database's half of `make bench` (bench/web.py runs it with DATABASE_URL set).

Writes a JSON file of figures: queries per page at demo and full size, load results per
endpoint and concurrency, dispatcher messages a minute, materialising time, msgspec encoding.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.generate import BENCH_PASSWORD, generate  # noqa: E402
from bench.load import measure  # noqa: E402
from tracker.demo import DEMO_PASSWORD  # noqa: E402

LABEL = os.environ.get("BENCH_LABEL", "db")
DATABASE_URL = os.environ["DATABASE_URL"]
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Actors:
    """Who each page is loaded as: cookies and headers per endpoint."""

    lead_email: str
    chair_email: str
    password: str
    plan_id: int
    member_id: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- signing in (any base URL)

async def staff_cookies(client: httpx.AsyncClient, base: str, email: str, password: str) -> str:
    client.cookies.clear()
    await client.get(f"{base}/signin")
    token = client.cookies.get("csrftoken") or ""
    answer = await client.post(f"{base}/signin", data={"email": email, "password": password,
                                                       "_csrf_token": token})
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def family_cookie(client: httpx.AsyncClient, base: str, member_id: int) -> str:
    from tracker.audit import Actor
    from tracker.family.links import LinkPolicy, issue_link
    from tracker.settings import get_settings

    url = await issue_link(member_id=member_id, now=datetime.now(UTC), actor=Actor.system("bench"),
                           policy=LinkPolicy.from_settings(get_settings()))
    path = "/f/" + url.rsplit("/f/", 1)[1]
    client.cookies.clear()
    page = await client.get(base + path)
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    answer = await client.post(base + path, data={"_csrf_token": found.group(1)})
    assert answer.status_code == 303, answer.status_code
    return f"family_session={client.cookies.get('family_session')}"


async def api_token(email: str) -> str:
    from tracker.audit import Actor
    from tracker.people.accounts import issue_api_token
    from tracker.people.tables import StaffUser

    user = await StaffUser.select(StaffUser.id).where(StaffUser.email == email).first()
    return await issue_api_token(user_id=user["id"], actor=Actor.system("bench"), now=datetime.now(UTC))


async def endpoints(client: httpx.AsyncClient, base: str, who: Actors) -> dict[str, tuple[str, dict[str, str]]]:
    """Each endpoint's path and headers, signed in as the right person."""
    lead = {"Cookie": await staff_cookies(client, base, who.lead_email, who.password)}
    chair = {"Cookie": await staff_cookies(client, base, who.chair_email, who.password)}
    family = {"Cookie": await family_cookie(client, base, who.member_id)}
    bearer = {"Authorization": f"Bearer {await api_token(who.lead_email)}"}
    found = {
        "family page": ("/family", family),
        "/actions": ("/actions", lead),
        "/families": ("/families", lead),
        "/chair": ("/chair", chair),
        "plan API": (f"/api/v1/plans/{who.plan_id}", bearer),
    }
    present = {}
    for name, (path, headers) in found.items():
        answer = await client.get(base + path, headers=headers)
        if answer.status_code == 200:
            present[name] = (path, headers)
        else:
            print(f"  {name}: {path} answered {answer.status_code}: left out", flush=True)
    return present


# ---------------------------------------------------------------- queries per request

async def queries_per_page(who: Actors) -> dict[str, int]:
    """Queries each endpoint runs, in-process (the same app, counted at the engine)."""
    from piccolo.engine import engine_finder

    from tracker.app import create_app
    from tracker.settings import get_settings

    app = create_app(get_settings(), scheduler=False)
    engine: Any = engine_finder()
    cls = type(engine)
    count = {"n": 0}
    original = cls.run_querystring, cls.run_ddl

    async def counted_q(self: Any, qs: Any, in_pool: bool = False) -> Any:
        count["n"] += 1
        return await original[0](self, qs, in_pool=in_pool)

    async def counted_d(self: Any, ddl: str, in_pool: bool = False) -> Any:
        count["n"] += 1
        return await original[1](self, ddl, in_pool=in_pool)

    transport = httpx.ASGITransport(app=app)
    base = "http://testserver.local"
    out = {}
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        for name, (path, headers) in (await endpoints(client, base, who)).items():
            client.cookies.clear()
            cls.run_querystring, cls.run_ddl = counted_q, counted_d  # type: ignore[method-assign]
            count["n"] = 0
            try:
                answer = await client.get(base + path, headers=headers)
            finally:
                cls.run_querystring, cls.run_ddl = original  # type: ignore[method-assign]
            assert answer.status_code == 200, (name, answer.status_code)
            out[name] = count["n"]
    return out


# ---------------------------------------------------------------- serving and loading

def serve(port: int, bare: bool) -> subprocess.Popen[bytes]:
    args = ([sys.executable, str(ROOT / "bench" / "bare_app.py"), str(port)] if bare else
            [sys.executable, "-m", "tracker.cli", "serve", "--no-scheduler", "--host", "127.0.0.1",
             "--port", str(port)])
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "LOG_FORMAT": "json"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/" + ("hello" if bare else "health")).status_code == 200:
                return proc
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


async def load_all(who: Actors, seconds: float, clients: list[int]) -> list[dict[str, Any]]:
    port, bare_port = free_port(), free_port()
    app_proc, bare_proc = serve(port, bare=False), serve(bare_port, bare=True)
    rows = []
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            found = await endpoints(client, base, who)
        targets = {"bare Litestar": (f"http://127.0.0.1:{bare_port}/hello", {})}
        targets.update({name: (base + path, headers) for name, (path, headers) in found.items()})
        for name, (url, headers) in targets.items():
            for n in clients:
                result = await asyncio.to_thread(measure, url, n, seconds, headers)
                print(f"  {LABEL} {name:<14} c={n:<3} {result.rps:9.1f}/s p50 {result.p50:7.1f} ms "
                      f"p95 {result.p95:7.1f} p99 {result.p99:7.1f} errors {result.errors}", flush=True)
                rows.append({"endpoint": name, "clients": n, **asdict(result)})
    finally:
        stop(app_proc)
        stop(bare_proc)
    return rows


# ---------------------------------------------------------------- the dispatcher

async def dispatch_rate(rows: int) -> dict[str, Any]:
    """One tick sending `rows` texts (each with a fresh family link) to a loopback Twilio."""
    import dataclasses

    from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
    from tracker.bootstrap import build_dispatcher
    from tracker.clock import SystemClock
    from tracker.demo import demo_member_ids
    from tracker.notify.outbox import enqueue, send_windows
    from tracker.notify.providers import providers_for
    from tracker.notify.tables import Outbox
    from tracker.plans.tables import FamilyMember
    from tracker.settings import get_settings

    twilio = FakeTwilio()
    await twilio.start()
    member = (await demo_member_ids())[0]
    await FamilyMember.update({FamilyMember.mobile: "+447700900123", FamilyMember.sms_consent: True}).where(
        FamilyMember.id == member)
    settings = dataclasses.replace(
        get_settings(), sms_backend="twilio", email_backend="console", twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN, twilio_from="+447700900999", twilio_api_base_url=twilio.url,
        send_rate_per_second=0, dispatch_batch_size=rows)
    clock = SystemClock()
    now = clock.now()
    # Inside the hours texts may go (a London weekday afternoon is what matters, not today).
    windows = send_windows(settings)
    await Outbox.update({Outbox.status: "cancelled"}).where(Outbox.status == "pending")
    for i in range(rows):
        await enqueue(windows=windows, channel="sms", template="member_action_due", due_at=now,
                      key=f"bench:dispatch:{uuid4()}:{i}", recipient_member_id=member,
                      context={"name": "Jess", "due_on": now.date().isoformat(), "needs_link": True})
    dispatcher = build_dispatcher(settings, clock, providers_for(settings))
    started = time.perf_counter()
    report = await dispatcher.tick(materialise=False)
    took = time.perf_counter() - started
    await dispatcher.providers.close()
    await twilio.stop()
    return {"messages": report.sent, "deferred": report.deferred, "seconds": took,
            "per_minute": report.sent / took * 60 if took else 0.0, "twilio_got": len(twilio.messages)}


def uuid4() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


async def materialise_time() -> dict[str, Any]:
    """The nudge rules over every action in the database (one materialise step)."""
    from tracker.bootstrap import build_dispatcher
    from tracker.clock import FixedClock
    from tracker.notify.providers import providers_for
    from tracker.notify.sending import TickReport
    from tracker.plans.tables import Action
    from tracker.settings import get_settings

    settings = get_settings()
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    dispatcher = build_dispatcher(settings, FixedClock(now), providers_for(settings))
    actions = await Action.count()
    report = TickReport(now=now)
    started = time.perf_counter()
    await dispatcher.materialise(now, report)
    took = time.perf_counter() - started
    await dispatcher.providers.close()
    return {"actions": actions, "seconds": took, "materialised": report.materialised,
            "skipped": report.skipped}


async def encoding() -> dict[str, Any]:
    """msgspec (what Litestar uses for our structs) against json.dumps, for the demo plan."""
    import json as stdlib_json

    import msgspec

    from tracker.api_responses import to_out
    from tracker.plans import service
    from tracker.plans.api_types import PlanOut
    from tracker.plans.tables import Plan

    plan = await Plan.select(Plan.id).order_by(Plan.id).first()
    view = await service.plan_view(plan["id"], today=datetime.now(UTC).date())
    out = to_out(view, PlanOut)
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        msgspec.json.encode(out)
    fast = (time.perf_counter() - started) / n * 1e6
    plain = msgspec.to_builtins(out)
    started = time.perf_counter()
    for _ in range(n):
        stdlib_json.dumps(plain).encode()
    slow = (time.perf_counter() - started) / n * 1e6
    return {"msgspec_us": fast, "json_us": slow, "bytes": len(msgspec.json.encode(out))}


# ---------------------------------------------------------------- the run

async def demo_actors() -> Actors:
    from tracker.demo import demo_member_ids
    from tracker.plans.tables import Plan

    plan = await Plan.select(Plan.id).where(Plan.status == "active").order_by(Plan.id).first()
    return Actors("sam.okafor@demo.example", "priya.shah@demo.example", DEMO_PASSWORD,
                  plan["id"], (await demo_member_ids())[0])


def generated_actors(made: dict[str, Any]) -> Actors:
    """A professional leading families (and owning actions), a chair with reviews coming, a plan."""
    off, sizes = made["offsets"], made["sizes"]
    staff = sizes.staff
    lead = off["staff_user"] + 1  # generated professional 1 (families n where n % staff == 0)
    family_n = staff  # family n=staff is led by professional 1
    return Actors(f"bench{lead}@bench.example", f"bench{off['staff_user'] + 2}@bench.example",
                  BENCH_PASSWORD, off["plan"] + family_n, off["family_member"] + 2 * family_n - 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from piccolo.engine import engine_finder

    from tracker import db
    from tracker.cli_support import run_migrations
    from tracker.demo import seed_demo
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    with contextlib.redirect_stdout(io.StringIO()):
        assert await run_migrations()
    engine = engine_finder()
    await db.start(engine, get_settings())
    await seed_demo(now=datetime.now(UTC) - timedelta(minutes=5),
                    policy=PlanPolicy.from_settings(get_settings()))
    figures: dict[str, Any] = {"label": LABEL}
    figures["queries_demo"] = await queries_per_page(await demo_actors())
    figures["encoding"] = await encoding()
    figures["dispatch"] = await dispatch_rate(args.dispatch_rows)
    print(f"  {LABEL} dispatch: {figures['dispatch']}", flush=True)
    made = await generate(DATABASE_URL, args.scale)
    figures["generated"] = {**asdict(made["sizes"]), "seconds": made["seconds"]}
    who = generated_actors(made)
    figures["queries_full"] = await queries_per_page(who)
    print(f"  {LABEL} queries: demo {figures['queries_demo']} full {figures['queries_full']}", flush=True)
    clients = [int(c) for c in args.clients.split(",")]
    figures["load"] = await load_all(who, args.seconds, clients)
    figures["materialise"] = await materialise_time()
    print(f"  {LABEL} materialise: {figures['materialise']}", flush=True)
    await db.stop(engine)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--dispatch-rows", type=int, default=1000)
    parser.add_argument("--out", required=True)
    ns = parser.parse_args()
    result = asyncio.run(run(ns))
    Path(ns.out).write_text(json.dumps(result, default=str, indent=1))
