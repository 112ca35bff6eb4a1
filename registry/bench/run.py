"""The benchmark run: every measurement of issue 6 side by side, in one process, on one chain.

Ratios are only meaningful within one run (the machine is shared, absolute times drift between
runs), so one :func:`run_bench` measures the naive baseline and the fast paths on the same chain,
then serves the index it built and measures verification against its own baseline, and reports
the index's size, the rebuild speed and the memory used. The result is a JSON-ready dict;
:mod:`registry.bench.report` prints it.

How the synthetic filings are shared out: a small sample goes one by one (naive, then our client),
one batch of 1,000 filings without claim or digest measures the gas target of docs/spec/gas.md#targets, then 10 % of
the rest go in batches of 100, 25 % in batches of 1,000, and the remainder in batches as large as a
transaction allows — the way a year of filings would travel.
"""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import os
import platform
import resource
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.bench.anchoring import (
    BenchLedger,
    ModeResult,
    anchor_batched,
    anchor_naive,
    anchor_plain_batch,
    anchor_single,
    compare_chain_dbs,
    open_ledger,
)
from registry.bench.memory import ProcessPeaks, descendants, peak_rss_bytes
from registry.bench.prepare import Preparer, init_worker
from registry.bench.served import served_verification
from registry.bench.synthetic import OFFICES, SyntheticSet, generate
from registry.bench.verification import eth_call_baseline, run_http_load, serve, verification_bodies
from registry.index import LOG_CHUNK, Index

if TYPE_CHECKING:
    from registry.service import RegistryService

#: Builds the ASGI app the HTTP load measures over a service. The CLI passes
#: registry.cli.serve.bench_app: the library never imports the web facade (the import contracts).
AppFactory = Callable[["RegistryService"], Any]

__all__ = ["DEFAULT_FILINGS", "DISK_CHAIN_FROM", "AppFactory", "BenchConfig", "chain_db_for", "run_bench"]

#: A default run takes about a minute on a 2-core machine.
DEFAULT_FILINGS = 30_000
#: From this many filings the chain's database is on disk unless asked otherwise (``chain_db`` "auto"):
#: in memory it holds ~170 B a filing (3.4 GB at 20 M), while a full year of patents (3.7 M) stays
#: comparable with the runs before it.
DISK_CHAIN_FROM = 4_000_000
#: A summed peak RSS under this, with 20 M filings (issue 18).
SUMMED_RSS_GOAL = 4 * 10**9
ALL_IP_FILINGS = 20_000_000
_PLAIN_BATCH = 1_000
_BODIES = 2_000


@dataclass(frozen=True)
class BenchConfig:
    """What to run: how many filings, how long the HTTP load lasts, how many clients it has."""

    filings: int = DEFAULT_FILINGS
    seed: int = 2024
    http_seconds: float = 5.0
    concurrency: int = 32
    workers: int | None = None
    """Worker processes preparing filings; default: one per core beyond the one driving the chain."""
    baseline_seconds: float = 3.0
    serve_workers: int | None = None
    """``prioreg serve --workers`` of the served measurement; default: one per core."""
    served_filings: int = 10_000
    """Filings anchored through the served gateway for its verification load (at most ``filings``)."""
    chain_db: str = "auto"
    """Where the embedded chain keeps py-evm's database: ``memory``, ``disk`` (a SQLite file in the run's
    temporary directory, :class:`registry.ledger.embedded.DiskDB`) or ``auto`` (disk from :data:`DISK_CHAIN_FROM`)."""
    compare_chain_dbs: int = 50_000
    """Filings anchored on a fresh memory chain and a fresh disk chain, to compare their cost (0: none)."""


def chain_db_for(config: BenchConfig) -> str:
    """``memory`` or ``disk``: what ``config.chain_db`` means for its filings."""
    if config.chain_db == "auto":
        return "disk" if config.filings >= DISK_CHAIN_FROM else "memory"
    if config.chain_db not in ("memory", "disk"):
        raise ValueError(f"chain_db is memory, disk or auto, not {config.chain_db!r}")
    return config.chain_db


