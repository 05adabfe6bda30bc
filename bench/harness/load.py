"""The HTTP load generator: wrk with the Lua scripts of bench/lua/, statuses counted per code."""

import os
import re
import subprocess
import time
import urllib.request

from bench.harness.env import ROOT

LUA_DIR = ROOT / "bench" / "lua"


def wrk(
    base_url: str,
    script: str,
    *,
    connections: int,
    seconds: float,
    env: dict[str, str],
    path: str = "/",
    threads: int = 2,
) -> dict:
    """Run wrk; returns statuses, errors, latency percentiles (ms), requests/s and the
    monotonic start and end of the load."""
    argv = [
        "wrk", "-t", str(min(threads, connections)), "-c", str(connections),
        "-d", f"{int(seconds)}s", "--timeout", "60s", "-s", str(LUA_DIR / script),
        base_url + path,
    ]  # fmt: skip
    full_env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), **env}
    started = time.monotonic()
    wall_start = time.time()
    out = subprocess.run(argv, env=full_env, capture_output=True, text=True, check=False)
    ended = time.monotonic()
    if out.returncode:
        raise SystemExit(f"wrk failed: {out.stderr[-2000:]}")
    text = out.stdout
    statuses = {int(a): int(b) for a, b in re.findall(r"BENCH_STATUS (\d+) (\d+)", text)}
    latency = {f"p{a}": float(b) for a, b in re.findall(r"BENCH_LATENCY p(\d+) ([\d.]+)", text)}
    errors = dict(re.findall(r"(\w+)=(\d+)", re.search(r"BENCH_ERRORS (.*)", text).group(1)))
    duration = float(re.search(r"BENCH_DURATION ([\d.]+)", text).group(1))
    return {
        "statuses": statuses,
        "errors": {k: int(v) for k, v in errors.items()},
        "latency_ms": latency,
        "duration": duration,
        "requests": sum(statuses.values()),
        "wall_start": wall_start,
        "started": started,
        "ended": ended,
        "raw": text,
    }


def timed_get(url: str, token: str, *, repeat: int) -> list[float]:
    """Latency (ms) of `repeat` sequential GETs by one client (new connection each)."""
    times = []
    for _ in range(repeat):
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 (our own loopback server)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (our own loopback server)
            response.read()
            if response.status != 200:
                raise SystemExit(f"GET {url}: {response.status}")
        times.append((time.perf_counter() - started) * 1000)
    return times
