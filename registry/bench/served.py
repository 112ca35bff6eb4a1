"""Verification through ``prioreg serve`` as users run it: its own process, 1 and N workers (issue 18).

The in-process measurement (:mod:`registry.bench.verification`) serves the bench's own index from
a thread of the benchmark; this one starts the real command — ``python -m registry.cli serve
--demo`` on a fresh state directory, its own start-up path, ``--rate-limit 0`` (the load comes from
one address) — anchors ``filings`` applications through its batch endpoint, and loads
``POST /v1/priority-claims/verify`` with real claims on them: first with ``--workers 1``, then, on
the same state directory resumed, with ``--workers N``. The load comes from
:mod:`registry.bench.load` in a process of its own, and from ``wrk`` too when it is installed
(``apt-get install wrk``); each reports the share of the machine's CPU the generator itself used,
since on two cores the load generator competes with the server it measures.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from registry.bench.memory import ProcessPeaks, descendants, peak_rss_bytes, wait_peak_rss_bytes
from registry.bench.verification import run_http_load
from registry.domain.numbers import normalize

__all__ = ["served_verification", "wrk_load"]

_OFFICE = "JP"
_BATCH = 5_000
_INFO = re.compile(r'prioreg_worker_info\{pid="(\d+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Gateway:
    """``prioreg serve --demo`` on ``state`` as a child process."""

    def __init__(self, state: Path, workers: int, log: Path) -> None:
        self.state, self.workers, self.port = state, workers, _free_port()
        command = [sys.executable, "-m", "registry.cli", "serve", "--demo", "--state-dir", str(state)]
        command += ["--port", str(self.port), "--offices", f"{_OFFICE},US", "--tokens-file", str(state.parent / "t")]
        command += ["--rate-limit", "0", "--log-level", "warning", "--workers", str(workers)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Until every one of its processes answers (each request on a new connection)."""
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < self.workers:
            if self.process.poll() is not None:
                raise RuntimeError(f"prioreg serve exited with {self.process.returncode} while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"prioreg serve --workers {self.workers}: {len(seen)} processes answered")
            try:
                with httpx.Client(timeout=5.0) as fresh:
                    seen.update(_INFO.findall(fresh.get(self.url + "/metrics").text))
            except httpx.TransportError:
                time.sleep(0.1)

    def read_peaks(self, peaks: ProcessPeaks) -> None:
        """Record the peak RSS of the gateway's processes (the owner and its read workers), while they run."""
        peaks.add(f"prioreg serve --workers {self.workers} (owner)", peak_rss_bytes(self.process.pid), self.process.pid)
        peaks.read(f"prioreg serve --workers {self.workers} (read worker)", descendants(self.process.pid))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _anchor(url: str, token: str, count: int) -> list[dict[str, Any]]:
    """Anchor ``count`` JP filings through the batch endpoint; return the verification bodies of claims on them."""
    bodies: list[dict[str, Any]] = []
    first = _dt.date(2023, 1, 2)
    with httpx.Client(base_url=url, timeout=600.0, headers={"Authorization": f"Bearer {token}"}) as client:
        for start in range(0, count, _BATCH):
            filings = []
            for i in range(start, min(count, start + _BATCH)):
                number = normalize(_OFFICE, f"2023-{i + 1:06d}").display
                filed = first + _dt.timedelta(days=i % 300)
                filings.append({"applicationNumber": number, "filingDate": filed.isoformat(), "ipRightKind": "patent"})
            answer = client.post("/v1/filing-batches", json={"filings": filings})
            if answer.status_code != 201:
                raise RuntimeError(f"anchoring for the served bench failed: {answer.status_code} {answer.text[:500]}")
            for made in answer.json()["filings"]:
                filed = _dt.date.fromisoformat(made["filingDate"])
                bodies.append(
                    {
                        "priority": {
                            "ipOfficeCode": _OFFICE,
                            "applicationNumber": made["applicationNumber"],
                            "filingDate": made["filingDate"],
                            "accessCode": made["accessCode"],
                        },
                        "later": {
                            "ipOfficeCode": "US",
                            "filingDate": (filed + _dt.timedelta(days=200)).isoformat(),
                            "ipRightKind": "patent",
                        },
                    }
                )
    return bodies


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _timed_child(
    command: list[str], timeout: float
) -> tuple[subprocess.CompletedProcess[str], float, float, int | None]:
    """Run ``command``; return it, its wall seconds, the CPU seconds it (and its children) used and its peak RSS."""
    before = os.times()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            # wait4, not wait: the child's own ru_maxrss (issue 18's summed memory), which wait() drops.
            code, peak = _wait_with_timeout(child, timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(
            command, code, out.read().decode(errors="replace"), err.read().decode(errors="replace")
        )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return done, wall, cpu, peak


def _wait_with_timeout(child: subprocess.Popen[bytes], timeout: float) -> tuple[int, int | None]:
    """Wait for ``child`` at most ``timeout`` seconds; its exit code and peak RSS.

    The peak is its ``VmHWM``, polled while it runs (registry.bench.memory: ``wait4``'s ``ru_maxrss``
    would count the bench's own size, which the child had before ``exec``); ``wait4``'s only if none was read.
    """
    deadline = time.monotonic() + timeout
    peak: int | None = None
    while True:
        seen = peak_rss_bytes(child.pid)
        if seen is not None:
            peak = max(peak or 0, seen)
        # WNOWAIT: see whether it ended without reaping it (its /proc entry stays until wait4 below).
        if os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            code, waited = wait_peak_rss_bytes(child.pid)
            child.returncode = code
            return code, peak if peak is not None else waited
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(child.args, timeout)
        time.sleep(0.05)


def _generator_load(url: str, bodies: list[dict[str, Any]], concurrency: int, seconds: float) -> dict[str, Any]:
    before, started = os.times(), time.perf_counter()
    result = run_http_load(url, bodies, concurrency=concurrency, seconds=seconds, max_requests=10**9)
    after, wall = os.times(), time.perf_counter() - started
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    result["generatorCpuSeconds"] = round(cpu, 2)
    # Over the child's whole life (its start-up included, which the load's own seconds leave out).
    result["generatorCpuShare"] = round(cpu / (wall * _cores()), 3) if wall else None
    return result


def wrk_load(url: str, bodies: list[dict[str, Any]], *, concurrency: int, seconds: float) -> dict[str, Any] | None:
    """``wrk -t1 -c<concurrency>`` posting the bodies in turn; None when wrk is not installed."""
    wrk = next((p for p in ("/usr/bin/wrk", "/usr/local/bin/wrk") if os.access(p, os.X_OK)), None)
    if wrk is None:
        return None
    with tempfile.TemporaryDirectory(prefix="prioreg-wrk-") as tmp:
        script = Path(tmp) / "verify.lua"
        shown = ",\n".join(json.dumps(json.dumps(b, separators=(",", ":"))) for b in bodies[:2_000])
        script.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"local bodies = {{\n{shown}\n}}\nlocal n = 0\n"
            "request = function()\n  n = n % #bodies + 1\n"
            '  return wrk.format(nil, "/v1/priority-claims/verify", nil, bodies[n])\nend\n'
            "done = function(summary, latency, requests)\n"
            '  io.write(string.format("JSON {\\"requests\\": %d, \\"errors\\": %d, \\"non2xx\\": %d, '
            '\\"p50us\\": %d, \\"p99us\\": %d}\\n", summary.requests, summary.errors.connect + summary.errors.read '
            "+ summary.errors.write + summary.errors.timeout, summary.errors.status, latency:percentile(50), "
            "latency:percentile(99)))\nend\n"
        )
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(script), url]
        done, wall, cpu, peak = _timed_child(command, seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("JSON ")), None)
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    if done.returncode != 0 or line is None or rate is None:
        return {"error": (done.stderr or done.stdout).strip()[-500:]}
    parsed = json.loads(line[5:])
    return {
        "tool": "wrk -t1",
        "concurrency": concurrency,
        "requests": parsed["requests"],
        "errors": parsed["errors"],
        "non2xx": parsed["non2xx"],
        "requestsPerSecond": float(rate.group(1)),
        "p50Ms": round(parsed["p50us"] / 1000, 2),
        "p99Ms": round(parsed["p99us"] / 1000, 2),
        "generatorCpuShare": round(cpu / (wall * _cores()), 3) if wall else None,
        "peakRssBytes": peak,
    }


