"""Latency of the main API reads and writes on the demo data, in-process (no network).

Usage: .venv/bin/python bench/api_latency.py [--requests 300]
Uses a fresh SQLite file unless BENCH_DATABASE_URL names a PostgreSQL database to use.
Prints p50/p95/max milliseconds and requests per second for each route.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_tmp = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{_tmp / 'bench.db'}")
os.environ["VAR_DIR"] = str(_tmp)
os.environ["TRACKER_ENV"] = "test"


async def main(requests: int) -> None:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from piccolo.engine import engine_finder

    from tracker import db
    from tracker.app import create_app
    from tracker.audit import Actor
    from tracker.cli_support import run_migrations
    from tracker.clock import SystemClock
    from tracker.demo import seed_demo
    from tracker.people.accounts import issue_api_token
    from tracker.people.tables import StaffUser
    from tracker.plans.tables import Action, Plan
    from tracker.settings import get_settings

    await run_migrations()
    engine = engine_finder()
    await db.start(engine, get_settings())
    now = SystemClock().now()
    await seed_demo(now=now)
    sam = await StaffUser.select(StaffUser.id).where(StaffUser.email == "sam.okafor@demo.example").first()
    token = await issue_api_token(user_id=sam["id"], actor=Actor.system("bench"), now=now)
    plan = await Plan.select(Plan.id).where(Plan.status == "active").first()
    action = await Action.select(Action.id).where(Action.owner_user == sam["id"]).first()
    app = create_app(get_settings())
    headers = {"Authorization": f"Bearer {token}"}
    routes = [
        ("GET /api/v1/plans/{id}", "get", f"/api/v1/plans/{plan['id']}", None),
        ("GET /api/v1/plans/{id}/progress", "get", f"/api/v1/plans/{plan['id']}/progress", None),
        ("GET /api/v1/families", "get", "/api/v1/families", None),
        ("POST /api/v1/actions/{id}/updates", "post", f"/api/v1/actions/{action['id']}/updates",
         {"note": "Spoke to Jess; the plan for this week is agreed."}),
        ("POST /api/v1/language/check", "post", "/api/v1/language/check",
         {"text": "I am worried your lack of engagement means the children will continue to be at risk"}),
    ]
    print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}; {requests} requests per route")
    print(f"{'route':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>8}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for name, method, url, body in routes:
            timings = []
            for _ in range(10):
                await client.request(method, url, json=body, headers=headers)
            start = time.perf_counter()
            for _ in range(requests):
                t0 = time.perf_counter()
                response = await client.request(method, url, json=body, headers=headers)
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code < 300, response.text
            total = time.perf_counter() - start
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"{name:<36} {statistics.median(timings):8.2f} {p95:8.2f} {timings[-1]:8.2f} "
                  f"{requests / total:8.0f}")
    await db.stop(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    asyncio.run(main(parser.parse_args().requests))
