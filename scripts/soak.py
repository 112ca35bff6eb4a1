"""A bounded soak of ``prioreg serve --demo``: concurrent anchoring and verification (issue 7, item 5).

Starts ``prioreg serve --demo`` on a free loopback port in a state directory of its own, then for
``--seconds`` (default 300) runs ``--anchor-clients`` threads that anchor filings (batches of
25-100 and single filings, in turn) and ``--verify-clients`` threads that verify priority claims
against what was acknowledged and read the records back. It stops by itself and reports:

- requests served and errors per kind (any answer other than the expected one is an error, and
  the run fails unless there are none), with p50/p99 latency;
- the server's resident memory (``VmRSS`` from ``/proc/<pid>/status``) at start, after warm-up,
  in the middle and at the end; the run fails if the end is above 1.5x the warm-up value. The
  embedded chain keeps py-evm's database in memory, so RSS grows with the ledger by design; the
  report gives the size of that database (``chain.snapshot``) and of the index at the end, to
  tell that growth from a leak;
- that nothing acknowledged was lost: every commitment that got a 201 is in the server's index at
  the end (all of them, read in bulk from its SQLite file) and answers ``GET /v1/applications``
  (a sample over HTTP), before and after a clean restart of the server on the same state dir.

Loopback only. Run: ``.venv/bin/python scripts/soak.py --seconds 300``. ``tests/reliability/test_soak.py``
runs the same code for 15 seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from registry.domain.accesscodes import derive
from registry.domain.commitments import commitment as commit
from registry.domain.commitments import to_hex
from registry.domain.numbers import normalize
from registry.ops.state import StateDir

__all__ = ["FilingFactory", "ServerProcess", "SoakReport", "free_port", "main", "run_soak"]

PASSPHRASE = "soak-passphrase-not-a-secret"  # a throwaway demo state dir
_SEED = hashlib.sha256(b"prioreg soak and crash tests").digest()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """``prioreg serve --demo`` as a child process on a state directory, started and stopped at will."""

    state_dir: Path
    tokens_file: Path
    offices: str = "EP,JP"
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    starts: int = 0
    #: ``--workers``; None: the server's default (one process per core).
    workers: int | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def start(self, timeout: float = 120.0) -> float:
        """Start (or restart) the server on a fresh port; return the seconds until it answered health."""
        assert self.process is None, "the server is already running"
        self.port = free_port()
        env = dict(os.environ, PRIOREG_KEY_PASSPHRASE=PASSPHRASE)
        command = [sys.executable, "-m", "registry.cli", "serve", "--demo", "--state-dir", str(self.state_dir)]
        command += ["--port", str(self.port), "--offices", self.offices, "--tokens-file", str(self.tokens_file)]
        # One client address sends far more than 600 requests a minute: the per-caller limit (tested
        # on its own, tests/api/test_rate_limit_and_media.py) would turn the soak into a 429 count.
        # Warnings only: an access line a request would fill the log of a long soak.
        command += ["--rate-limit", "0", "--log-level", "warning"]
        if self.workers is not None:
            command += ["--workers", str(self.workers)]
        log = (self.log_path or self.state_dir.with_name(self.state_dir.name + ".log")).open("ab")
        log.write(f"--- start {self.starts} on port {self.port}\n".encode())
        log.flush()
        started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        self.starts += 1
        with httpx.Client(timeout=5.0) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    self.process = None
                    raise RuntimeError(f"the server exited with {code} during start; see {log.name}")
                try:
                    if client.get(self.base_url + "/v1/health").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > timeout:
                    self.kill()
                    raise RuntimeError(f"the server did not answer within {timeout} s; see {log.name}")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown hooks, no snapshot on close) and reap it."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self, timeout: float = 60.0) -> int:
        """Stop the server cleanly (SIGTERM: uvicorn shuts down, the ledger closes); return its exit code."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def rss_kb(self) -> int:
        """The server's resident set size in KiB (``VmRSS``)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc status")

    def tokens(self) -> dict[str, str]:
        """The office tokens ``--demo`` wrote on the first start."""
        tokens: dict[str, str] = json.loads(self.tokens_file.read_text(encoding="utf-8"))
        return tokens


@dataclass(frozen=True)
class Filing:
    """One filing the load generator sends, with what the ledger should hold for it."""

    office: str
    number: str
    filing_date: str
    access_code: str
    commitment: str

    def body(self) -> dict[str, Any]:
        """The ``POST /v1/filings`` body."""
        return {
            "applicationNumber": self.number,
            "filingDate": self.filing_date,
            "ipRightKind": "patent",
            "accessCode": self.access_code,
        }


class FilingFactory:
    """Deterministic filings: the same (office, n) always gives the same number, access code and commitment."""

    def filing(self, office: str, n: int) -> Filing:
        """Filing ``n`` (1 <= n < 1,000,000: serial 0 is never assigned) of ``office`` (EP or JP)."""
        if office == "EP":
            number = f"23{n:06d}"
        elif office == "JP":
            number = f"2023-{n:06d}"
        else:
            raise ValueError(f"no numbers for office {office}")
        canonical = normalize(office, number).canonical
        code = derive(_SEED, office, canonical)
        day = dt.date(2023, 1, 1) + dt.timedelta(days=n % 360)
        return Filing(office, number, day.isoformat(), code.display, to_hex(commit(office, canonical, code.secret)))


@dataclass
class _Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_samples) < 20:
                self.error_samples.append(f"{kind}: {what[:300]}")


@dataclass
class SoakReport:
    """What a soak measured (see the module docstring)."""

    seconds: float
    anchor_clients: int
    verify_clients: int
    requests: dict[str, int]
    errors: dict[str, int]
    error_samples: list[str]
    latency_ms: dict[str, dict[str, float]]
    filings_acknowledged: int
    filings_lost: int
    lost_sample: list[str]
    http_checked: int
    rss_kb: dict[str, int]
    rss_ratio_end_to_warm: float
    data_mb: dict[str, float]
    start_seconds: float
    restart_seconds: float
    blocks: int

    @property
    def ok(self) -> bool:
        """No errors, nothing lost, memory flat."""
        return not self.errors and self.filings_lost == 0 and self.rss_ratio_end_to_warm <= 1.5

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON."""
        return dataclasses.asdict(self) | {"ok": self.ok}

    def lines(self) -> Iterator[str]:
        """A human-readable summary."""
        yield (
            f"soak {self.seconds:.0f} s, {self.anchor_clients} anchor + {self.verify_clients} verify clients, "
            f"{sum(self.requests.values())} requests, {sum(self.errors.values())} errors, {self.blocks} blocks"
        )
        for kind in sorted(self.requests):
            lat = self.latency_ms.get(kind, {})
            yield (
                f"  {kind:<12} {self.requests[kind]:>7} ok  {self.errors.get(kind, 0):>3} errors  "
                f"p50 {lat.get('p50', 0):7.1f} ms  p99 {lat.get('p99', 0):7.1f} ms"
            )
        yield (
            f"  filings acknowledged {self.filings_acknowledged}, lost {self.filings_lost} "
            f"({self.http_checked} checked over HTTP)"
        )
        rss = self.rss_kb
        yield (
            f"  server RSS MB: start {rss['start'] / 1024:.0f}, after warm-up {rss['warm'] / 1024:.0f}, "
            f"middle {rss['middle'] / 1024:.0f}, end {rss['end'] / 1024:.0f} "
            f"(end/warm-up {self.rss_ratio_end_to_warm:.2f})"
        )
        yield "  data at the end (MB): " + ", ".join(f"{k} {v}" for k, v in self.data_mb.items())
        yield f"  server start {self.start_seconds:.1f} s, clean restart after the soak {self.restart_seconds:.1f} s"
        for sample in self.error_samples:
            yield f"  error: {sample}"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class _Load:
    """The client side: anchor and verify threads against one server."""

    def __init__(self, base_url: str, tokens: dict[str, str], seed: int) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.factory = FilingFactory()
        self.stats = _Stats()
        self.stop = threading.Event()
        self.acknowledged: list[Filing] = []
        self._ack_lock = threading.Lock()
        self.seed = seed

    @contextmanager
    def _client(self, token: str | None = None) -> Iterator[httpx.Client]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=120.0) as client:
            yield client

    def _timed(self, kind: str, client: httpx.Client, url: str, expect: int, body: Any = None) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = client.get(url) if body is None else client.post(url, json=body)
        except httpx.HTTPError as exc:
            self.stats.error(kind, f"{type(exc).__name__}: {exc}")
            return None
        if response.status_code != expect:
            self.stats.error(kind, f"{response.status_code} {response.text}")
            return None
        self.stats.ok(kind, time.perf_counter() - started)
        return response

    def thread(self, role: str, k: int) -> threading.Thread:
        """A client thread; a client that breaks is an error in the report, not a silent stop."""
        work = self.anchor if role == "anchor" else self.verify

        def run() -> None:
            try:
                work(k)
            except Exception as exc:
                self.stats.error(f"{role}-client", f"{type(exc).__name__}: {exc}")

        return threading.Thread(target=run, name=f"{role}-{k}")

    def anchor(self, k: int) -> None:
        office = ("EP", "JP")[k % 2]
        rng = random.Random(self.seed * 1000 + k)
        n = (k // 2) * 200_000 + 1
        with self._client(self.tokens[office]) as client:
            turn = 0
            while not self.stop.is_set():
                turn += 1
                size = rng.randint(25, 100) if turn % 2 else 1
                filings = [self.factory.filing(office, n + i) for i in range(size)]
                n += size
                if size == 1:
                    response = self._timed("single", client, "/v1/filings", 201, filings[0].body())
                    answered = [response.json()["commitment"]] if response else []
                else:
                    body = {"filings": [f.body() for f in filings]}
                    response = self._timed("batch", client, "/v1/filing-batches", 201, body)
                    answered = [f["commitment"] for f in response.json()["filings"]] if response else []
                if not response:
                    continue
                if answered != [f.commitment for f in filings]:
                    self.stats.error("anchor", f"answered commitments differ from the computed ones: {answered[:2]}")
                    continue
                with self._ack_lock:
                    self.acknowledged.extend(filings)

    def verify(self, k: int) -> None:
        rng = random.Random(self.seed * 1000 + 500 + k)
        with self._client() as client:
            turn = 0
            while not self.stop.is_set():
                with self._ack_lock:
                    filing = rng.choice(self.acknowledged) if self.acknowledged else None
                if filing is None:
                    time.sleep(0.05)
                    continue
                turn += 1
                if turn % 2:
                    later = (dt.date.fromisoformat(filing.filing_date) + dt.timedelta(days=100)).isoformat()
                    body = {
                        "priority": {
                            "ipOfficeCode": filing.office,
                            "applicationNumber": filing.number,
                            "filingDate": filing.filing_date,
                            "accessCode": filing.access_code,
                        },
                        "later": {"ipOfficeCode": "US", "filingDate": later, "ipRightKind": "patent"},
                    }
                    response = self._timed("verify", client, "/v1/priority-claims/verify", 200, body)
                    if response is not None and response.json()["verdict"] != "valid":
                        self.stats.error("verify", f"verdict {response.json()['verdict']} for {filing.commitment}")
                else:
                    self._timed("application", client, f"/v1/applications/{filing.commitment}", 200)


def _indexed_commitments(state_dir: Path) -> set[str]:
    """Every commitment in the server's index, read in bulk (read-only) from its SQLite file."""
    path = StateDir(state_dir).index_file
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {"0x" + bytes(row[0]).hex() for row in db.execute("SELECT commitment FROM records")}
    finally:
        db.close()


def _missing_over_http(base_url: str, filings: list[Filing]) -> list[str]:
    missing = []
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for filing in filings:
            if client.get(f"/v1/applications/{filing.commitment}").status_code != 200:
                missing.append(filing.commitment)
    return missing


def _wait_indexed(base_url: str, timeout: float = 60.0) -> int:
    """Wait until the index has caught up with the chain head; return the head."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        while True:
            health = client.get("/v1/health").json()
            if health["indexedBlock"] == health["blockNumber"] or time.monotonic() > deadline:
                return int(health["blockNumber"])
            time.sleep(0.2)


def run_soak(
    seconds: float = 300.0,
    anchor_clients: int = 2,
    verify_clients: int = 2,
    *,
    work_dir: Path | None = None,
    warmup: float | None = None,
    http_sample: int = 2_000,
    seed: int = 7,
    progress: bool = False,
) -> SoakReport:
    """Run one soak against a server it starts in ``work_dir`` (a temporary directory if None)."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="prioreg-soak-") as tmp:
            return run_soak(
                seconds,
                anchor_clients,
                verify_clients,
                work_dir=Path(tmp),
                warmup=warmup,
                http_sample=http_sample,
                seed=seed,
                progress=progress,
            )
    warmup = min(30.0, seconds * 0.2) if warmup is None else warmup
    server = ServerProcess(work_dir / "state", work_dir / "tokens.json", log_path=work_dir / "server.log")
    start_seconds = server.start()
    try:
        load = _Load(server.base_url, server.tokens(), seed)
        rss: dict[str, int] = {"start": server.rss_kb()}
        threads = [load.thread("anchor", k) for k in range(anchor_clients)]
        threads += [load.thread("verify", k) for k in range(verify_clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        marks = {"warm": warmup, "middle": seconds / 2}
        while (elapsed := time.monotonic() - began) < seconds:
            for name, at in marks.items():
                if name not in rss and elapsed >= at:
                    rss[name] = server.rss_kb()
            if progress and int(elapsed) % 30 == 0:
                served = sum(len(v) for v in load.stats.latencies.values())
                print(f"  {elapsed:5.0f} s: {served} requests, RSS {server.rss_kb() / 1024:.0f} MB", flush=True)
            time.sleep(min(1.0, max(0.0, seconds - elapsed)))
        for name in marks:
            rss.setdefault(name, server.rss_kb())
        rss["end"] = server.rss_kb()
        load.stop.set()
        for thread in threads:
            thread.join()
        blocks = _wait_indexed(server.base_url)
        acknowledged = list(load.acknowledged)
        indexed = _indexed_commitments(server.state_dir)
        lost = [f.commitment for f in acknowledged if f.commitment not in indexed]
        sample = random.Random(seed).sample(acknowledged, min(http_sample, len(acknowledged)))
        lost += _missing_over_http(server.base_url, sample[: len(sample) // 2])
        # A clean restart on the same state dir (snapshot on close, then loaded) loses nothing either.
        server.stop()
        restart_seconds = server.start()
        _wait_indexed(server.base_url)
        lost += _missing_over_http(server.base_url, sample[len(sample) // 2 :])
    finally:
        server.stop()
    state = StateDir(server.state_dir)
    files = {
        "chain_journal": state.path / "chain.journal",
        "chain_snapshot": state.path / "chain.snapshot",  # py-evm's database, which the server holds in RAM
        "index": state.index_file,
    }
    data_mb = {name: round(path.stat().st_size / 1e6, 1) for name, path in files.items() if path.exists()}
    stats = load.stats
    return SoakReport(
        seconds=seconds,
        anchor_clients=anchor_clients,
        verify_clients=verify_clients,
        requests={kind: len(v) for kind, v in stats.latencies.items()},
        errors=dict(stats.errors),
        error_samples=list(stats.error_samples),
        latency_ms={
            kind: {"p50": round(1000 * _percentile(v, 0.5), 1), "p99": round(1000 * _percentile(v, 0.99), 1)}
            for kind, v in stats.latencies.items()
        },
        filings_acknowledged=len(acknowledged),
        filings_lost=len(set(lost)),
        lost_sample=sorted(set(lost))[:10],
        http_checked=len(sample),
        rss_kb=rss,
        rss_ratio_end_to_warm=round(rss["end"] / rss["warm"], 3),
        data_mb=data_mb,
        start_seconds=round(start_seconds, 2),
        restart_seconds=round(restart_seconds, 2),
        blocks=blocks,
    )


def main() -> None:
    """Command line entry point: run one soak, print the report, exit 1 unless it passed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long the load runs (default 300)")
    parser.add_argument("--anchor-clients", type=int, default=2, help="threads anchoring filings (default 2)")
    parser.add_argument("--verify-clients", type=int, default=2, help="threads verifying claims (default 2)")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the state dir here (default: temporary)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here as JSON")
    args = parser.parse_args()
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=False)
    report = run_soak(args.seconds, args.anchor_clients, args.verify_clients, work_dir=args.work_dir, progress=True)
    for line in report.lines():
        print(line)
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    raise SystemExit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
