"""HTTP load for the verification benchmark, run as its own process: ``python -m registry.bench.load``.

The load must come from another process than the server: in the same interpreter the client would
share the server's GIL and the numbers would measure the two fighting. ``concurrency`` clients
(httpx, one connection each, kept alive) post verification requests back to back, cycling through
the bodies in a JSON file, until ``seconds`` have passed or ``max_requests`` were sent. The result
is one JSON object on stdout: counts, throughput and latency percentiles (milliseconds), and the
generator's own peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["main", "percentile", "run_load"]

_PATH = "/v1/priority-claims/verify"


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` (nearest rank); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def run_load(
    url: str, bodies: list[bytes], *, concurrency: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    """Post ``bodies`` (cycled) with ``concurrency`` clients; return the measurements."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    counter = 0
    deadline = time.perf_counter() + seconds
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal counter, errors
        while counter < max_requests and time.perf_counter() < deadline:
            body = bodies[counter % len(bodies)]
            counter += 1
            sent = time.perf_counter()
            try:
                response = await client.post(_PATH, content=body, headers=headers)
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - sent)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ok = statuses.get(200, 0)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transportErrors": errors,
        "seconds": round(elapsed, 3),
        "requestsPerSecond": round(ok / elapsed, 1) if elapsed else 0.0,
        "p50Ms": round(1000 * percentile(latencies, 0.50), 2),
        "p90Ms": round(1000 * percentile(latencies, 0.90), 2),
        "p99Ms": round(1000 * percentile(latencies, 0.99), 2),
        "maxMs": round(1000 * max(latencies, default=0.0), 2),
        "generatorPeakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: ``URL BODIES_JSON [--concurrency N] [--seconds S] [--max-requests M]``."""
    parser = argparse.ArgumentParser(prog="python -m registry.bench.load", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("bodies", type=Path, help="a JSON list of request bodies")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=10**9)
    args = parser.parse_args(argv)
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in json.loads(args.bodies.read_text())]
    if not bodies:
        parser.error("no request bodies")
    result = asyncio.run(
        run_load(args.url, bodies, concurrency=args.concurrency, seconds=args.seconds, max_requests=args.max_requests)
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
