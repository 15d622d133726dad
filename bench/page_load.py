"""The family page and the plan API under wrk, each back to back with bare Litestar.

A quick check of the issue-12 ratios for these two endpoints without the whole `make bench`:
migrate and fill a database (`--scale`), serve the app and the bare endpoint as bench/web.py
does (one uvicorn process each), then per endpoint: bare, the endpoint, bare again, and the
ratio to the mean of the two bare runs (so a load change on the machine shows as a gap).

Usage:
  .venv/bin/python bench/page_load.py [--scale 0.01] [--seconds 5] [--clients 16]
                                      [--database-url URL] [--skip-generate]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main(args: argparse.Namespace) -> None:
    import httpx
    from piccolo.engine import engine_finder

    from bench.generate import generate
    from bench.load import measure
    from bench.web_child import endpoints, free_port, generated_actors, serve, stop
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
    made = await generate(os.environ["DATABASE_URL"], args.scale)
    who = generated_actors(made)
    port, bare_port = free_port(), free_port()
    app_proc, bare_proc = serve(port, bare=False), serve(bare_port, bare=True)
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            found = await endpoints(client, base, who)
        bare_url = f"http://127.0.0.1:{bare_port}/hello"
        for name in ("family page", "plan API"):
            path, headers = found[name]
            before = await asyncio.to_thread(measure, bare_url, args.clients, args.seconds, {})
            mine = await asyncio.to_thread(measure, base + path, args.clients, args.seconds,
                                           headers)
            after = await asyncio.to_thread(measure, bare_url, args.clients, args.seconds, {})
            bare = (before.rps + after.rps) / 2
            print(f"{name:<12} c={args.clients}: {mine.rps:8.1f}/s p50 {mine.p50:6.1f} ms "
                  f"p95 {mine.p95:6.1f} ms errors {mine.errors}; bare {before.rps:8.1f} / "
                  f"{after.rps:8.1f}/s; ratio {mine.rps / bare:.4f}", flush=True)
    finally:
        stop(app_proc)
        stop(bare_proc)
    await db.stop(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--database-url", default="")
    ns = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracker-page-load-"))
    os.environ["DATABASE_URL"] = ns.database_url or f"sqlite:///{tmp / 'load.db'}"
    os.environ.setdefault("TRACKER_ENV", "test")
    os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
    os.environ.setdefault("VAR_DIR", str(tmp))
    asyncio.run(main(ns))
