"""Verification, measured: the HTTP API under concurrent load against one ``eth_call`` per check.

- **API**: ``POST /v1/priority-claims/verify`` served by uvicorn with uvloop and httptools (what
  ``uvicorn[standard]`` brings and ``prioreg serve`` picks by itself), one worker, on a free loopback
  port, in a thread of the benchmark process — the process that also holds the embedded chain
  with all its blocks and the index writer, as ``prioreg serve`` on the embedded chain does. The
  app is the real one (:func:`api.app.create_app`, its middleware and lifespan) over the index file
  the anchoring built, without the index follower (nothing is anchored during the load). The load
  comes from a separate process (:mod:`registry.bench.load`, 32 kept-alive connections by
  default), so that client and server do not share a GIL. Each request is a real priority claim
  of the synthetic set — the earlier application's number as the applicant wrote it, its access
  code, the claimed date, the later application — so the server does the whole job: validation,
  number and access-code normalization, commitment, index lookup, the rules of docs/spec/priority-rules.md.
- **Baseline**: what a verifier without an index does — normalize, then ask the node through
  web3.py, ``computeCommitment`` and ``getRecord`` (two ``eth_call``), and compare the date. It can
  only see *stored* records (batched entries are not in contract storage), so it checks the
  filings the one-by-one modes anchored; sequential, since the embedded chain is one interpreter.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from registry.bench.anchoring import BenchLedger
from registry.bench.load import percentile
from registry.bench.prepare import Preparer
from registry.domain.accesscodes import normalize as normalize_access_code
from registry.domain.commitments import commitment as make_commitment
from registry.domain.numbers import normalize as normalize_number
from registry.domain.types import date_to_days

__all__ = ["eth_call_baseline", "run_http_load", "serve", "verification_bodies"]


def verification_bodies(preparer: Preparer, indices: Sequence[int], limit: int) -> list[dict[str, Any]]:
    """Request bodies for the first ``limit`` claims made by the filings ``indices``."""
    bodies: list[dict[str, Any]] = []
    filings = preparer.filings
    for i in indices:
        later = filings.filing(i)
        for j in later.claims:
            earlier = filings.filing(j)
            bodies.append(
                {
                    "priority": {
                        "ipOfficeCode": earlier.office,
                        "applicationNumber": earlier.number,
                        "filingDate": earlier.filing_date.isoformat(),
                        "accessCode": preparer.access_code(earlier),
                    },
                    "later": {
                        "ipOfficeCode": later.office,
                        "filingDate": later.filing_date.isoformat(),
                        "ipRightKind": later.kind.api_name,
                    },
                }
            )
            if len(bodies) >= limit:
                return bodies
    return bodies


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # backlog ≥ the clients of the load, so that no connection waits for a retry.
    # uvloop and httptools named, not left to "auto": should either go missing, the run fails
    # instead of measuring the pure-Python loop and parser (h11) under the same name.
    config = uvicorn.Config(
        app, loop="uvloop", http="httptools", log_level="error", access_log=False, lifespan="on", backlog=256
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="bench-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def run_http_load(
    url: str, bodies: list[dict[str, Any]], *, concurrency: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    """Run :mod:`registry.bench.load` in a child process against ``url``; return its JSON result."""
    with tempfile.TemporaryDirectory(prefix="prioreg-bench-") as tmp:
        path = Path(tmp) / "bodies.json"
        path.write_text(json.dumps(bodies))
        command = [
            sys.executable,
            "-m",
            "registry.bench.load",
            url,
            str(path),
            "--concurrency",
            str(concurrency),
            "--seconds",
            str(seconds),
            "--max-requests",
            str(max_requests),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def eth_call_baseline(
    ledger: BenchLedger,
    preparer: Preparer,
    indices: Sequence[int],
    *,
    max_checks: int,
    seconds: float,
    one_call: bool = False,
) -> dict[str, Any]:
    """Check stored filings one ``computeCommitment`` + ``getRecord`` at a time through web3.py.

    ``one_call``: the commitment computed here (:func:`registry.domain.commitments.commitment`, what
    the contract's ``computeCommitment`` computes), so each check is the one ``getRecord`` call.
    """
    functions = ledger.registrar.contract.functions
    filings = preparer.filings
    cases = []
    for i in indices:
        filing = filings.filing(i)
        cases.append((filing.office, filing.number, preparer.access_code(filing), date_to_days(filing.filing_date)))
    latencies: list[float] = []
    matched = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while cases and len(latencies) < max_checks and time.perf_counter() < deadline:
        office, number, code, days = cases[len(latencies) % len(cases)]
        sent = time.perf_counter()
        normalized = normalize_number(office, number)
        secret = normalize_access_code(code).secret
        if one_call:
            commitment: bytes = make_commitment(normalized.office, normalized.canonical, secret)
        else:
            commitment = functions.computeCommitment(normalized.office.encode(), normalized.canonical, secret).call()
        record = functions.getRecord(normalized.office.encode(), commitment).call()
        matched += record[0] == normalized.office.encode() and record[2] == days
        latencies.append(time.perf_counter() - sent)
    elapsed = time.perf_counter() - started
    return {
        "calls": 1 if one_call else 2,
        "checks": len(latencies),
        "matched": matched,
        "seconds": round(elapsed, 3),
        "requestsPerSecond": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50Ms": round(1000 * percentile(latencies, 0.50), 2),
        "p99Ms": round(1000 * percentile(latencies, 0.99), 2),
    }
