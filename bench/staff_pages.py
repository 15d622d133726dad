"""CPU time and queries per request for the staff pages (/actions, /families, /chair), in-process.

Usage:
  .venv/bin/python bench/staff_pages.py --database-url URL [--generate 0.01] [--requests 50]
      [--profile] [--who bench|demo]

Requests go through the whole app (middleware, session, queries, rendering) over
httpx.ASGITransport; CPU time is time.process_time() around `--requests` requests, so a loaded
machine skews it less than wall time. `--generate S` migrates, seeds the demo and fills the
database at scale S first (bench/generate.py); without it the database is used as it is.
`--who bench` signs in as the generated lead and chair (what `make bench` loads), `demo` as
the demo's Sam Okafor and Priya Shah.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("/actions", "/families", "/chair")


async def main(args: argparse.Namespace) -> None:
    import httpx
    from piccolo.engine import engine_finder

    from bench.generate import BENCH_PASSWORD, generate
    from bench.web_child import staff_cookies
    from tracker import db
    from tracker.app import create_app
    from tracker.cli_support import run_migrations
    from tracker.demo import DEMO_PASSWORD, seed_demo
    from tracker.people.tables import StaffUser
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    engine: Any = engine_finder()
    if args.generate:
        with contextlib.redirect_stdout(io.StringIO()):
            assert await run_migrations()
        await db.start(engine, get_settings())
        await seed_demo(now=datetime.now(UTC) - timedelta(minutes=5),
                        policy=PlanPolicy.from_settings(get_settings()))
        await generate(os.environ["DATABASE_URL"], args.generate)
    else:
        await db.start(engine, get_settings())
    if args.who == "demo":
        lead, chair, password = "sam.okafor@demo.example", "priya.shah@demo.example", DEMO_PASSWORD
    else:
        # The first generated professional leads families; the second also chairs.
        first = await StaffUser.select(StaffUser.id).where(
            StaffUser.email.like("bench%@bench.example")).order_by(StaffUser.id).first()
        lead, chair = f"bench{first['id']}@bench.example", f"bench{first['id'] + 1}@bench.example"
        password = BENCH_PASSWORD
    app = create_app(get_settings(), scheduler=False)
    base = "http://testserver.local"
    cls = type(engine)
    original = cls.run_querystring
    count = {"n": 0}
    seen: list[Any] = []

    async def counted(self: Any, qs: Any, in_pool: bool = False) -> Any:
        count["n"] += 1
        if args.explain:
            seen.append(qs)
        started = time.perf_counter()
        try:
            return await original(self, qs, in_pool=in_pool)
        finally:
            if args.queries:
                took = (time.perf_counter() - started) * 1000
                print(f"   {took:7.2f} ms  {' '.join(str(qs).split())[:args.queries]}")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client:
        cookies = {"lead": await staff_cookies(client, base, lead, password),
                   "chair": await staff_cookies(client, base, chair, password)}
        for path in args.pages:
            headers = {"Cookie": cookies["chair" if path == "/chair" else "lead"]}
            client.cookies.clear()
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            cls.run_querystring = counted  # type: ignore[method-assign]
            count["n"] = 0
            await client.get(path, headers=headers)
            cls.run_querystring = original  # type: ignore[method-assign]
            for qs in seen:
                # PostgreSQL compiles (JIT) a statement whose estimated cost passes
                # jit_above_cost (100,000 by default): tens of milliseconds each time.
                sql, values = qs.compile_string(engine_type="postgres")
                plan = await engine._run_in_new_connection(f"EXPLAIN (FORMAT JSON) {sql}", values)
                cost = json.loads(plan[0]["QUERY PLAN"])[0]["Plan"]["Total Cost"]
                print(f"   cost {cost:12,.0f}{'  JIT' if cost > 100_000 else ''}  "
                      f"{' '.join(sql.split())[:90]}")
            seen.clear()
            profiler = None
            if args.profile:
                from pyinstrument import Profiler
                profiler = Profiler(async_mode="enabled")
                profiler.start()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                await client.get(path, headers=headers)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(f"{path:<10} {cpu / args.requests * 1000:7.2f} ms CPU/request "
                  f"{wall / args.requests * 1000:7.2f} ms wall  {count['n']} queries  "
                  f"{len(answer.content):,} bytes", flush=True)
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False))
    await db.stop(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--generate", type=float, default=0.0)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--who", choices=("bench", "demo"), default="bench")
    parser.add_argument("--queries", type=int, default=0,
                        help="print each query of one request, cut to this many characters")
    parser.add_argument("--explain", action="store_true",
                        help="PostgreSQL: each query's estimated cost (JIT past 100,000)")
    parser.add_argument("--pages", nargs="*", default=list(PAGES))
    ns = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracker-staffpages-"))
    os.environ["DATABASE_URL"] = ns.database_url or f"sqlite:///{tmp / 'pages.db'}"
    os.environ.setdefault("TRACKER_ENV", "test")
    os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
    os.environ.setdefault("VAR_DIR", str(tmp))
    asyncio.run(main(ns))
