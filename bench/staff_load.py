"""Load on the staff pages (/actions, /families, /chair) against bare Litestar, back to back.

Usage (the database already generated, e.g. by bench/staff_pages.py --generate 1.0):
  DATABASE_URL=... .venv/bin/python bench/staff_load.py [--seconds 10] [--clients 16]

Serves the app (one uvicorn process, no scheduler) and bench/bare_app.py as `make bench` does,
signs in as the first generated professional (a lead) and the second (a chair), and loads each
page with wrk for `--seconds`, bare Litestar just before each page so each ratio is measured
within the same minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main(args: argparse.Namespace) -> None:
    import httpx

    from bench.generate import BENCH_PASSWORD
    from bench.load import measure
    from bench.web_child import free_port, serve, staff_cookies, stop
    from tracker import db
    from tracker.people.tables import StaffUser
    from tracker.settings import get_settings

    engine = db.configured_engine()
    await db.start(engine, get_settings())
    first = await StaffUser.select(StaffUser.id).where(
        StaffUser.email.like("bench%@bench.example")).order_by(StaffUser.id).first()
    await db.stop(engine)
    lead, chair = f"bench{first['id']}@bench.example", f"bench{first['id'] + 1}@bench.example"
    port, bare_port = free_port(), free_port()
    app_proc, bare_proc = serve(port, bare=False), serve(bare_port, bare=True)
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            cookies = {"lead": await staff_cookies(client, base, lead, BENCH_PASSWORD),
                       "chair": await staff_cookies(client, base, chair, BENCH_PASSWORD)}
        for path in args.pages:
            headers = {"Cookie": cookies["chair" if path == "/chair" else "lead"]}
            bare = await asyncio.to_thread(measure, f"http://127.0.0.1:{bare_port}/hello",
                                           args.clients, args.seconds, {})
            page = await asyncio.to_thread(measure, base + path, args.clients, args.seconds,
                                           headers)
            print(f"{path:<10} {page.rps:8.1f}/s  bare {bare.rps:8.1f}/s  ratio "
                  f"{page.rps / bare.rps:.4f}  p50 {page.p50:6.1f} ms  p95 {page.p95:6.1f} ms  "
                  f"errors {page.errors}  ({page.tool})", flush=True)
    finally:
        stop(app_proc)
        stop(bare_proc)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--pages", nargs="*", default=["/actions", "/families", "/chair"])
    ns = parser.parse_args()
    os.environ.setdefault("TRACKER_ENV", "test")
    os.environ.setdefault("PICCOLO_CONF", "tracker.piccolo_conf")
    asyncio.run(main(ns))
