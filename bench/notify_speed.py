"""Only the nudge parts of `make bench`: the dispatcher's texts a minute and materialising.

Usage:
  .venv/bin/python bench/notify_speed.py [--postgres URL] [--rows 1000] [--scale 0.02] [--no-sqlite]

For each database (a throwaway SQLite file; a throwaway PostgreSQL database), in its own process:
migrate, seed the demo, one dispatcher tick over `--rows` texts to the loopback Twilio-speaking
server (throttle off, each with a family link), then generate `--scale` of England-sized data
(bench/generate.py) and time one materialise step over every action, a second (steady) one,
and the weekly digest's Monday tick (which reads every open action) twice. Prints per-message
and per-action figures so a small run on a shared machine extrapolates honestly.

  .venv/bin/python bench/notify_speed.py --materialise-on URL

times only the four materialise ticks on a database already generated (say at `--scale 1` by
bench/generate.py, which takes a quarter of an hour on PostgreSQL): the issue's full size.
The ticks add outbox rows to that database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import DISPATCH_ROWS  # noqa: E402 - the same figure as make bench's


async def child(args: argparse.Namespace) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from piccolo.engine import engine_finder

    from bench.generate import generate
    from bench.web_child import materialise_time
    from tracker import db
    from tracker.cli_support import run_migrations
    from tracker.demo import seed_demo
    from tracker.plans.common import PlanPolicy
    from tracker.settings import get_settings

    with contextlib.redirect_stdout(io.StringIO()):
        assert await run_migrations()
    engine = engine_finder()
    await db.start(engine, get_settings())
    out: dict[str, Any] = {"label": os.environ.get("BENCH_LABEL", "db")}
    if not args.materialise_on:
        await seed_demo(now=datetime.now(UTC) - timedelta(minutes=5),
                        policy=PlanPolicy.from_settings(get_settings()))
        await dispatch_speed(args.rows, out)
    if args.scale > 0 or args.materialise_on:
        if not args.materialise_on:
            made = await generate(os.environ["DATABASE_URL"], args.scale)
            out["generated_seconds"] = made["seconds"]
        m = await materialise_time()
        m["us_per_action"] = m["seconds"] / max(m["actions"], 1) * 1e6
        out["materialise"] = m
        print(f"  {out['label']} materialise: {m}", flush=True)
        # A second tick over the same facts: idempotent, and what a steady tick costs.
        again = await materialise_time()
        again["us_per_action"] = again["seconds"] / max(again["actions"], 1) * 1e6
        out["materialise_again"] = again
        print(f"  {out['label']} materialise again: {again}", flush=True)
        # The weekly digest's tick (the Monday before, 08:30 in London) reads every open
        # action, not only those due near today: the slowest tick of the week, then its next.
        for key in ("materialise_digest", "materialise_digest_again"):
            out[key] = await materialise_at(DIGEST_MONDAY)
            print(f"  {out['label']} {key}: {out[key]}", flush=True)
    await db.stop(engine)
    return out


async def dispatch_speed(rows: int, out: dict[str, Any]) -> None:
    """One tick over `rows` texts with a family link each, then with a ready-made link."""
    from bench.web_child import dispatch_rate

    out["dispatch"] = await dispatch_rate(rows)
    d = out["dispatch"]
    d["ms_per_message"] = d["seconds"] / max(d["messages"], 1) * 1000
    print(f"  {out['label']} dispatch: {d}", flush=True)
    # The send path alone: the same texts with a ready-made link (the rest of the path).
    import tracker.bootstrap as bootstrap

    real_build = bootstrap.build_dispatcher

    async def ready_link(**_: Any) -> str:
        return "http://127.0.0.1:8000/f/bench-link"

    bootstrap.build_dispatcher = lambda *a, **k: real_build(*a, link_issuer=ready_link, **k)
    try:
        out["dispatch_no_link"] = await dispatch_rate(rows)
    finally:
        bootstrap.build_dispatcher = real_build
    n = out["dispatch_no_link"]
    n["ms_per_message"] = n["seconds"] / max(n["messages"], 1) * 1000
    print(f"  {out['label']} dispatch, ready-made link: {n}", flush=True)


DIGEST_MONDAY = "2026-11-23T08:30:00+00:00"


async def materialise_at(instant: str) -> dict[str, Any]:
    """One materialise step at `instant`: wall and this process's CPU seconds, per action too."""
    import time
    from datetime import datetime

    from tracker.bootstrap import build_dispatcher
    from tracker.clock import FixedClock
    from tracker.notify.providers import providers_for
    from tracker.notify.sending import TickReport
    from tracker.plans.tables import Action
    from tracker.settings import get_settings

    now = datetime.fromisoformat(instant)
    dispatcher = build_dispatcher(get_settings(), FixedClock(now), providers_for(get_settings()))
    actions = await Action.count()
    report = TickReport(now=now)
    started, cpu = time.perf_counter(), time.process_time()
    await dispatcher.materialise(now, report)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    await dispatcher.providers.close()
    return {"actions": actions, "seconds": took, "cpu_seconds": cpu,
            "materialised": report.materialised, "cancelled": report.cancelled,
            "skipped": report.skipped, "us_per_action": took / max(actions, 1) * 1e6}


