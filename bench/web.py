"""`make bench`: the pages and the API under load, against a bare Litestar endpoint served the same way.

Usage:
  .venv/bin/python bench/web.py [--postgres URL] [--scale 1.0] [--seconds 10] [--no-sqlite]
                                [--reuse] [--profile]

For each database (SQLite in a file; PostgreSQL when one answers at --postgres, default
BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/postgres), each step in a process of
its own (bench/web_child.py; Piccolo binds one engine per process):
1. demo size: a fresh database with only the demo; queries per request;
2. build: migrate, seed the demo, fill England-sized data (bench/generate.py; `--scale`, a tenth
   on SQLite). With --reuse the built database is kept (PostgreSQL: a database named by the
   generator's version, the scale and a hash of the generator and the migrations; SQLite: a file
   under var/bench/ named the same way) and later runs copy it (CREATE DATABASE … TEMPLATE; SQLite's backup API)
   instead of generating again; the output says which it did;
3. measure, on the built data: queries per request at full size; CPU a request in-process (with
   --profile, a pyinstrument profile of each endpoint into docs/profiles/); `tracker serve
   --no-scheduler` (uvicorn) and a bare Litestar "hello" served the same way, each endpoint loaded
   with 1, 16 and 64 concurrent clients (wrk, or an async client where wrk is missing), runs
   lengthened until 50 requests finish (bench/load.py): throughput, p50/p95/p99, errors and
   timeouts, each as a ratio of the bare endpoint; the dispatcher's texts a minute to a loopback
   Twilio-speaking server, throttle off; materialising the nudge rules over every action.
Prints one table and writes it, with the machine's details, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.generate import GENERATOR_VERSION, Sizes  # noqa: E402
from bench.load import ensure_wrk  # noqa: E402

DEFAULT_PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEPT = ROOT / "var" / "bench"
PROFILES = ROOT / "docs" / "profiles"
TAGS = {"SQLite": "sqlite", "PostgreSQL": "pg"}


def reuse_key(scale: float, label: str) -> str:
    """What a kept database is valid for: the generator (its version and its modules' source),
    every migration, the scale and the database."""
    digest = hashlib.sha256(f"{GENERATOR_VERSION}:{scale}:{label}".encode())
    for path in [*sorted((ROOT / "bench").glob("generate*.py")),
                 *sorted(ROOT.glob("tracker/**/migrations/*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return (f"tracker_bench_{TAGS[label]}_g{GENERATOR_VERSION}_s{str(scale).replace('.', '_')}_"
            f"{digest.hexdigest()[:10]}")


# ---------------------------------------------------------------- PostgreSQL databases

async def _admin(admin_url: str) -> Any:
    import asyncpg

    return await asyncpg.connect(admin_url, timeout=5)


async def pg_reachable(admin_url: str) -> bool:
    try:
        conn = await _admin(admin_url)
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: that half is skipped, saying why
        print(f"PostgreSQL at {admin_url} is not reachable ({exc!r}): skipped", flush=True)
        return False
    await conn.close()
    return True


async def pg_exists(admin_url: str, name: str) -> bool:
    conn = await _admin(admin_url)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def pg_create(admin_url: str, name: str, template: str | None = None) -> str:
    """Create a database (a file copy of `template` when given); returns its URL."""
    conn = await _admin(admin_url)
    try:
        if template:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{admin_url.rpartition('/')[0]}/{name}"


async def pg_drop(admin_url: str, name: str) -> None:
    conn = await _admin(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_name(what: str) -> str:
    return f"tracker_bench_{what}_{uuid.uuid4().hex[:8]}"


async def _pg_database(admin_url: str) -> tuple[str, str] | None:
    """A fresh throwaway database (URL, name), or None when PostgreSQL does not answer
    (bench/notify_speed.py's helper)."""
    if not await pg_reachable(admin_url):
        return None
    name = run_name("notify")
    return await pg_create(admin_url, name), name


_drop = pg_drop


# ---------------------------------------------------------------- the phases

def child(phase: str, database_url: str, label: str, args: argparse.Namespace, out: Path,
          *extra: str) -> dict[str, Any]:
    """One phase of bench/web_child.py in its own process; its JSON figures."""
    env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_ENV": "test",
           "PICCOLO_CONF": "tracker.piccolo_conf", "BENCH_LABEL": label}
    subprocess.run([sys.executable, str(ROOT / "bench" / "web_child.py"), phase, "--scale", str(args.scale),
                    "--seconds", str(args.seconds), "--max-seconds", str(args.max_seconds),
                    "--clients", args.clients, "--out", str(out), *extra], env=env, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def demo_queries(url: str, label: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    print(f"{label}: queries per request at demo size", flush=True)
    result: dict[str, Any] = child("demo", url, label, args, tmp / f"{label}-demo.json")["queries_demo"]
    return result


def build(url: str, label: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    print(f"{label}: generating at scale {args.scale}", flush=True)
    return child("build", url, label, args, tmp / f"{label}-made.json")


def measure(url: str, label: str, args: argparse.Namespace, tmp: Path, made: dict[str, Any],
            demo: dict[str, Any], note: str) -> dict[str, Any]:
    built = tmp / f"{label}-built.json"
    built.write_text(json.dumps(made))
    extra = ["--built", str(built)]
    if args.profile:
        extra += ["--profile-dir", str(PROFILES)]
    result = child("measure", url, label, args, tmp / f"{label}-measured.json", *extra)
    generated = {**made["sizes"], "audit": Sizes(**made["sizes"]).audit, "seconds": made["seconds"]}
    return {**result, "queries_demo": demo, "generated": generated, "database": note}


async def sqlite_half(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    label = "SQLite"
    demo = demo_queries(f"sqlite:///{tmp / 'demo.db'}", label, args, tmp)
    run_file = tmp / "bench.db"
    if not args.reuse:
        return measure(f"sqlite:///{run_file}", label, args, tmp,
                       build(f"sqlite:///{run_file}", label, args, tmp), demo, "generated for this run")
    KEPT.mkdir(parents=True, exist_ok=True)
    key = reuse_key(args.scale, label)
    kept, meta = KEPT / f"{key}.db", KEPT / f"{key}.json"
    if kept.exists() and meta.exists():
        made = json.loads(meta.read_text())
        note = f"reused the kept database {kept.relative_to(ROOT)} (generation skipped)"
    else:
        for stale in KEPT.glob("tracker_bench_sqlite_*"):
            if kept_at(stale.stem, args.scale, label):
                stale.unlink()
        made = build(f"sqlite:///{kept}", label, args, tmp)
        meta.write_text(json.dumps(made))
        note = f"generated and kept as {kept.relative_to(ROOT)} for --reuse"
    print(f"{label}: {note}", flush=True)
    started = time.perf_counter()
    with sqlite3.connect(kept) as source, sqlite3.connect(run_file) as target:
        source.backup(target)
    print(f"{label}: copied for this run in {time.perf_counter() - started:.1f} s", flush=True)
    return measure(f"sqlite:///{run_file}", label, args, tmp, made, demo, note)


async def pg_half(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    label = "PostgreSQL"
    admin = args.postgres
    demo_name = run_name("demo")
    try:
        demo = demo_queries(await pg_create(admin, demo_name), label, args, tmp)
    finally:
        await pg_drop(admin, demo_name)
    name = run_name("run")
    try:
        if not args.reuse:
            url = await pg_create(admin, name)
            return measure(url, label, args, tmp, build(url, label, args, tmp), demo, "generated for this run")
        KEPT.mkdir(parents=True, exist_ok=True)
        key = reuse_key(args.scale, label)
        meta = KEPT / f"{key}.json"
        if await pg_exists(admin, key) and meta.exists():
            made = json.loads(meta.read_text())
            note = f"reused the kept database {key} (generation skipped)"
        else:
            for stale in await pg_kept(admin, args.scale):
                await pg_drop(admin, stale)
            made = build(await pg_create(admin, key), label, args, tmp)
            meta.write_text(json.dumps(made))
            note = f"generated and kept as database {key} for --reuse"
        print(f"{label}: {note}", flush=True)
        started = time.perf_counter()
        url = await pg_create(admin, name, template=key)
        print(f"{label}: copied for this run in {time.perf_counter() - started:.1f} s", flush=True)
        return measure(url, label, args, tmp, made, demo, note)
    finally:
        await pg_drop(admin, name)


async def pg_kept(admin_url: str, scale: float) -> list[str]:
    """Kept databases at this scale (any generator or migrations: a new key replaces them)."""
    conn = await _admin(admin_url)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'tracker_bench_pg_%'")
    finally:
        await conn.close()
    return [row["datname"] for row in rows if kept_at(row["datname"], scale, "PostgreSQL")]


def kept_at(name: str, scale: float, label: str) -> bool:
    """Whether `name` is a kept database (or file stem) of this database made at this scale."""
    pattern = rf"tracker_bench_{TAGS[label]}_g\d+_s{str(scale).replace('.', '_')}_[0-9a-f]{{10}}"
    return re.fullmatch(pattern, name) is not None


async def main(args: argparse.Namespace) -> None:
    load_start = os.getloadavg()[0]
    if load_start > 1.0:
        print(f"WARNING: load average {load_start:.1f} at the start (above 1.0): other work shares "
              "the CPUs, so these figures are not comparable with a quiet machine's", flush=True)
    tool = ensure_wrk() or "an async httpx client (wrk is not installed)"
    tmp = Path(tempfile.mkdtemp(prefix="tracker-bench-web-"))
    if args.profile:
        PROFILES.mkdir(parents=True, exist_ok=True)
        for old in PROFILES.glob("*.txt"):
            old.unlink()
    started = time.perf_counter()
    results = []
    if not args.no_sqlite:
        results.append(await sqlite_half(args, tmp))
    if args.postgres and await pg_reachable(args.postgres):
        results.append(await pg_half(args, tmp))
    took = time.perf_counter() - started
    text = report.render(results, machine=report.machine(tool, load_start, os.getloadavg()[0], took),
                         scale=args.scale)
    print(text)
    report.write_into(ROOT / "docs" / "benchmarks.md", text)
    print(f"written into docs/benchmarks.md ({platform.node()})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=DEFAULT_PG, help="an admin URL; '' skips PostgreSQL")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load run")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="a run is lengthened up to this until 50 requests finish")
    parser.add_argument("--clients", default="1,16,64", help="concurrent clients to try")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the generated databases and use them again when still valid")
    parser.add_argument("--profile", action="store_true",
                        help="write a pyinstrument profile of each endpoint into docs/profiles/")
    asyncio.run(main(parser.parse_args()))
