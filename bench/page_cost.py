"""CPU milliseconds and queries per request for each `make bench` endpoint, in-process.

Load on a shared machine skews wall-clock figures; CPU time per request (time.process_time
around N in-process requests through httpx.ASGITransport) and queries per request do not move
much with it. A bare Litestar hello endpoint is measured the same way, so the figures say what
the app costs over Litestar plus the in-process client.

Usage:
  .venv/bin/python bench/page_cost.py [--scale 0.01] [--requests 200] [--database-url URL]
                                      [--profile] [--queries]
                                      [--only family|api|actions|families|chair] [--cold]
With --database-url, the database must be empty and migrated or not (it is migrated here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def _cost(client: Any, url: str, headers: dict[str, str], n: int,
                forget: Any = None) -> tuple[float, float]:
    """CPU ms and wall ms per request over n requests (after a warm-up); `forget` is called
    before each request (to empty the app's caches: the cost of a first view)."""
    for _ in range(5):
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        if forget is not None:
            forget()
        await client.get(url, headers=headers)
    return ((time.process_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000)


async def main(args: argparse.Namespace) -> None:
    import httpx
    from litestar import Litestar, get
    from piccolo.engine import engine_finder

    from bench.generate import generate
    from bench.web_child import endpoints, generated_actors
    from tracker import db
    from tracker.app import create_app
    from tracker.cli_support import run_migrations
    from tracker.demo import seed_demo
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    with contextlib.redirect_stdout(io.StringIO()):
        assert await run_migrations()
    engine: Any = engine_finder()
    await db.start(engine, get_settings())
    await seed_demo(now=datetime.now(UTC) - timedelta(minutes=5),
                    policy=PlanPolicy.from_settings(get_settings()))
    made = await generate(os.environ["DATABASE_URL"], args.scale)
    made = {**made, "sizes": dataclasses.asdict(made["sizes"])}  # as bench/web.py hands it on
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's lines, not the app's

    @get("/hello", sync_to_thread=False)
    def hello() -> str:
        return "hello"

    base = "http://testserver.local"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=Litestar([hello])),
                                 base_url=base) as bare:
        bare_cpu, _ = await _cost(bare, base + "/hello", {}, args.requests)
    print(f"bare Litestar hello: {bare_cpu:.3f} ms CPU a request (in-process client included)")

    app = create_app(get_settings(), scheduler=False)
    logging.getLogger("tracker.access").setLevel(logging.WARNING)  # a line a request
    cls = type(engine)
    count = {"n": 0}
    timed: list[tuple[float, str]] = []
    original = cls.run_querystring

    async def counted(self: Any, qs: Any, in_pool: bool = False) -> Any:
        count["n"] += 1
        started = time.perf_counter()
        try:
            return await original(self, qs, in_pool=in_pool)
        finally:
            timed.append(((time.perf_counter() - started) * 1000, str(qs)))

    wanted = {"family": "family page", "api": "plan API", "actions": "/actions",
              "families": "/families", "chair": "/chair"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client:
        found = await endpoints(client, base, generated_actors(made))
        for name, (path, headers) in found.items():
            if name not in wanted.values() or (args.only and wanted[args.only] != name):
                continue
            client.cookies.clear()
            cls.run_querystring = counted  # type: ignore[method-assign]
            count["n"] = 0
            try:
                for _ in range(3 if args.queries else 1):  # the last of three: warm caches
                    timed.clear()
                    count["n"] = 0
                    answer = await client.get(base + path, headers=headers)
            finally:
                cls.run_querystring = original  # type: ignore[method-assign]
            assert answer.status_code == 200
            if args.queries:
                for ms, sql in timed:
                    print(f"  {ms:7.2f} ms  {' '.join(sql.split())[:160]}")
            forget = None
            if args.cold:
                def forget() -> None:
                    for name in ("family_pages", "plan_views"):
                        app.state.pop(name, None)
            cpu, wall = await _cost(client, base + path, headers, args.requests, forget)
            print(f"{name:<12} {path:<22} {cpu:7.3f} ms CPU, {wall:7.3f} ms wall a request, "
                  f"{count['n']} queries, {len(answer.content)} bytes")
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled", interval=0.0005)
                profiler.start()
                for _ in range(args.requests):
                    await client.get(base + path, headers=headers)
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False))
    await db.stop(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", action="store_true", help="pyinstrument (pip install it)")
    parser.add_argument("--only", choices=["family", "api", "actions", "families", "chair"],
                        default="")
    parser.add_argument("--queries", action="store_true",
                        help="print each query of one (warm) request with its wall time")
    parser.add_argument("--cold", action="store_true",
                        help="empty the app's caches before each request (a first view's cost)")
    ns = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracker-page-cost-"))
    os.environ["DATABASE_URL"] = ns.database_url or f"sqlite:///{tmp / 'cost.db'}"
    os.environ.setdefault("TRACKER_ENV", "test")
    os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
    os.environ.setdefault("VAR_DIR", str(tmp))
    asyncio.run(main(ns))
