"""A bounded load test of the web app on loopback: `fintech-index serve` (uvicorn) in its own
process over a store with
the fintech index published, N requests (default 10,000) with C in flight (default 50),
a mix of rankings, units, comparisons and re-weightings. Prints errors and p50/p99 latency.
Run: python benchmarks/web_load.py [--requests 10000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

import fintech_index as fi
from fintech_index.store import Store


def serve(store: Path) -> tuple[subprocess.Popen, str]:
    """`fintech-index serve` in its own process, as a user runs it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "fintech_index", "serve", "--store",
                             str(store), "--port", str(port)])
    deadline = time.time() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/editions", timeout=1)
            break
        except httpx.TransportError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


async def load(base: str, n: int, concurrency: int, units: list[str], dims: list[str]
               ) -> tuple[list, int, dict]:
    rng = random.Random(0)
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}

    def request():
        k = rng.random()
        if k < 0.4:
            return "GET", "/api/editions/gfcdi-2025/ranking", None
        if k < 0.7:
            return "GET", f"/api/editions/gfcdi-2025/units/{rng.choice(units)}", None
        if k < 0.85:
            a, b = rng.sample(units, 2)
            return "GET", f"/api/editions/gfcdi-2025/compare?a={a}&b={b}", None
        return "POST", "/api/editions/gfcdi-2025/reweight", {"weights": {
            d: rng.uniform(0.1, 3) for d in rng.sample(dims, min(2, len(dims)))}}

    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(method, url, body):
            nonlocal errors
            async with sem:
                t = time.perf_counter()
                r = await client.request(method, url, json=body)
                latencies.append(time.perf_counter() - t)
                errors += r.status_code != 200
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        await asyncio.gather(*(one(*request()) for _ in range(n)))
    return latencies, errors, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    res = fi.examples.load("fintech").build()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "s.duckdb"
        with Store(store) as s:
            s.publish(res, "gfcdi-2025")
        srv, base = serve(store)
        t = time.perf_counter()
        fw = res.framework
        dims = [c for c in fw.nodes[fw.index].children if not fw.nodes[c].is_indicator]
        lat, errors, statuses = asyncio.run(load(base, args.requests, args.concurrency,
                                                 list(res.units), dims))
        wall = time.perf_counter() - t
        srv.terminate()
        srv.wait()
    ms = np.array(lat) * 1000
    print(f"web app on loopback: {args.requests:,} requests, {args.concurrency} concurrent, "
          f"{wall:.1f} s ({args.requests / wall:,.0f} requests/s)")
    print(f"  errors (non-200): {errors} (statuses {dict(sorted(statuses.items()))}); "
          f"latency p50 {np.percentile(ms, 50):.1f} ms, "
          f"p99 {np.percentile(ms, 99):.1f} ms, max {ms.max():.1f} ms")


if __name__ == "__main__":
    main()
