"""One database's half of `make bench`, a phase at a time (bench/web.py runs it with DATABASE_URL set).

  build    migrate, seed the demo and generate England-sized data (bench/generate.py); writes the
           sizes and id offsets (the measure phase finds its actors by them)
  demo     on a database holding only the demo: queries per request at demo size
  measure  on a built database: queries per request at full size, CPU a request in-process (and,
           with --profile-dir, a pyinstrument profile of each endpoint), the pages and API under
           load, the dispatcher's texts a minute, materialising the nudges over every action,
           msgspec encoding
Each writes a JSON file of its figures (--out).
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

from bench.generate import BENCH_PASSWORD, GENERATOR_VERSION, Sizes, generate  # noqa: E402
from bench.load import measure  # noqa: E402
from bench.report import DISPATCH_ROWS  # noqa: E402
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
    for name, (path, headers) in found.items():
        answer = await client.get(base + path, headers=headers)
        if answer.status_code != 200:
            # Still loaded (and so reported, with its errors): never silently left out.
            print(f"  {LABEL} {name}: {path} answered {answer.status_code} before the load", flush=True)
    return found


# ---------------------------------------------------------------- queries per request

async def queries_per_page(who: Actors) -> dict[str, int | str]:
    """Queries each endpoint runs, in-process (the same app, counted at the engine); an endpoint
    that does not answer 200 gets the status it gave instead of a count."""
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
    out: dict[str, int | str] = {}
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        for name, (path, headers) in (await endpoints(client, base, who)).items():
            client.cookies.clear()
            counts = []
            for _ in range(2):  # built afresh (kept pages forgotten), then as kept
                if not counts:
                    forget_kept(app)
                cls.run_querystring, cls.run_ddl = counted_q, counted_d  # type: ignore[method-assign]
                count["n"] = 0
                try:
                    answer = await client.get(base + path, headers=headers)
                finally:
                    cls.run_querystring, cls.run_ddl = original  # type: ignore[method-assign]
                counts.append(count["n"])
            out[name] = (f"{counts[0]} built, {counts[1]} kept" if answer.status_code == 200
                         else f"answered {answer.status_code}")
    return out


def forget_kept(app: Any) -> None:
    """Forget every page and answer the app keeps (tracker.plans.read_cache,
    tracker.staff.pages.kept): the next request builds it, as after a change."""
    from tracker.plans.read_cache import VersionedCache

    for key in [k for k, v in app.state.dict().items() if isinstance(v, VersionedCache)]:
        del app.state[key]


async def in_process(who: Actors, requests: int, profile_dir: Path | None) -> dict[str, Any]:
    """Per endpoint, in-process through httpx.ASGITransport (no network, no load generator):
    CPU and wall milliseconds a request over `requests` sequential requests after two warm-up
    ones, what load on a shared machine affects least; with `profile_dir`, a pyinstrument
    profile of the same requests written there (one text file an endpoint)."""
    from tracker.app import create_app
    from tracker.settings import get_settings

    app = create_app(get_settings(), scheduler=False)
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver.local"
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        for name, (path, headers) in (await endpoints(client, base, who)).items():
            client.cookies.clear()
            for _ in range(2):
                await client.get(base + path, headers=headers)
            cpu, wall = time.process_time(), time.perf_counter()
            statuses = set()
            for _ in range(requests):
                statuses.add((await client.get(base + path, headers=headers)).status_code)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            row: dict[str, Any] = {"cpu_ms": cpu / requests * 1000, "wall_ms": wall / requests * 1000,
                                   "requests": requests, "statuses": sorted(statuses),
                                   "built_cpu_ms": await built_cost(app, client, base + path, headers,
                                                                    min(requests, 50))}
            if profile_dir is not None:
                row["profile"] = await profile_one(client, base + path, headers, name, requests, profile_dir)
            out[name] = row
            print(f"  {LABEL} {name:<14} in-process {row['cpu_ms']:7.1f} ms CPU, {row['wall_ms']:7.1f} ms "
                  f"wall a request; {row['built_cpu_ms']:7.1f} ms CPU built afresh", flush=True)
    return out


async def built_cost(app: Any, client: httpx.AsyncClient, url: str, headers: dict[str, str],
                     requests: int) -> float:
    """CPU ms a request when the page is built afresh: every page and answer the app keeps
    (tracker.plans.read_cache, tracker.staff.pages.kept) forgotten before each request, as for
    the first view after a change."""
    cpu = time.process_time()
    for _ in range(requests):
        forget_kept(app)
        await client.get(url, headers=headers)
    return (time.process_time() - cpu) / requests * 1000


async def profile_one(client: httpx.AsyncClient, url: str, headers: dict[str, str], name: str,
                      requests: int, profile_dir: Path) -> str:
    """pyinstrument over `requests` in-process requests: the slowest functions by their own
    time, then the call tree (trimmed), in docs/profiles/<database>-<endpoint>.txt."""
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    profiler = Profiler(interval=0.0005, async_mode="enabled")
    profiler.start()
    for _ in range(requests):
        await client.get(url, headers=headers)
    profiler.stop()
    session = profiler.last_session
    assert session is not None
    flat = ConsoleRenderer(flat=True, flat_time="self", unicode=False, color=False).render(session)
    tree = ConsoleRenderer(unicode=False, color=False, show_all=False,
                           processor_options={"filter_threshold": 0.02}).render(session)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{LABEL} {name}".lower()).strip("-")
    path = profile_dir / f"{slug}.txt"
    path.write_text(
        f"{LABEL}, {name} ({url.split('testserver.local', 1)[-1]}): pyinstrument over {requests} "
        f"in-process requests at full size, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
        f"{os.getloadavg()[0]:.1f}.\n\nBy own time (top 30):\n"
        + "\n".join(flat.splitlines()[:40]) + "\n\nCall tree (frames under 2% hidden):\n"
        + "\n".join(tree.splitlines()[:150]) + "\n")
    return str(path.relative_to(ROOT))


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


async def load_all(who: Actors, seconds: float, clients: list[int], max_seconds: float) -> list[dict[str, Any]]:
    """Serve the app and the bare endpoint; load each at each concurrency. The bare endpoint is
    loaded first and again last (the report compares with the mean of the two)."""
    port, bare_port = free_port(), free_port()
    app_proc, bare_proc = serve(port, bare=False), serve(bare_port, bare=True)
    rows = []

    def one(name: str, url: str, headers: dict[str, str], n: int) -> None:
        result = measure(url, n, seconds, headers, max_seconds=max_seconds,
                         say=lambda text: print(text, flush=True))
        print(f"  {LABEL} {name:<14} c={n:<3} {result.rps:9.1f}/s p50 {result.p50:7.1f} ms "
              f"p95 {result.p95:7.1f} p99 {result.p99:7.1f} ({result.requests} requests in "
              f"{result.seconds:.0f} s, errors {result.errors}, timeouts {result.timeouts})", flush=True)
        rows.append({"endpoint": name, "clients": n, **asdict(result), "problem": result.problem,
                     "rough": result.rough})

    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=60) as client:
            found = await endpoints(client, base, who)
            for path, headers in found.values():  # warm each page (templates, plans, caches)
                for _ in range(3):
                    await client.get(base + path, headers=headers)
        bare = f"http://127.0.0.1:{bare_port}/hello"
        for n in clients:
            await asyncio.to_thread(one, "bare Litestar", bare, {}, n)
        for name, (path, headers) in found.items():
            for n in clients:
                await asyncio.to_thread(one, name, base + path, headers, n)
        for n in clients:
            await asyncio.to_thread(one, "bare Litestar (again)", bare, {}, n)
    finally:
        stop(app_proc)
        stop(bare_proc)
    return rows


# ---------------------------------------------------------------- the dispatcher

class LoopbackTwilio:
    """The Twilio-speaking test server (tests/notify/conftest.py's FakeTwilio) in a process of its
    own, so its work does not share the dispatcher's CPU and event loop."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "twilio_server.py")], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"the loopback Twilio did not start: {self.url!r}")

    def received(self) -> int:
        """Messages it has accepted so far."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def texting_members(rows: int) -> list[int]:
    """`rows` adults in families with a current plan, one text each: the ones there are (the
    generated data has two a family), then more added to those families when there are too few
    (the demo alone has a handful)."""
    from tracker.plans.tables import FamilyMember, Plan

    families = [row["family"] for row in await Plan.select(Plan.family).where(Plan.status == "active")
                .order_by(Plan.family)]
    if not families:
        raise RuntimeError("no family has a current plan to text")
    found = [row["id"] for row in await FamilyMember.select(FamilyMember.id).where(
        FamilyMember.family.is_in(families[:rows]) & (FamilyMember.preferred_channel == "sms")).order_by(
        FamilyMember.id).limit(rows)]
    for i in range(rows - len(found)):
        made = await FamilyMember.insert(FamilyMember(
            family=families[i % len(families)], name="Bench adult", relationship="Parent",
            preferred_channel="sms", sms_consent=True, safe_to_contact=True, language="en")).returning(
            FamilyMember.id)
        found.append(made[0]["id"])
    return found


async def dispatch_rate(rows: int, members: list[int] | None = None, batch: int = 0,
                        **link: Any) -> dict[str, Any]:
    """The dispatcher's texts a minute: `rows` texts, each with a family link, one to each of
    `members` (default: texting_members; fewer texts when fewer members are given), sent by
    consecutive ticks of one dispatcher as tracker/bootstrap.py builds it, to the loopback
    Twilio; throttle off, the batch size (unless `batch` is given) and the concurrency the
    settings give (DISPATCH_BATCH_SIZE, DISPATCH_CONCURRENCY). Only the notify package's public
    entry points: enqueue, build_dispatcher, Dispatcher.tick. `link` passes build_dispatcher's
    options through (a ready-made link, say)."""
    import dataclasses

    from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN
    from tracker.bootstrap import build_dispatcher
    from tracker.clock import SystemClock
    from tracker.notify.outbox import enqueue, send_windows
    from tracker.notify.providers import providers_for
    from tracker.notify.tables import Outbox
    from tracker.plans.tables import FamilyMember
    from tracker.settings import get_settings

    # One text a member: more would meet a member's weekly cap (deferred, not sent).
    members = members if members is not None else await texting_members(rows)
    rows = min(rows, len(members))
    twilio = LoopbackTwilio()
    try:
        chosen = members[:rows]
        for i, member in enumerate(chosen):
            await FamilyMember.update({FamilyMember.mobile: f"+447700{900000 + i % 1000}",
                                       FamilyMember.sms_consent: True,
                                       FamilyMember.safe_to_contact: True}).where(FamilyMember.id == member)
        settings = dataclasses.replace(
            get_settings(), sms_backend="twilio", email_backend="console", twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN, twilio_from="+447700900999", twilio_api_base_url=twilio.url,
            send_rate_per_second=0, dispatch_batch_size=batch or get_settings().dispatch_batch_size)
        clock = SystemClock()
        now = clock.now()
        windows = send_windows(settings)
        # Only these texts are due: anything else pending (the generated backlog) waits a day.
        await Outbox.update({Outbox.next_attempt_at: now + timedelta(days=1)}).where(
            (Outbox.status == "pending") & (Outbox.next_attempt_at <= now + timedelta(hours=1)))
        run = uuid4()
        for i in range(rows):
            await enqueue(windows=windows, channel="sms", template="member_action_due", due_at=now,
                          key=f"bench:dispatch:{run}:{i}", recipient_member_id=chosen[i],
                          context={"name": "Jess", "due_on": now.date().isoformat(), "needs_link": True})
        dispatcher = build_dispatcher(settings, clock, providers_for(settings), **link)
        sent = deferred = other = ticks = 0
        started = time.perf_counter()
        while True:
            report = await dispatcher.tick(materialise=False)
            ticks += 1
            sent += report.sent
            deferred += report.deferred
            other += report.retrying + report.failed + report.suppressed + report.errors
            if not report.claimed:
                break
        took = time.perf_counter() - started
        await dispatcher.providers.close()
        got = twilio.received()
    finally:
        twilio.close()
    return {"messages": sent, "asked": rows, "members": len(chosen), "deferred": deferred,
            "not_sent": other, "ticks": ticks,
            "batch": settings.dispatch_batch_size, "concurrency": settings.dispatch_concurrency,
            "seconds": took, "per_minute": sent / took * 60 if took else 0.0, "twilio_got": got}


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
    error = None
    started = time.perf_counter()
    try:
        await dispatcher.materialise(now, report)
    except Exception as exc:  # noqa: BLE001 - a failure is a figure too: reported, not a crash
        error = f"{type(exc).__name__}: {exc}"
        print(f"  {LABEL} materialise FAILED: {error}", flush=True)
    took = time.perf_counter() - started
    await dispatcher.providers.close()
    return {"actions": actions, "seconds": took, "materialised": report.materialised,
            "skipped": report.skipped, "error": error}


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
    off, sizes = made["offsets"], Sizes(**made["sizes"])
    staff = sizes.staff
    lead = off["staff_user"] + 1  # generated professional 1 (families n where n % staff == 0)
    family_n = staff  # family n=staff is led by professional 1
    return Actors(f"bench{lead}@bench.example", f"bench{off['staff_user'] + 2}@bench.example",
                  BENCH_PASSWORD, off["plan"] + family_n, off["family_member"] + 2 * family_n - 1)


async def start_engine() -> Any:
    """Migrate (quietly; a no-op on a built database) and start the engine."""
    from piccolo.engine import engine_finder

    from tracker import db
    from tracker.cli_support import run_migrations
    from tracker.settings import get_settings

    with contextlib.redirect_stdout(io.StringIO()):
        assert await run_migrations()
    engine = engine_finder()
    await db.start(engine, get_settings())
    return engine


async def seeded() -> None:
    from tracker.demo import seed_demo
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    await seed_demo(now=datetime.now(UTC) - timedelta(minutes=5), policy=PlanPolicy.from_settings(get_settings()))


async def build(args: argparse.Namespace) -> dict[str, Any]:
    """Phase `build`: the demo, then England-sized data; what was made (sizes, id offsets)."""
    from tracker import db

    engine = await start_engine()
    await seeded()
    await db.stop(engine)
    made = await generate(DATABASE_URL, args.scale)
    return {"sizes": asdict(made["sizes"]), "offsets": made["offsets"], "seconds": made["seconds"],
            "scale": args.scale, "generator_version": GENERATOR_VERSION}


async def demo(_: argparse.Namespace) -> dict[str, Any]:
    """Phase `demo`: queries per request on a database holding only the demo."""
    from tracker import db

    engine = await start_engine()
    await seeded()
    out = {"queries_demo": await queries_per_page(await demo_actors())}
    await db.stop(engine)
    return out


async def measure_all(args: argparse.Namespace) -> dict[str, Any]:
    """Phase `measure`, on a built database: queries per request, in-process CPU (and profiles),
    the pages under load, the dispatcher, materialising, encoding."""
    from tracker import db

    made = json.loads(await asyncio.to_thread(Path(args.built).read_text))
    engine = await start_engine()
    who = generated_actors(made)
    figures: dict[str, Any] = {"label": LABEL}
    figures["queries_full"] = await queries_per_page(who)
    print(f"  {LABEL} queries at full size: {figures['queries_full']}", flush=True)
    profile_dir = Path(args.profile_dir) if args.profile_dir else None
    figures["in_process"] = await in_process(who, args.in_process_requests, profile_dir)
    clients = [int(c) for c in args.clients.split(",")]
    figures["load"] = await load_all(who, args.seconds, clients, args.max_seconds)
    figures["dispatch"] = await dispatch_rate(args.dispatch_rows)
    print(f"  {LABEL} dispatch: {figures['dispatch']}", flush=True)
    figures["materialise"] = await materialise_time()
    print(f"  {LABEL} materialise: {figures['materialise']}", flush=True)
    figures["encoding"] = await encoding()
    await db.stop(engine)
    return figures


PHASES = {"build": build, "demo": demo, "measure": measure_all}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=sorted(PHASES))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--dispatch-rows", type=int, default=DISPATCH_ROWS)
    parser.add_argument("--in-process-requests", type=int, default=20)
    parser.add_argument("--profile-dir", default="")
    parser.add_argument("--built", help="the build phase's JSON (measure)")
    parser.add_argument("--out", required=True)
    ns = parser.parse_args()
    result = asyncio.run(PHASES[ns.phase](ns))
    Path(ns.out).write_text(json.dumps(result, default=str, indent=1))
