"""The table `make bench` prints and writes into docs/benchmarks.md, with each figure against its target."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START, END = "<!-- web-bench:start -->", "<!-- web-bench:end -->"
# Ratio of the bare endpoint's throughput at 16 clients (issue 12).
RATIO_TARGETS = {"plan API": 0.05, "family page": 0.03, "/actions": 0.02, "/families": 0.02}
P95_TARGETS = {"family page": 50.0, "/chair": 150.0}
DISPATCH_TARGETS = {"PostgreSQL": 6000.0, "SQLite": 3000.0}


def machine(tool: str) -> str:
    """CPU, memory, load, versions: what the figures were measured on."""
    cpu = "unknown CPU"
    with_path = Path("/proc/cpuinfo")
    if with_path.exists():
        found = re.search(r"model name\s*:\s*(.+)", with_path.read_text())
        cpu = found.group(1).strip() if found else cpu
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))  # type: ignore[union-attr]
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    pg = ""
    try:
        pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
                            capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = ""
    return (f"{cpu}, {os.cpu_count()} CPUs{mem}; load average {load:.1f} at the start; "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
            f"SQLite {sqlite3.sqlite_version}; PostgreSQL {pg or 'version unknown'}; load by {tool}; "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _load_table(result: dict[str, Any]) -> list[str]:
    rows = result.get("load", [])
    bare = {r["clients"]: r["rps"] for r in rows if r["endpoint"] == "bare Litestar"}
    lines = ["| endpoint | clients | requests/s | p50 ms | p95 ms | p99 ms | ratio to bare | errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        ratio = r["rps"] / bare[r["clients"]] if bare.get(r["clients"]) else 0.0
        lines.append(f"| {r['endpoint']} | {r['clients']} | {r['rps']:,.0f} | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | {r['p99']:.1f} | {ratio:.4f} | {r['errors']} |")
    return lines


def _targets(result: dict[str, Any]) -> list[str]:
    label = result["label"]
    rows = {(r["endpoint"], r["clients"]): r for r in result.get("load", [])}
    bare16 = rows.get(("bare Litestar", 16))
    out = []
    for name, target in RATIO_TARGETS.items():
        r = rows.get((name, 16))
        if r and bare16:
            ratio = r["rps"] / bare16["rps"]
            out.append(f"- {label}: {name} at 16 clients is {ratio:.4f} of bare (target ≥ {target}): "
                       f"{_verdict(ratio >= target)}")
    for name, target in P95_TARGETS.items():
        r = rows.get((name, 16))
        if r:
            out.append(f"- {label}: {name} p95 at 16 clients {r['p95']:.1f} ms (target ≤ {target:.0f} ms): "
                       f"{_verdict(r['p95'] <= target)}")
    demo, full = result.get("queries_demo", {}), result.get("queries_full", {})
    same = all(demo.get(k) == full.get(k) for k in demo if k in full)
    out.append(f"- {label}: queries per request the same at demo and full size: {_verdict(same)}")
    dispatch = result.get("dispatch", {})
    target = DISPATCH_TARGETS.get(label, 0)
    per_minute = dispatch.get("per_minute", 0.0)
    out.append(f"- {label}: dispatch {per_minute:,.0f} messages a minute (target ≥ {target:,.0f}): "
               f"{_verdict(per_minute >= target)}")
    mat = result.get("materialise", {})
    if label == "PostgreSQL" and mat:
        out.append(f"- {label}: materialising nudges for {mat['actions']:,} actions took "
                   f"{mat['seconds']:.1f} s (target < 60 s for 1,000,000): {_verdict(mat['seconds'] < 60)}")
    return out


def render(results: list[dict[str, Any]], *, machine: str, scale: float) -> str:
    """The whole section, in Markdown."""
    lines = [START, "## Pages and API under load (`make bench`)", "", f"Machine: {machine}.", "",
             f"Scale {scale} (PostgreSQL at scale 1: 50,000 families, 60,000 plans, 1,000,000 actions, "
             "5,000,000 progress updates, 5,000,000 outbox rows; SQLite a tenth).", ""]
    for result in results:
        g = result.get("generated", {})
        lines += [f"### {result['label']}", "",
                  f"Generated {g.get('families', 0):,} families, {g.get('plans', 0):,} plans, "
                  f"{g.get('actions', 0):,} actions, {g.get('progress', 0):,} progress updates, "
                  f"{g.get('outbox', 0):,} outbox rows in {g.get('seconds', 0):.0f} s.", ""]
        lines += _load_table(result)
        demo, full = result.get("queries_demo", {}), result.get("queries_full", {})
        lines += ["", "| queries per request | " + " | ".join(demo) + " |",
                  "| --- | " + " | ".join("---" for _ in demo) + " |",
                  "| demo size | " + " | ".join(str(demo[k]) for k in demo) + " |",
                  "| full size | " + " | ".join(str(full.get(k, "-")) for k in demo) + " |", ""]
        d, m, e = result.get("dispatch", {}), result.get("materialise", {}), result.get("encoding", {})
        lines += [f"Dispatcher, one tick, throttle off, loopback Twilio: {d.get('messages', 0):,} texts "
                  f"(each with a fresh family link) in {d.get('seconds', 0):.2f} s = "
                  f"{d.get('per_minute', 0):,.0f} a minute.",
                  f"Materialising the nudge rules over {m.get('actions', 0):,} actions: "
                  f"{m.get('seconds', 0):.1f} s ({m.get('materialised', 0):,} new outbox rows).",
                  f"Encoding the demo plan ({e.get('bytes', 0):,} bytes): msgspec {e.get('msgspec_us', 0):.1f} µs, "
                  f"json.dumps {e.get('json_us', 0):.1f} µs.", ""]
    lines += ["### Against the targets", ""]
    for result in results:
        lines += _targets(result)
    lines += ["", END]
    return "\n".join(lines)


def write_into(path: Path, section: str) -> None:
    """Replace the marked section of docs/benchmarks.md (or append it)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
