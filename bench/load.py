"""Load generation for `bench/web.py`: wrk where installed, else an async httpx client.

Both open `clients` connections over loopback for a while and report requests per second and the
50th, 95th and 99th percentile latency in milliseconds, with how many requests finished, how many
failed (socket errors, answers other than 2xx) and how many had no answer within TIMEOUT_S.

A slow page is measured properly rather than reported as zeros: `measure` lengthens the run (up
to `max_seconds`) until at least MIN_REQUESTS finished, allowing for the `clients` requests still
in flight when a run stops (wrk counts only the ones that finished). A run that still has no
finished request, any failed one or any timeout is not a measurement: `Result.problem` says why,
and the report prints "not measured" for it, never a verdict.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

TIMEOUT_S = 10.0
MIN_REQUESTS = 50

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d seconds=%.3f p50=%.3f p95=%.3f p99=%.3f "
    .. "errors=%d timeouts=%d non2xx=%d\\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
"""
WRK_LINE = re.compile(r"BENCH requests=(\d+) seconds=([\d.]+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) "
                      r"errors=(\d+) timeouts=(\d+) non2xx=(\d+)")


@dataclass(frozen=True)
class Result:
    """One load run."""

    rps: float
    p50: float
    p95: float
    p99: float
    requests: int  # finished in the run (wrk: answered, including late and non-2xx answers)
    seconds: float
    errors: int  # socket errors and answers other than 2xx
    timeouts: int  # no answer within TIMEOUT_S
    tool: str

    @property
    def problem(self) -> str | None:
        """Why this run is not a measurement, or None when it is."""
        if self.timeouts:
            return f"{self.timeouts} of {self.requests} requests had no answer within {TIMEOUT_S:.0f} s"
        if self.errors:
            return f"{self.errors} of {self.requests} requests failed (socket error or not 2xx)"
        if self.requests == 0:
            return f"no request finished in {self.seconds:.0f} s"
        return None

    @property
    def rough(self) -> bool:
        """Fewer than MIN_REQUESTS finished: the percentiles are rough."""
        return self.requests < MIN_REQUESTS


def wrk_path() -> str | None:
    """wrk, if installed (Debian: apt-get install wrk)."""
    return shutil.which("wrk")


def ensure_wrk() -> str | None:
    """wrk, installing Debian's package when we are root and it is missing."""
    found = wrk_path()
    if found is None and shutil.which("apt-get") and Path("/proc/self").exists() and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = wrk_path()
    return found


def run_wrk(url: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """One wrk run; its Lua `done` hook prints the counts and percentiles we report."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    threads = 1 if clients < 4 else 2
    args = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{max(1, math.ceil(seconds))}s",
            "--timeout", f"{TIMEOUT_S:.0f}s", "-s", script.name]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    found = WRK_LINE.search(out)
    if not found:
        raise RuntimeError(f"wrk said: {out}")
    requests, took = int(found.group(1)), float(found.group(2))
    p50, p95, p99 = (float(found.group(i)) for i in (3, 4, 5))
    return Result(requests / took if took else 0.0, p50, p95, p99, requests, took,
                  int(found.group(6)) + int(found.group(8)), int(found.group(7)), "wrk")


async def run_async(url: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """The fallback: `clients` keep-alive connections from one asyncio process."""
    latencies: list[float] = []
    errors = timeouts = 0
    deadline = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal errors, timeouts
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                answer = await client.get(url, headers=headers)
            except httpx.TimeoutException:
                timeouts += 1
                continue
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            errors += answer.status_code >= 300

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT_S) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(clients)))
        took = time.perf_counter() - started
    if len(latencies) > 1:
        q = statistics.quantiles(latencies, n=100)
    else:
        q = [latencies[0] if latencies else 0.0] * 99
    requests = len(latencies) + timeouts
    return Result(requests / took, q[49], q[94], q[98], requests, took, errors, timeouts, "httpx")


def measure(url: str, clients: int, seconds: float, headers: dict[str, str], *,
            max_seconds: float = 60.0, say: Callable[[str], None] = print) -> Result:
    """wrk when it is installed, else the async client; lengthened until MIN_REQUESTS finish."""

    def once(length: float) -> Result:
        if wrk_path():
            return run_wrk(url, clients, length, headers)
        return asyncio.run(run_async(url, clients, length, headers))

    result = once(seconds)
    while result.requests < MIN_REQUESTS and not result.timeouts and result.seconds < max_seconds - 1:
        rate = result.requests / result.seconds if result.seconds else 0.0
        # The requests in flight when a run stops are lost: allow for `clients` of them.
        wanted = (MIN_REQUESTS + clients) / rate * 1.2 if rate else result.seconds * 4
        longer = min(max_seconds, max(wanted, result.seconds * 2))
        say(f"    only {result.requests} requests finished in {result.seconds:.0f} s: "
            f"again for {longer:.0f} s")
        result = once(longer)
    return result
