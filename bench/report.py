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

from bench.load import TIMEOUT_S

START, END = "<!-- web-bench:start -->", "<!-- web-bench:end -->"
# Ratio of the bare endpoint's throughput at 16 clients (issue 12).
RATIO_TARGETS = {"plan API": 0.05, "family page": 0.03, "/actions": 0.02, "/families": 0.02}
P95_TARGETS = {"family page": 50.0, "/chair": 150.0}
DISPATCH_TARGETS = {"PostgreSQL": 6000.0, "SQLite": 3000.0}
DISPATCH_ROWS = 1000  # texts in the dispatcher figure (bench/notify_speed.py's default too)


BARE = ("bare Litestar", "bare Litestar (again)")
LOAD_WARNING = 1.0


def machine(tool: str, load_start: float, load_end: float, seconds: float) -> str:
    """CPU, memory, load at the start and the end, versions: what the figures were measured on."""
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
    pg = ""
    try:
        pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
                            capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = ""
    line = (f"{cpu}, {os.cpu_count()} CPUs{mem}; load average {load_start:.2f} at the start and "
            f"{load_end:.2f} at the end; {platform.system()} {platform.release()}; Python "
            f"{platform.python_version()}; SQLite {sqlite3.sqlite_version}; PostgreSQL "
            f"{pg or 'version unknown'}; load by {tool}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
            f"the run took {seconds / 60:.1f} minutes")
    if load_start > LOAD_WARNING:
        line += (f".\n\n**Warning: load average {load_start:.2f} at the start (above {LOAD_WARNING}):"
                 " other work shared the CPUs, so these figures are not comparable with a quiet "
                 "machine's. The in-process CPU milliseconds and the queries per request are the "
                 "figures load affects least.**")
    return line


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _bare(result: dict[str, Any], clients: int) -> float | None:
    """The bare endpoint's requests/s at these clients: the mean of its runs before and after."""
    runs = [r["rps"] for r in result.get("load", [])
            if r["endpoint"] in BARE and r["clients"] == clients and not r.get("problem")]
    return sum(runs) / len(runs) if runs else None


def _rows(result: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["endpoint"], r["clients"]): r for r in result.get("load", [])}


