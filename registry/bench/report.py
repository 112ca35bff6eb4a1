"""The benchmark results as rich tables (for people) — the JSON is the record, this is the view."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["print_report"]

_MODES = {
    "naive": "naive web3 transact(), one by one",
    "single": "RegistryClient.anchor_filing, one by one",
    "plainBatch1000": "one batch of plain filings (gas target)",
    "batch100": "anchor_batch, 100 a batch",
    "batch1000": "anchor_batch, 1,000 a batch",
    "batchMax": "anchor_batch, max size (≤ 120 KB)",
}


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def _measured(value: Any) -> str:
    """A target's measured value: ratios below 10 with three decimals, so that a miss never shows as
    its goal (0.883 against "≥ 0.9" printed as 0.9), other floats with one, counts with none."""
    if isinstance(value, float):
        return _n(value, 3 if abs(value) < 10 else 1)
    return _n(value)


def _mb(value: Any) -> str:
    return "–" if not value else f"{value / 2**20:,.0f} MB"


def print_report(results: dict[str, Any], console: Console) -> None:
    """Print the anchoring, verification, index and target tables."""
    meta = results["meta"]
    machine = meta["machine"]
    console.print(
        f"[bold]prioreg bench[/] — {meta['filings']:,} filings, {machine['nproc']} cores ({machine['cpu']}), "
        f"{meta['workers']} worker process(es), {meta['seconds']} s",
        highlight=False,
    )
    anchoring = Table(title="Anchoring, end to end (normalize → commit → batch → transaction → indexed)")
    for column in (
        "mode",
        "filings",
        "txs",
        "mean batch",
        "seconds",
        "filings/s",
        "× naive",
        "gas/filing",
        "gas/entry byte",
        "× floor",
    ):
        anchoring.add_column(column, justify="left" if column == "mode" else "right")
    for name, label in _MODES.items():
        row = results["anchoring"].get(name)
        if row is None:
            continue
        anchoring.add_row(
            label,
            _n(row["filings"]),
            _n(row["transactions"]),
            _n(row.get("meanBatchSize"), 1),
            _n(row["seconds"], 2),
            _n(row["filingsPerSecond"]),
            _n(row.get("timesNaive"), 1),
            _n(row["gasPerFiling"]),
            _n(row.get("gasPerEntryByte"), 2),
            _n(row.get("ratioToFloor"), 3),
        )
    console.print(anchoring)
    grown = results["anchoring"]["batchMax"].get("growth") or {}
    if grown.get("lastOverFirst") is not None:
        console.print(
            f"batched anchoring as the ledger grows: {_n(grown['firstPerSecond'])} filings/s over the first "
            f"{grown['window']:,}, {_n(grown['lastPerSecond'])} over the last (× {grown['lastOverFirst']})",
            highlight=False,
        )
        windows = grown.get("stages") or {}
        if windows:
            console.print(
                "  main process, µs a filing over the first → the last window: "
                + ", ".join(
                    f"{key.removesuffix('MicrosPerFiling')} {windows['first'][key]} → {windows['last'][key]}"
                    for key in windows["first"]
                    if windows["first"][key] is not None and windows["last"].get(key) is not None
                ),
                highlight=False,
            )
    rss = results["anchoring"]["batchMax"].get("mainRss")
    if rss and len(rss["bytes"]) > 1:
        console.print(
            f"main process RSS over the max-size batches: {_mb(rss['bytes'][0])} at the start, "
            f"{_mb(rss['bytes'][-1])} after {rss['filings'][-1]:,} filings",
            highlight=False,
        )
    stages = results["stages"]
    console.print(
        f"per batched filing: prepare {stages['prepareMicrosPerFiling']} µs (one core, after the run), "
        + (
            f"{stages['workerCpuMicrosPerFiling']} µs of CPU in the workers (busy {stages['workerBusyShare']:.0%}), "
            if stages.get("workerCpuMicrosPerFiling") is not None and stages.get("workerBusyShare") is not None
            else ""
        )
        + f"chain {stages['chainMicrosPerFiling']} µs, index {stages['indexMicrosPerFiling']} µs, preparing "
        f"{stages['mainPreparingMicrosPerFiling']} µs (main process); "
        f"chain database {meta.get('chainDb', 'memory')}"
        + (f" ({_mb(stages['chainDbBytes'])} on disk)" if stages.get("chainDbBytes") else ""),
        highlight=False,
    )
    compared = results.get("chainDb")
    if compared is not None:
        console.print(
            f"the chain's share, {compared['filings']:,} filings on fresh chains: "
            f"{compared['memory']['microsPerFiling']} µs a filing with its database in memory, "
            f"{compared['disk']['microsPerFiling']} on disk (× {compared['diskOverMemory']})",
            highlight=False,
        )
    v = results["verification"]
    verification = Table(title="Verification of priority claims")
    for column in ("path", "requests", "req/s", "p50 ms", "p99 ms", "× baseline"):
        verification.add_column(column, justify="left" if column == "path" else "right")
    if "api" in v:
        api = v["api"]
        verification.add_row(
            f"HTTP API, {api['concurrency']} clients (separate process)",
            _n(api["ok"]),
            _n(api["requestsPerSecond"]),
            _n(api["p50Ms"], 2),
            _n(api["p99Ms"], 2),
            _n(v.get("timesBaseline"), 1),
        )
    served = v.get("served")
    if served is not None:
        rate = v["baseline"]["requestsPerSecond"]
        for count, run in served["runs"].items():
            for key, label in (("generator", "load generator"), ("wrk", "wrk -t1")):
                row = run.get(key)
                if row is None or "requestsPerSecond" not in row:
                    continue
                share = row.get("generatorCpuShare")
                verification.add_row(
                    f"prioreg serve --workers {count}, {label}"
                    + (f" (generator {100 * share:.0f} % CPU)" if share is not None else ""),
                    _n(row.get("ok", row.get("requests"))),
                    _n(row["requestsPerSecond"]),
                    _n(row["p50Ms"], 2),
                    _n(row["p99Ms"], 2),
                    _n(row["requestsPerSecond"] / rate, 1) if rate else "—",
                )
    rate = v["baseline"]["requestsPerSecond"]
    for key, label in (
        ("baseline", "web3 eth_call per check (computeCommitment + getRecord)"),
        ("baselineOneCall", "web3 eth_call per check (getRecord; commitment computed locally)"),
    ):
        check = v.get(key)
        if check is None:
            continue
        verification.add_row(
            label,
            _n(check["checks"]),
            _n(check["requestsPerSecond"]),
            _n(check["p50Ms"], 2),
            _n(check["p99Ms"], 2),
            _n(check["requestsPerSecond"] / rate, 1) if rate else "—",
        )
    console.print(verification)
    if served is not None and served.get("timesOneCallBaseline") is not None:
        console.print(
            f"prioreg serve --workers {served['workers']} ÷ one getRecord call a check: "
            f"{served['timesOneCallBaseline']}× (÷ computeCommitment + getRecord: {served['timesBaseline']}×)",
            highlight=False,
        )
    index = results["index"]
    memory = results["memory"]
    storage = Table(title="Index and memory")
    storage.add_column("measure")
    storage.add_column("value", justify="right")
    storage.add_row("filings indexed", _n(index["filings"]))
    storage.add_row("index size", _mb(index["sizeBytes"]))
    storage.add_row("index bytes per filing", _n(index["bytesPerFiling"], 1))
    rebuild = index["rebuild"]
    covered = "" if rebuild["complete"] else f" (first {rebuild['blocks']:,} blocks, {rebuild['filings']:,} filings)"
    storage.add_row(f"rebuild from the chain, filings/s{covered}", _n(rebuild["filingsPerSecond"]))
    storage.add_row(
        "rebuild, the index's own work (node time excluded), filings/s", _n(rebuild["indexOwnFilingsPerSecond"])
    )
    storage.add_row("peak resident memory (chain + index + server)", _mb(memory["peakRssBytes"]))
    if "servingGrowthBytes" in memory:
        storage.add_row("resident memory while serving", _mb(memory["rssAfterLoadBytes"]))
        storage.add_row("growth while serving", _mb(memory["servingGrowthBytes"]))
    if "summedPeakRssBytes" in memory:
        for role, peak in memory["byRole"].items():
            storage.add_row(f"  peak RSS: {role}", _mb(peak))
        storage.add_row("[bold]summed peak RSS of every bench process[/]", _mb(memory["summedPeakRssBytes"]))
    console.print(storage)
    targets = Table(title="Targets (issues 6 and 18)")
    for column in ("target", "goal", "measured", "reached"):
        targets.add_column(column)
    for t in results["targets"]:
        measured = t["measured"]
        shown = _mb(measured) if "memory" in t["target"] else _measured(measured)
        reached = {True: "[green]yes[/]", False: "[red]no[/]", None: "n/a"}[t["reached"]]
        targets.add_row(t["target"], t["goal"], shown, reached)
    console.print(targets)
