"""`make bench`: the pages and the API under load, against a bare Litestar endpoint served the same way.

Usage:
  .venv/bin/python bench/web.py [--postgres URL] [--scale 1.0] [--seconds 5] [--no-sqlite]

For each database (a throwaway SQLite file; a throwaway PostgreSQL database when one answers at
--postgres, default BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/postgres):
1. migrate and seed the demo; count the queries each page runs (demo size);
2. fill England-sized data with bench/generate.py (`--scale`; a tenth on SQLite); count again;
3. serve the app with `tracker serve --no-scheduler` (uvicorn) and a bare Litestar "hello" the
   same way, and load each endpoint with 1, 16 and 64 concurrent clients (wrk, or an async
   client where wrk is missing): throughput, p50/p95/p99, each as a ratio of the bare endpoint;
4. the dispatcher's messages a minute to a loopback Twilio-speaking server, throttle off;
5. materialising the nudge rules over every action in the database.
Prints one table and writes it, with the machine's details, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.load import ensure_wrk  # noqa: E402

DEFAULT_PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg_database(admin_url: str) -> tuple[str, str] | None:
    import asyncpg

    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: that half is skipped, saying why
        print(f"PostgreSQL at {admin_url} is not reachable ({exc!r}): skipped", flush=True)
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{admin_url.rpartition('/')[0]}/{name}", name


async def _drop(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _child(database_url: str, label: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Run one database's half in its own process (Piccolo binds one engine per process)."""
    env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_ENV": "test",
           "PICCOLO_CONF": "tracker.piccolo_conf", "BENCH_LABEL": label}
    subprocess.run([sys.executable, str(ROOT / "bench" / "web_child.py"), "--scale", str(args.scale),
                    "--seconds", str(args.seconds), "--out", str(out),
                    "--clients", args.clients], env=env, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


async def main(args: argparse.Namespace) -> None:
    tool = ensure_wrk() or "an async httpx client (wrk is not installed)"
    tmp = Path(tempfile.mkdtemp(prefix="tracker-bench-web-"))
    results = []
    if not args.no_sqlite:
        results.append(_child(f"sqlite:///{tmp / 'bench.db'}", "SQLite", args, tmp / "sqlite.json"))
    made = await _pg_database(args.postgres) if args.postgres else None
    if made:
        url, name = made
        try:
            results.append(_child(url, "PostgreSQL", args, tmp / "postgres.json"))
        finally:
            await _drop(args.postgres, name)
    text = report.render(results, machine=report.machine(tool), scale=args.scale)
    print(text)
    report.write_into(ROOT / "docs" / "benchmarks.md", text)
    print(f"written into docs/benchmarks.md ({platform.node()})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=DEFAULT_PG, help="an admin URL; '' skips PostgreSQL")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load run")
    parser.add_argument("--clients", default="1,16,64", help="concurrent clients to try")
    parser.add_argument("--no-sqlite", action="store_true")
    asyncio.run(main(parser.parse_args()))