def _load_table(result: dict[str, Any]) -> list[str]:
    lines = ["| endpoint | clients | requests/s | p50 ms | p95 ms | p99 ms | ratio to bare | "
             "requests (run) | errors | timeouts |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result.get("load", []):
        count = f"{r['requests']:,} ({r['seconds']:.0f} s){' rough' if r.get('rough') else ''}"
        if r.get("problem"):
            lines.append(f"| {r['endpoint']} | {r['clients']} | not measured: {r['problem']} | – | – | – | "
                         f"– | {count} | {r['errors']} | {r['timeouts']} |")
            continue
        bare = _bare(result, r["clients"])
        ratio = f"{r['rps'] / bare:.4f}" if bare else "– (bare not measured)"
        lines.append(f"| {r['endpoint']} | {r['clients']} | {r['rps']:,.1f} | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | {r['p99']:.1f} | {ratio} | {count} | {r['errors']} | "
                     f"{r['timeouts']} |")
    return lines


def _measured(value: Any) -> bool:
    """A count (or "N built, M kept"), not a missing one or "answered 500"."""
    return isinstance(value, int) or (isinstance(value, str) and value.endswith(" kept"))


def _same(demo: dict[str, Any], full: dict[str, Any], name: str) -> str:
    a, b = demo.get(name), full.get(name)
    if not _measured(a) or not _measured(b):
        return "not measured"
    return "same" if a == b else f"DIFFER ({a} / {b})"


def _endpoint_table(result: dict[str, Any]) -> list[str]:
    demo, full = result.get("queries_demo", {}), result.get("queries_full", {})
    inproc = result.get("in_process", {})
    lines = ["| endpoint | queries at demo size (built afresh, kept) | at full size | demo and full | CPU ms a request "
             "(in-process) | wall ms a request | CPU ms built afresh (first view after a change) "
             "| profile |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in dict.fromkeys([*demo, *full, *inproc]):
        row = inproc.get(name, {})
        cpu = f"{row['cpu_ms']:.1f}" if row else "–"
        wall = f"{row['wall_ms']:.1f}" if row else "–"
        built = f"{row['built_cpu_ms']:.1f}" if row.get("built_cpu_ms") is not None else "–"
        if row and row.get("statuses") != [200]:
            cpu += f" (answered {row.get('statuses')})"
        profile = f"[{Path(row['profile']).name}](profiles/{Path(row['profile']).name})" \
            if row.get("profile") else "–"
        lines.append(f"| {name} | {demo.get(name, '–')} | {full.get(name, '–')} | {_same(demo, full, name)} | "
                     f"{cpu} | {wall} | {built} | {profile} |")
    return lines


def _profile_note(result: dict[str, Any], name: str) -> str:
    row = result.get("in_process", {}).get(name, {})
    if row.get("profile"):
        return f"; where the time goes: [{Path(row['profile']).name}](profiles/{Path(row['profile']).name})"
    return ""


def _targets(result: dict[str, Any]) -> list[str]:
    label = result["label"]
    rows = _rows(result)
    bare16 = _bare(result, 16)
    out = []
    for name, target in RATIO_TARGETS.items():
        r = rows.get((name, 16))
        head = f"- {label}: {name} at 16 clients, ratio to bare (target ≥ {target})"
        if r is None:
            out.append(f"{head}: not measured (no run at 16 clients)")
        elif r.get("problem"):
            out.append(f"{head}: not measured ({r['problem']}){_profile_note(result, name)}")
        elif not bare16:
            out.append(f"{head}: not measured (the bare endpoint's runs failed)")
        else:
            ratio = r["rps"] / bare16
            ok = ratio >= target
            out.append(f"{head}: {ratio:.4f} ({r['rps']:,.1f} / {bare16:,.0f} requests/s): {_verdict(ok)}"
                       + ("" if ok else _profile_note(result, name)))
    for name, p95_target in P95_TARGETS.items():
        r = rows.get((name, 16))
        head = f"- {label}: {name} p95 at 16 clients (target ≤ {p95_target:.0f} ms)"
        if r is None:
            out.append(f"{head}: not measured (no run at 16 clients)")
        elif r.get("problem"):
            out.append(f"{head}: not measured ({r['problem']}){_profile_note(result, name)}")
        else:
            ok = r["p95"] <= p95_target
            rough = f", from only {r['requests']} requests" if r.get("rough") else ""
            out.append(f"{head}: {r['p95']:.1f} ms{rough}: {_verdict(ok)}"
                       + ("" if ok else _profile_note(result, name)))
    demo, full = result.get("queries_demo", {}), result.get("queries_full", {})
    names = list(dict.fromkeys([*demo, *full]))
    differ = [f"{n} ({demo.get(n)} at demo size, {full.get(n)} at full)" for n in names
              if _same(demo, full, n) != "same"]
    if differ:
        out.append(f"- {label}: queries per request the same at demo and full size: MISSED for "
                   + "; ".join(differ) + f" (the same for {len(names) - len(differ)} of {len(names)})")
    else:
        out.append(f"- {label}: queries per request the same at demo and full size: met for all "
                   f"{len(names)} endpoints")
    dispatch = result.get("dispatch", {})
    target = DISPATCH_TARGETS.get(label, 0)
    if not dispatch or dispatch.get("messages", 0) < dispatch.get("asked", 1):
        out.append(f"- {label}: dispatch (target ≥ {target:,.0f} a minute): not measured (sent "
                   f"{dispatch.get('messages', 0)} of {dispatch.get('asked', '?')} texts)")
    else:
        per_minute = dispatch["per_minute"]
        out.append(f"- {label}: dispatch {per_minute:,.0f} messages a minute (target ≥ {target:,.0f}): "
                   f"{_verdict(per_minute >= target)}")
    mat = result.get("materialise", {})
    if mat.get("error"):
        out.append(f"- {label}: materialising nudges (target < 60 s for 1,000,000 on PostgreSQL): not "
                   f"measured (failed over {mat['actions']:,} actions after {mat['seconds']:.1f} s: "
                   f"{mat['error'][:200]})")
    elif label == "PostgreSQL" and mat:
        per_million = mat["seconds"] / max(mat["actions"], 1) * 1_000_000
        scaled = "" if mat["actions"] >= 1_000_000 else f", {per_million:,.0f} s scaled to 1,000,000"
        out.append(f"- {label}: materialising nudges for {mat['actions']:,} actions took "
                   f"{mat['seconds']:.1f} s{scaled} (target < 60 s for 1,000,000): "
                   f"{_verdict(per_million < 60)}" + ("" if mat["actions"] >= 1_000_000 else " (extrapolated)"))
    return out


def render(results: list[dict[str, Any]], *, machine: str, scale: float) -> str:
    """The whole section, in Markdown."""
    lines = [START, "## Pages and API under load (`make bench`)", "", f"Machine: {machine}", "",
             f"Scale {scale} (PostgreSQL at scale 1: 50,000 families, 60,000 plans, 1,000,000 actions, "
             "5,000,000 progress updates, 5,000,000 outbox rows, 6,680,000 audit events; SQLite a tenth). "
             "Each load run lasts at least the given seconds and is lengthened (to 60 s at most) until 50 "
             "requests finish; "
             f"a run with any error or timeout (no answer in {TIMEOUT_S:.0f} s) is \"not measured\". "
             "The bare endpoint is loaded before and after the others; ratios use the mean of the two.",
             ""]
    for result in results:
        g = result.get("generated", {})
        lines += [f"### {result['label']}", "",
                  f"Data: {g.get('families', 0):,} families, {g.get('plans', 0):,} plans, "
                  f"{g.get('actions', 0):,} actions, {g.get('progress', 0):,} progress updates, "
                  f"{g.get('outbox', 0):,} outbox rows, {g.get('audit', 0):,} audit events, "
                  f"generated in {g.get('seconds', 0):.0f} s; "
                  f"{result.get('database', '')}.", ""]
        lines += _load_table(result)
        lines += [""] + _endpoint_table(result) + [""]
        d, m, e = result.get("dispatch", {}), result.get("materialise", {}), result.get("encoding", {})
        lines += [f"Dispatcher (consecutive ticks of one dispatcher, batch {d.get('batch', '?')}, "
                  f"{d.get('concurrency', '?')} sends at once, throttle off, loopback Twilio in its own "
                  f"process): {d.get('messages', 0):,} of {d.get('asked', 0):,} texts to "
                  f"{d.get('members', 0):,} family members (each with their family link) in "
                  f"{d.get('seconds', 0):.2f} s = {d.get('per_minute', 0):,.0f} a minute "
                  f"({d.get('seconds', 0) / max(d.get('messages', 0), 1) * 1000:.2f} ms each; the server "
                  f"received {d.get('twilio_got', 0):,}).",
                  (f"Materialising the nudge rules over {m.get('actions', 0):,} actions (first tick): FAILED "
                   f"after {m.get('seconds', 0):.1f} s: {str(m['error'])[:300]}." if m.get("error") else
                   f"Materialising the nudge rules over {m.get('actions', 0):,} actions (first tick): "
                   f"{m.get('seconds', 0):.1f} s = {m.get('seconds', 0) / max(m.get('actions', 0), 1) * 1e6:.0f} µs "
                   f"an action ({m.get('materialised', 0):,} new outbox rows)."),
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
