"""HTTP load for the verification benchmark, run as its own process: ``python -m registry.bench.load``.

The load must come from another process than the server: in the same interpreter the client would
share the server's GIL and the numbers would measure the two fighting. ``concurrency`` clients
(one raw HTTP/1.1 connection each, kept alive) post verification requests back to back, cycling through
the bodies in a JSON file, until ``seconds`` have passed or ``max_requests`` were sent. The result
is one JSON object on stdout: counts, throughput and latency percentiles (milliseconds), and the
generator's own peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry.bench.memory import peak_rss_bytes

__all__ = ["main", "percentile", "run_load"]

_PATH = "/v1/priority-claims/verify"


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` (nearest rank); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one pre-encoded HTTP/1.1 request on a kept-alive connection; return the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def run_load(
    url: str, bodies: list[bytes], *, concurrency: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    """Post ``bodies`` (cycled) with ``concurrency`` clients; return the measurements.

    Each client holds one kept-alive connection and writes requests encoded once up front: a
    general-purpose client (httpx) spent ~6 ms of CPU a request here, six times what the server
    spent answering it, so the generator, not the server, set the pace.
    """
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    requests = [
        (
            f"POST {_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    counter = 0
    deadline = time.perf_counter() + seconds

    async def client_loop() -> None:
        nonlocal counter, errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while counter < max_requests and time.perf_counter() < deadline:
                request = requests[counter % len(requests)]
                counter += 1
                sent = time.perf_counter()
                try:
                    status = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latencies.append(time.perf_counter() - sent)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
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
        # VmHWM, not ru_maxrss: the latter counts the bench process this one was started from (registry.bench.memory).
        "generatorPeakRssBytes": peak_rss_bytes(),
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