def served_verification(
    *,
    workers: int,
    filings: int,
    concurrency: int,
    seconds: float,
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Verification through ``prioreg serve`` with 1 and with ``workers`` processes, in one run."""
    out: dict[str, Any] = {"workers": workers, "filings": filings, "cores": _cores(), "runs": {}}
    peaks = ProcessPeaks()
    with tempfile.TemporaryDirectory(prefix="prioreg-bench-served-") as tmp:
        state, server_log = Path(tmp) / "state", Path(tmp) / "serve.log"
        bodies: list[dict[str, Any]] = []
        for count in dict.fromkeys((1, workers)):
            gateway = _Gateway(state, count, server_log)
            try:
                gateway.wait_ready()
                if not bodies:
                    token = json.loads((state.parent / "t").read_text(encoding="utf-8"))[_OFFICE]
                    started = time.perf_counter()
                    bodies = _anchor(gateway.url, token, filings)
                    took = time.perf_counter() - started
                    log(f"served: anchored {filings:,} filings through the API in {took:.1f} s")
                run: dict[str, Any] = {"generator": _generator_load(gateway.url, bodies, concurrency, seconds)}
                peaks.add(f"load generator (serve --workers {count})", run["generator"].get("generatorPeakRssBytes"))
                wrk = wrk_load(gateway.url, bodies, concurrency=concurrency, seconds=seconds)
                if wrk is not None:
                    run["wrk"] = wrk
                    if "peakRssBytes" in wrk:
                        peaks.add(f"wrk (serve --workers {count})", wrk["peakRssBytes"])
                gateway.read_peaks(peaks)
                out["runs"][str(count)] = run
                shown = run["generator"]
                log(
                    f"served, {count} worker(s): {shown['requestsPerSecond']} verifications/s, p99 {shown['p99Ms']} ms"
                    + (f"; wrk {wrk.get('requestsPerSecond')} req/s" if wrk else "")
                )
            except BaseException:
                out["log"] = server_log.read_text(errors="replace")[-4000:]
                raise
            finally:
                gateway.stop()
    out["processes"] = peaks.processes
    out["load"] = "wrk" if all("requestsPerSecond" in r.get("wrk", {}) for r in out["runs"].values()) else "generator"
    # wrk when it ran: the bench's own generator is one Python process and tops out near 2,500 req/s on these
    # machines, so past that it measures itself (BENCHMARKS.md, the quiet run).
    one, many = (out["runs"][key][out["load"]] for key in ("1", str(workers)))
    out["requestsPerSecond"] = many["requestsPerSecond"]
    out["timesOneWorker"] = (
        round(many["requestsPerSecond"] / one["requestsPerSecond"], 2) if one["requestsPerSecond"] else None
    )
    out["errors"] = sum(
        r["generator"]["transportErrors"] + r["generator"]["requests"] - r["generator"]["ok"]
        for r in out["runs"].values()
    )
    return out