def run_child(url: str, label: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out = tmp / f"{label}.json"
    env = {**os.environ, "DATABASE_URL": url, "TRACKER_ENV": "test",
           "PICCOLO_CONF": "tracker.piccolo_conf", "BENCH_LABEL": label}
    extra = ["--materialise-on", url] if args.materialise_on else []
    subprocess.run([sys.executable, __file__, "--child", "--rows", str(args.rows),
                    "--scale", str(args.scale), "--out", str(out), *extra], env=env, check=True,
                   cwd=ROOT)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


async def main(args: argparse.Namespace) -> None:
    from bench.web import _drop, _pg_database

    tmp = Path(tempfile.mkdtemp(prefix="tracker-bench-notify-"))
    results = []
    if args.materialise_on:
        label = "SQLite" if args.materialise_on.startswith("sqlite") else "PostgreSQL"
        results.append(run_child(args.materialise_on, label, args, tmp))
    elif not args.no_sqlite:
        results.append(run_child(f"sqlite:///{tmp / 'bench.db'}", "SQLite", args, tmp))
    made = await _pg_database(args.postgres) if args.postgres and not args.materialise_on else None
    if made:
        url, name = made
        try:
            results.append(run_child(url, "PostgreSQL", args, tmp))
        finally:
            await _drop(args.postgres, name)
    print(f"load average {os.getloadavg()[0]:.1f}")
    for r in results:
        for key in ("dispatch", "dispatch_no_link"):
            if key not in r:
                continue
            d = r[key]
            print(f"{r['label']}: {key} {d['messages']} texts in {d['seconds']:.2f} s = "
                  f"{d['per_minute']:,.0f} a minute ({d['ms_per_message']:.2f} ms each)")
        for key in ("materialise", "materialise_again", "materialise_digest",
                    "materialise_digest_again"):
            if key in r:
                m = r[key]
                print(f"{r['label']}: {key} over {m['actions']:,} actions {m['seconds']:.2f} s "
                      f"({m['us_per_action']:.1f} µs an action, {m['materialised']} new"
                      + (f", {m['cpu_seconds']:.2f} s of this process's CPU)" if "cpu_seconds" in m
                         else ")"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rows", type=int, default=DISPATCH_ROWS, help="as make bench's figure")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out")
    parser.add_argument("--materialise-on", metavar="URL",
                        help="only the materialise ticks, on this already generated database")
    ns = parser.parse_args()
    if ns.child:
        Path(ns.out).write_text(json.dumps(asyncio.run(child(ns)), default=str, indent=1))
    else:
        asyncio.run(main(ns))