@dataclass(frozen=True)
class _Plan:
    naive: range
    single: range
    plain: tuple[int, ...]
    batch100: range
    batch1000: range
    batch_max: range


def _plan(filings: SyntheticSet) -> _Plan:
    n = len(filings)
    naive = range(0, min(n, max(2, min(100, n // 300))))
    single = range(naive.stop, min(n, naive.stop + max(2, min(200, n // 150))))
    rest = n - single.stop
    batch100 = range(single.stop, single.stop + min(rest // 10, 20_000))
    batch1000 = range(batch100.stop, batch100.stop + min(rest // 4, 200_000))
    batch_max = range(batch1000.stop, n)
    # The plain batch: filings of the largest office without claim or digest, from the last share.
    plain: list[int] = []
    for i in reversed(batch_max):
        if filings.office_index[i] == 0 and not filings.digest[i] and not filings.claims(i):
            plain.append(i)
            if len(plain) == _PLAIN_BATCH:
                break
    return _Plan(naive, single, tuple(sorted(plain)), batch100, batch1000, batch_max)


def _machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memoryBytes": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc), 0 where unknown."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_bench(
    config: BenchConfig,
    *,
    http: bool = True,
    app_for: AppFactory | None = None,
    log: Callable[[str], None] = lambda _message: None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every measurement and return the results (the JSON of ``bench/results.json``).

    ``http`` False skips the HTTP load (the smoke test); with it, ``app_for(service)`` builds the
    app that is served and loaded (``prioreg bench`` passes the gateway's). ``progress(done,
    total)`` follows the largest share.
    """
    if http and app_for is None:
        raise ValueError("the HTTP load needs app_for, the factory of the app it measures")
    if config.filings < 1:
        raise ValueError("a bench needs at least one filing")
    started_at = _dt.datetime.now(_dt.UTC)
    t0 = time.perf_counter()
    seeds = {office: secrets.token_bytes(32) for office in OFFICES}
    workers = config.workers if config.workers is not None else max(1, (os.cpu_count() or 1) - 1)
    pool = None
    warming: list[Future[int]] = []
    if workers > 0:
        # spawn, not fork: the parent holds a chain and threads; the worker needs neither. Started
        # first: each worker generates its own copy of the set while this process generates its own.
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(config.filings, config.seed, seeds),
        )
        warming = [pool.submit(_warm_up, n) for n in range(workers)]
    filings = generate(config.filings, config.seed)
    preparer = Preparer(filings, seeds)
    plan = _plan(filings)
    log(f"generated {len(filings):,} filings in {time.perf_counter() - t0:.1f} s")
    # The main process's RSS after each phase: where its peak comes from (issue 18).
    phases: dict[str, int] = {"generated": _rss_bytes()}
    chain_db = chain_db_for(config)
    peaks = ProcessPeaks()
    results: dict[str, Any] = {
        "meta": {
            "filings": len(filings),
            "seed": config.seed,
            "startedAt": started_at.isoformat(timespec="seconds"),
            "workers": workers,
            "machine": _machine(),
            "chain": "embedded (eth-tester on py-evm, "
            + ("in memory)" if chain_db == "memory" else "its database in a SQLite file)"),
            "chainDb": chain_db,
        }
    }
    with tempfile.TemporaryDirectory(prefix="prioreg-bench-") as tmp:
        disk_path = Path(tmp) / "chain.sqlite" if chain_db == "disk" else None
        ledger = open_ledger(str(Path(tmp) / "index.sqlite"), chain_db=disk_path)
        if pool is not None:
            for warm in warming:
                warm.result()  # the workers are up, their sets generated, before anything is timed
            # One more process, where the index decodes and checks batches (Index.sync executor):
            # the main process, which sends and indexes, is the busier one; this work is pure.
            ledger.checker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            ledger.checker.submit(_load_index_module).result()  # imported before anything is timed
        try:
            phases["ledgerOpen"] = _rss_bytes()
            modes = _anchor_all(ledger, preparer, pool, plan, log, progress)
            phases["anchored"] = _rss_bytes()
            index_section = _index_section(ledger, tmp, log)
            phases["indexRebuilt"] = _rss_bytes()
            compared = _compare_chain_dbs(preparer, plan, config.compare_chain_dbs, Path(tmp), log)
            phases["chainDbsCompared"] = _rss_bytes()
        finally:
            _read_pool_peaks(peaks, pool, ledger.checker)
            for executor in (pool, ledger.checker):
                if executor is not None:
                    executor.shutdown()
        results["anchoring"] = {name: mode.to_json() for name, mode in modes.items()}
        naive = modes["naive"].filings / modes["naive"].seconds if modes["naive"].seconds else 0.0
        for name, mode in modes.items():
            rate = mode.filings / mode.seconds if mode.seconds else 0.0
            results["anchoring"][name]["timesNaive"] = round(rate / naive, 1) if naive else None
        results["stages"] = _stages(preparer, plan, modes["batchMax"], workers)
        if ledger.disk_db is not None:
            ledger.disk_db.flush()
            results["stages"]["chainDbBytes"] = ledger.disk_db.size_bytes()
        if compared is not None:
            results["chainDb"] = compared
        results["index"] = index_section
        results["verification"] = _verification(ledger, preparer, plan, config, app_for if http else None, log)
        main_peak = _peak_rss_bytes()
        results["memory"] = {
            "peakRssBytes": main_peak,
            "peakRssBytesPerFiling": round(main_peak / len(filings), 1),
            "note": "the benchmark process holds the embedded chain ("
            + ("all blocks, in memory" if chain_db == "memory" else "py-evm's database on disk, bounded caches")
            + "), the index writer and the API server",
        }
        phases["verified"] = _rss_bytes()
        results["memory"]["mainRssAfterBytes"] = phases
        verification_memory = results["verification"].pop("memory", {})
        peaks.extend(verification_memory.pop("processes", []))
        results["memory"].update(verification_memory)
        peaks.processes.insert(
            0, {"role": "main (chain, index, API server)", "pid": os.getpid(), "peakRssBytes": main_peak}
        )
        results["memory"].update(peaks.to_json())
        ledger.index.close()
        ledger.chain.close()
    results["meta"]["seconds"] = round(time.perf_counter() - t0, 1)
    results["targets"] = _targets(results)
    return results


def _warm_up(_n: int) -> int:
    return os.getpid()


def _compare_chain_dbs(
    preparer: Preparer, plan: _Plan, count: int, tmp: Path, log: Callable[[str], None]
) -> dict[str, Any] | None:
    if count <= 0:
        return None
    compared = compare_chain_dbs(preparer, plan.batch_max, count, tmp)
    log(
        f"chain db: {compared['memory']['microsPerFiling']} µs a filing in memory, "
        f"{compared['disk']['microsPerFiling']} on disk (× {compared['diskOverMemory']})"
    )
    return compared


def _read_pool_peaks(peaks: ProcessPeaks, pool: ProcessPoolExecutor | None, checker: Any) -> None:
    """The peak RSS of the bench's child processes before they are shut down: workers, checker, helpers."""
    roles: dict[int, str] = {}
    for role, executor in (("worker (preparing filings)", pool), ("checker (index checks batches)", checker)):
        # The executor's own table of its processes (no public one): pid → process.
        for pid in getattr(executor, "_processes", None) or {}:
            roles[pid] = role
    for pid in descendants(os.getpid()):
        peaks.add(roles.get(pid, "helper (multiprocessing)"), peak_rss_bytes(pid), pid)


def _anchor_all(
    ledger: BenchLedger,
    preparer: Preparer,
    pool: ProcessPoolExecutor | None,
    plan: _Plan,
    log: Callable[[str], None],
    progress: Callable[[int, int], None] | None,
) -> dict[str, ModeResult]:
    modes: dict[str, ModeResult] = {}
    modes["naive"] = anchor_naive(ledger, preparer, plan.naive)
    log(f"naive: {modes['naive'].filings} filings in {modes['naive'].seconds:.1f} s")
    modes["single"] = anchor_single(ledger, preparer, plan.single)
    log(f"single: {modes['single'].filings} filings in {modes['single'].seconds:.1f} s")
    if plan.plain:
        modes["plainBatch1000"] = anchor_plain_batch(ledger, preparer, plan.plain)
    for name, share, size in (("batch100", plan.batch100, 100), ("batch1000", plan.batch1000, 1000)):
        modes[name] = anchor_batched(ledger, preparer, pool, share, batch_size=size)
        log(f"{name}: {modes[name].filings:,} filings in {modes[name].seconds:.1f} s")
    done = 0
    timeline: list[tuple[float, int]] = [(time.perf_counter(), 0)]
    # The main process's seconds in each stage after each chunk: where the first and the last window differ.
    spent: list[tuple[int, tuple[float, ...]]] = [(0, _stage_seconds(ModeResult("batchMax")))]
    # The main process's RSS as the ledger grows, twenty samples: what grows with the filings (issue 18).
    rss: list[tuple[int, int]] = [(0, _rss_bytes())]
    every = max(1, len(plan.batch_max) // 20)

    def step(count: int, so_far: ModeResult) -> None:
        nonlocal done
        done += count
        timeline.append((time.perf_counter(), done))
        spent.append((done, _stage_seconds(so_far)))
        if done - rss[-1][0] >= every:
            rss.append((done, _rss_bytes()))
            # A line each twentieth, for whoever follows a long run in a log (the bar is transient).
            (start, _), (now, _) = timeline[0], timeline[-1]
            rate = done / (now - start) if now > start else 0.0
            log(f"batchMax: {done:,} of {len(plan.batch_max):,} filings, {rate:,.0f}/s, RSS {rss[-1][1] >> 20} MiB")
        if progress is not None:
            progress(done, len(plan.batch_max))

    modes["batchMax"] = anchor_batched(
        ledger, preparer, pool, plan.batch_max, batch_size=None, skip=frozenset(plan.plain), progress=step
    )
    log(f"batchMax: {modes['batchMax'].filings:,} filings in {modes['batchMax'].seconds:.1f} s")
    modes["batchMax"].extra["growth"] = growth(timeline) | {"stages": window_stages(spent)}
    rss.append((done, _rss_bytes()))
    modes["batchMax"].extra["mainRss"] = {"filings": [n for n, _ in rss], "bytes": [b for _, b in rss]}
    return modes


#: The window of issue 18's "anchoring over the last 100,000 filings ≥ 0.9× the first 100,000".
GROWTH_WINDOW = 100_000


def growth(timeline: list[tuple[float, int]], window: int = GROWTH_WINDOW) -> dict[str, Any]:
    """The anchoring rate over the first and the last ``window`` filings of ``timeline`` ((seconds, filings done)
    after each batch), and their ratio: does the cost per filing stay flat as the ledger grows (issue 18)?

    A run shorter than two windows compares its first and last tenth instead (``window`` says which).
    """
    total = timeline[-1][1] if timeline else 0
    if total < 2 * window:
        window = max(1, total // 10)
    if total == 0 or len(timeline) < 3:
        return {"window": window, "firstPerSecond": None, "lastPerSecond": None, "lastOverFirst": None}

    def rate(lo: int, hi: int) -> float | None:
        # The samples bracketing [lo, hi]: from the last at or before lo to the first at or after hi.
        before = max((t, n) for t, n in timeline if n <= lo)
        after = min((t, n) for t, n in timeline if n >= hi)
        seconds = after[0] - before[0]
        return (after[1] - before[1]) / seconds if seconds > 0 else None

    first, last = rate(0, window), rate(total - window, total)
    ratio = round(last / first, 3) if first and last else None
    return {
        "window": window,
        "firstPerSecond": None if first is None else round(first, 1),
        "lastPerSecond": None if last is None else round(last, 1),
        "lastOverFirst": ratio,
    }


#: The main process's stages of a batched filing, as :class:`ModeResult` times them.
STAGE_NAMES = ("chain", "index", "preparing", "waiting")


def _stage_seconds(result: ModeResult) -> tuple[float, ...]:
    """The stages' seconds so far, then the workers' CPU seconds and the filings prepared here."""
    return (
        result.chain_seconds,
        result.index_seconds,
        result.preparing_seconds,
        result.waiting_seconds,
        result.worker_seconds,
        float(result.prepared_here),
    )


def window_stages(spent: list[tuple[int, tuple[float, ...]]], window: int = GROWTH_WINDOW) -> dict[str, Any]:
    """µs a filing in each stage of the main process over the first and the last ``window`` filings.

    ``spent``: (filings done, cumulative seconds of each of :data:`STAGE_NAMES`, and optionally the workers'
    CPU seconds and the filings prepared in the main process) after each chunk, from (0, zeros). The
    windows are those of :func:`growth` (a tenth of a short run), so a ratio that falls says which stage
    grew; the rest of the wall time (handing entries to the batcher, the loop) is not in any stage. The
    workers' CPU a filing they prepared (``workerCpu``) does not depend on the ledger: where it grows as
    well, the machine was slower, not the code. Chunks hand in many filings at a time and the index
    follows every half second, so a window is read from the chunk boundaries around it.
    """
    total = spent[-1][0] if spent else 0
    if total < 2 * window:
        window = max(1, total // 10)
    if total == 0 or len(spent) < 3:
        return {}

    def over(lo: int, hi: int) -> dict[str, float | None]:
        before = max((row for row in spent if row[0] <= lo), key=lambda row: row[0])
        after = min((row for row in spent if row[0] >= hi), key=lambda row: row[0])
        filings = max(1, after[0] - before[0])
        out: dict[str, float | None] = {
            f"{name}MicrosPerFiling": round(1e6 * (b - a) / filings, 1)
            for name, a, b in zip(STAGE_NAMES, before[1], after[1])  # noqa: B905 - the two extra fields follow
        }
        if len(after[1]) > len(STAGE_NAMES):
            extra = before[1][len(STAGE_NAMES) :] or (0.0, 0.0)  # a first row of the stages alone: zeros
            by_workers = filings - (after[1][-1] - extra[-1])
            worker = after[1][len(STAGE_NAMES)] - extra[0]
            out["workerCpuMicrosPerFiling"] = round(1e6 * worker / by_workers, 1) if by_workers > 0 else None
        return out

    return {"first": over(0, window), "last": over(total - window, total)}


def _stages(preparer: Preparer, plan: _Plan, batch_max: ModeResult, workers: int) -> dict[str, Any]:
    """Where a batched filing's time goes: preparing it (a sample here, one core, after the run; and the CPU
    the workers spent on theirs, with their busy share of the wall time) and the main process's share."""
    sample = range(plan.batch_max.start, min(plan.batch_max.stop, plan.batch_max.start + 2_000))
    started = time.perf_counter()
    preparer.prepare_range(sample.start, sample.stop)
    prepare = (time.perf_counter() - started) / max(1, len(sample))
    count = max(1, batch_max.filings)
    by_workers = batch_max.filings - batch_max.prepared_here
    wall = workers * batch_max.seconds
    return {
        "prepareMicrosPerFiling": round(1e6 * prepare, 1),
        "workerCpuMicrosPerFiling": round(1e6 * batch_max.worker_seconds / by_workers, 1) if by_workers > 0 else None,
        "workerBusyShare": round(batch_max.worker_seconds / wall, 3) if wall else None,
        "chainMicrosPerFiling": round(1e6 * batch_max.chain_seconds / count, 1),
        "indexMicrosPerFiling": round(1e6 * batch_max.index_seconds / count, 1),
        "waitingForWorkersMicrosPerFiling": round(1e6 * batch_max.waiting_seconds / count, 1),
        "mainPreparingMicrosPerFiling": round(1e6 * batch_max.preparing_seconds / count, 1),
        "preparedInMainProcess": batch_max.prepared_here,
        "note": "prepare = normalize + access code + commitment + claims + entry, 2,000 filings in this process after "
        "the run, one core; workerCpu = CPU time in the workers over the filings they prepared; chain = "
        "anchor_batch (sign, send, py-evm executes, receipt); index = Index.sync (logs, calldata, Merkle, SQLite); "
        "the main process prepares filings itself while the worker's next chunk is not back",
    }


def _index_section(ledger: BenchLedger, tmp: str, log: Callable[[str], None]) -> dict[str, Any]:
    stats = ledger.index.stats()
    size = ledger.index.size_bytes()
    rebuild = _rebuild(ledger, Path(tmp) / "rebuild.sqlite", stats.filings)
    log(f"index rebuilt: {rebuild['filings']:,} filings in {rebuild['seconds']} s")
    return {
        "filings": stats.filings,
        "batches": stats.batches,
        "claims": stats.claims,
        "conflicts": stats.conflicts,
        "refusedBatches": stats.refused_batches,
        "sizeBytes": size,
        "bytesPerFiling": round(size / stats.filings, 1) if stats.filings else None,
        "rebuild": rebuild,
    }


_REBUILD_SECONDS = 60.0


def _load_index_module() -> str:
    import registry.index

    return registry.index.__name__


def _rebuild(ledger: BenchLedger, path: Path, filings: int) -> dict[str, Any]:
    """A fresh index over the same chain: filings/s, and how much of the time the node took.

    The index follows the chain in steps of :data:`~registry.index.LOG_CHUNK` blocks, as it does
    when it catches up; the rebuild stops after about a minute (at a step boundary) and reports what
    it covered. The node's share is measured around every request the index makes
    (:meth:`Chain.query`); on the embedded chain those read py-evm's database directly
    (:meth:`Chain.logs`), since eth-tester's own ``eth_getLogs`` grows with the square of the chain.
    With the ledger's ``checker`` the index checks batches in that process, ahead of writing them
    (:meth:`Index.sync` ``executor``): decoding and Merkle roots on the second core.
    """
    chain = ledger.chain
    node_seconds = 0.0
    original = chain.query

    def timed(fn: Callable[[], Any]) -> Any:
        nonlocal node_seconds
        started = time.perf_counter()
        try:
            return original(fn)
        finally:
            node_seconds += time.perf_counter() - started

    head = chain.block_number()
    chain.query = timed  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        with Index(str(path), chain, ledger.address) as rebuilt:
            block = -1
            while block < head and time.perf_counter() - started < _REBUILD_SECONDS:
                block = min(head, block + LOG_CHUNK)
                rebuilt.sync(to_block=block, executor=ledger.checker)
            seconds = time.perf_counter() - started
            covered = rebuilt.stats().filings
    finally:
        chain.query = original  # type: ignore[method-assign]
    own = seconds - node_seconds
    return {
        "filings": covered,
        "blocks": block + 1,
        "complete": block == head,
        "seconds": round(seconds, 3),
        "filingsPerSecond": round(covered / seconds, 1) if seconds else None,
        "nodeSeconds": round(node_seconds, 3),
        "indexOwnFilingsPerSecond": round(covered / own, 1) if own > 0 else None,
        "matches": covered == filings if block == head else None,
    }


def _verification(
    ledger: BenchLedger,
    preparer: Preparer,
    plan: _Plan,
    config: BenchConfig,
    app_for: AppFactory | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    from registry.service import RegistryService

    stored = [*plan.naive, *plan.single]
    baseline = eth_call_baseline(ledger, preparer, stored, max_checks=2_000, seconds=config.baseline_seconds)
    log(f"baseline: {baseline['requestsPerSecond']} verifications/s")
    # The literal "one eth_call per check" of issue 18: getRecord alone, the commitment computed here.
    one_call = eth_call_baseline(
        ledger, preparer, stored, max_checks=2_000, seconds=config.baseline_seconds, one_call=True
    )
    log(f"baseline, one call a check: {one_call['requestsPerSecond']} verifications/s")
    bodies = verification_bodies(preparer, range(plan.batch100.start, len(preparer.filings)), _BODIES)
    service = RegistryService(ledger.chain, ledger.index, ledger.address)
    # In-process sanity check: the claims of the set are valid ones, so the load measures real answers.
    verdicts: Counter[str] = Counter()
    for body in bodies[:50]:
        from registry.domain.filings import ClaimInput
        from registry.domain.rules import LaterApplication
        from registry.domain.types import IpRightKind, parse_date

        p, later = body["priority"], body["later"]
        claim = ClaimInput(p["ipOfficeCode"], p["applicationNumber"], parse_date(p["filingDate"]), p["accessCode"])
        app_later = LaterApplication(
            later["ipOfficeCode"], parse_date(later["filingDate"]), IpRightKind.parse(later["ipRightKind"])
        )
        verdicts[service.verify(claim, app_later).verdict.value] += 1
    out: dict[str, Any] = {
        "baseline": baseline,
        "baselineOneCall": one_call,
        "sampleVerdicts": dict(verdicts),
        "bodies": len(bodies),
    }
    if app_for is None or not bodies:
        return out
    rss_before = _rss_bytes()
    with serve(app_for(service)) as url:
        api = run_http_load(
            url, bodies, concurrency=config.concurrency, seconds=config.http_seconds, max_requests=10**9
        )
        rss_after = _rss_bytes()
    log(f"api: {api['requestsPerSecond']} verifications/s, p99 {api['p99Ms']} ms")
    out["api"] = api
    rate = baseline["requestsPerSecond"]
    out["timesBaseline"] = round(api["requestsPerSecond"] / rate, 1) if rate else None
    # issue 18: what users run — `prioreg serve` as its own process, with one and with N workers.
    served = served_verification(
        workers=config.serve_workers or default_serve_workers(),
        filings=min(config.served_filings, config.filings),
        concurrency=config.concurrency,
        seconds=config.http_seconds,
        log=log,
    )
    served["timesBaseline"] = round(served["requestsPerSecond"] / rate, 1) if rate else None
    single = one_call["requestsPerSecond"]
    served["timesOneCallBaseline"] = round(served["requestsPerSecond"] / single, 1) if single else None
    out["served"] = served
    out["memory"] = {
        "rssBeforeServingBytes": rss_before,
        "rssAfterLoadBytes": rss_after,
        "servingGrowthBytes": rss_after - rss_before,
        "loadGeneratorPeakRssBytes": api.get("generatorPeakRssBytes"),
        "processes": [
            {"role": "load generator (in-process API)", "pid": None, "peakRssBytes": api.get("generatorPeakRssBytes")},
            *served.pop("processes", []),
        ],
    }
    return out


def default_serve_workers() -> int:
    """What ``prioreg serve`` runs by default: one process per core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 6's targets, each with the number measured and whether it is reached."""
    a = results["anchoring"]
    batch_max = a["batchMax"]
    targets: list[dict[str, Any]] = []

    def target(name: str, goal: str, value: Any, reached: bool | None) -> None:
        targets.append({"target": name, "goal": goal, "measured": value, "reached": reached})

    target(
        "batched anchoring throughput",
        "≥ 10,000 filings/s",
        batch_max["filingsPerSecond"],
        batch_max["filingsPerSecond"] >= 10_000,
    )
    target("batched vs naive one-by-one", "≥ 500×", batch_max["timesNaive"], (batch_max["timesNaive"] or 0) >= 500)
    plain = a.get("plainBatch1000")
    if plain is not None:
        target(
            f"gas per plain filing at batch {plain['filings']:,}",
            "≤ 1,500",
            plain["gasPerFiling"],
            plain["gasPerFiling"] <= 1_500 and plain["filings"] >= 1_000,
        )
    target(
        "gas per entry byte vs calldata floor (max batches)",
        "≤ 1.15×",
        batch_max["ratioToFloor"],
        batch_max["ratioToFloor"] <= 1.15,
    )
    v = results["verification"]
    if "api" in v:
        api = v["api"]
        target(
            "verification throughput (32 clients)",
            "≥ 2,000 req/s",
            api["requestsPerSecond"],
            api["requestsPerSecond"] >= 2_000,
        )
        target("verification p99 latency", "≤ 25 ms", api["p99Ms"], api["p99Ms"] <= 25)
        target("verification vs eth_call baseline", "≥ 20×", v["timesBaseline"], (v["timesBaseline"] or 0) >= 20)
    if "served" in v:
        served = v["served"]
        n = served["workers"]
        target(
            f"prioreg serve --workers {n} vs one eth_call per check (issue 18)",
            "≥ 100×",
            served["timesBaseline"],
            (served["timesBaseline"] or 0) >= 100,
        )
        target(
            f"prioreg serve --workers {n} vs --workers 1",
            "≥ 1.5×",
            served["timesOneWorker"],
            (served["timesOneWorker"] or 0) >= 1.5 if n > 1 else None,
        )
        target("errors under the served load", "0", served["errors"], served["errors"] == 0)
    grown = batch_max.get("growth") or {}
    full_year = results["meta"]["filings"] >= 3_700_000
    if grown.get("lastOverFirst") is not None:
        target(
            f"batched anchoring, last vs first {grown['window']:,} filings (issue 18)",
            "≥ 0.9× over a full year",
            grown["lastOverFirst"],
            grown["lastOverFirst"] >= 0.9 if full_year else None,
        )
    if full_year:
        target(
            "batched vs naive, full year (issue 18)",
            "≥ 800×",
            batch_max["timesNaive"],
            (batch_max["timesNaive"] or 0) >= 800,
        )
    index = results["index"]
    target("index bytes per filing", "≤ 250", index["bytesPerFiling"], (index["bytesPerFiling"] or 0) <= 250)
    target(
        "index rebuild from the chain",
        "≥ 50,000 filings/s",
        index["rebuild"]["filingsPerSecond"],
        (index["rebuild"]["filingsPerSecond"] or 0) >= 50_000,
    )
    target(
        "index rebuild, the index's own work (node time excluded)",
        "≥ 50,000 filings/s",
        index["rebuild"]["indexOwnFilingsPerSecond"],
        (index["rebuild"]["indexOwnFilingsPerSecond"] or 0) >= 50_000,
    )
    memory = results["memory"]
    filings = results["meta"]["filings"]
    target(
        "summed peak memory (RSS) of every bench process (issue 18)",
        "< 4 GB at 20 M filings",
        memory["summedPeakRssBytes"],
        memory["summedPeakRssBytes"] < SUMMED_RSS_GOAL if filings >= ALL_IP_FILINGS else None,
    )
    if "rssAfterLoadBytes" in memory:
        target(
            "process resident memory while serving (chain + index + server)",
            "< 1 GB at 3.7 M filings",
            memory["rssAfterLoadBytes"],
            memory["rssAfterLoadBytes"] < 2**30 if results["meta"]["filings"] >= 3_700_000 else None,
        )
    return targets
