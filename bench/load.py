"""Load generation for `bench/web.py`: wrk where installed, else an async httpx client.

Both open `clients` connections over loopback for `seconds` and report requests per second and
the 50th, 95th and 99th percentile latency in milliseconds.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.2f p50=%.3f p95=%.3f p99=%.3f errors=%d non2xx=%d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


@dataclass(frozen=True)
class Result:
    """One load run."""

    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    tool: str


def wrk_path() -> str | None:
    """wrk, if installed (Debian: apt-get install wrk)."""
    return shutil.which("wrk")


def ensure_wrk() -> str | None:
    """wrk, installing Debian's package when we are root and it is missing."""
    found = wrk_path()
    if found is None and shutil.which("apt-get") and Path("/proc/self").exists():
        import os

        if os.geteuid() == 0:
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                           capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            found = wrk_path()
    return found


def run_wrk(url: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """One wrk run; its Lua `done` hook prints the percentiles we report."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    threads = 1 if clients < 4 else 2
    args = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", script.name]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    found = re.search(r"BENCH rps=([\d.]+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) errors=(\d+) "
                      r"non2xx=(\d+)", out)
    if not found:
        raise RuntimeError(f"wrk said: {out}")
    rps, p50, p95, p99 = (float(found.group(i)) for i in range(1, 5))
    return Result(rps, p50, p95, p99, int(found.group(5)) + int(found.group(6)), "wrk")


async def run_async(url: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """The fallback: `clients` keep-alive connections from one asyncio process."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                answer = await client.get(url, headers=headers)
                ok = answer.status_code < 300
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(clients)))
        took = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return Result(len(latencies) / took, q[49], q[94], q[98], errors, "httpx")


def measure(url: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """wrk when it is installed, else the async client."""
    if wrk_path():
        return run_wrk(url, clients, seconds, headers)
    return asyncio.run(run_async(url, clients, seconds, headers))
