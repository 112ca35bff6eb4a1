"""The benchmark's code runs and says sane things; its synthetic numbers are real numbers.

Speed is measured by ``prioreg bench``, never asserted here: a tiny run checks that every section
of the results is present and that the values are consistent (counts add up, gas is positive, the
rebuilt index equals the live one), and the generator is checked against the office modules.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from registry.bench.report import _measured
from registry.bench.synthetic import OFFICES, generate
from registry.cli import app
from registry.domain.numbers import cn, de, ep, normalize

# One worker runs this module: its tiny run (the module fixture, ~30 s) is then set up once, not
# once on each xdist worker.
pytestmark = pytest.mark.xdist_group("bench")

EXPECTED_MODES = {"naive", "single", "plainBatch1000", "batch100", "batch1000", "batchMax"}


def test_every_generated_number_normalizes_to_its_canonical_form_and_its_check_digit_verifies() -> None:
    filings = generate(6_000, seed=7)
    seen: set[tuple[str, str]] = set()
    for filing in filings:
        number = normalize(filing.office, filing.number)
        assert number.canonical == filing.canonical
        assert (number.office, number.canonical) not in seen, "two filings share one application number"
        seen.add((number.office, number.canonical))
        if filing.check_digit is not None:
            assert number.check_digit == filing.check_digit
            digits = filing.canonical[2:]
            module = {"EP": ep, "CN": cn, "DE": de}[filing.office]
            assert module.calc_check_digit(digits) == filing.check_digit
            # A wrong check digit is refused: the check digit in the written number is really checked.
            wrong = str((int(filing.check_digit) + 1) % 10) if filing.check_digit != "X" else "0"
            mistyped = filing.number[:-1] + wrong
            assert filing.number.endswith(filing.check_digit)
            assert not _accepts(filing.office, mistyped)
    assert {f.office for f in filings} == set(OFFICES)


def _accepts(office: str, number: str) -> bool:
    try:
        normalize(office, number)
    except ValueError:
        return False
    return True


def test_claims_point_to_earlier_days_and_about_half_of_the_filings_claim() -> None:
    filings = generate(4_000, seed=3)
    claiming = [f for f in filings if f.claims]
    assert 0.4 < len(claiming) / len(filings) < 0.6
    for filing in claiming:
        assert 1 <= len(filing.claims) <= 3
        assert len(set(filing.claims)) == len(filing.claims)
        for j in filing.claims:
            assert filings.filing(j).filing_date < filing.filing_date


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("bench") / "results.json"
    result = CliRunner().invoke(
        app, ["bench", "--filings", "300", "--http-seconds", "1", "--output", str(output), "--json"]
    )
    assert result.exit_code == 0, result.output
    written: dict[str, Any] = json.loads(output.read_text())
    return written


def test_a_tiny_run_reports_every_section(results: dict[str, Any]) -> None:
    assert {"meta", "anchoring", "stages", "index", "verification", "memory", "targets"} <= set(results)
    assert set(results["anchoring"]) == EXPECTED_MODES
    assert {"api", "baseline", "timesBaseline", "served"} <= set(results["verification"])
    assert results["meta"]["filings"] == 300


def test_a_tiny_run_anchors_and_indexes_every_filing_once(results: dict[str, Any]) -> None:
    anchoring = results["anchoring"]
    assert sum(mode["filings"] for mode in anchoring.values()) == 300
    index = results["index"]
    assert index["filings"] == 300
    assert index["conflicts"] == 0 and index["refusedBatches"] == 0
    assert index["rebuild"]["matches"] is True
    assert index["bytesPerFiling"] > 0


def test_a_tiny_run_reports_what_the_workers_spent_preparing(results: dict[str, Any]) -> None:
    """Which process bounds the rate: the workers' CPU over the filings they prepared, and their busy share."""
    batch_max, stages = results["anchoring"]["batchMax"], results["stages"]
    by_workers = batch_max["filings"] - batch_max["preparedInMainProcess"]
    if by_workers > 0:
        assert batch_max["workerCpuSeconds"] > 0
        assert stages["workerCpuMicrosPerFiling"] > 0
        assert 0 < stages["workerBusyShare"] <= 1.0
    else:  # a tiny run may be prepared here entirely, while the worker's first chunk is on its way
        assert batch_max["workerCpuSeconds"] == 0 and stages["workerCpuMicrosPerFiling"] is None


def test_gas_figures_are_consistent_with_the_calldata_floor(results: dict[str, Any]) -> None:
    anchoring = results["anchoring"]
    for name in ("naive", "single"):
        assert anchoring[name]["gasPerFiling"] > 20_000  # a stored record costs storage
    for name in ("plainBatch1000", "batch100", "batch1000", "batchMax"):
        mode = anchoring[name]
        assert mode["ratioToFloor"] >= 1.0  # nothing can be cheaper than the EIP-7623 floor
        assert mode["gasPerFiling"] < anchoring["single"]["gasPerFiling"]


def test_verification_answers_under_load_and_the_claims_are_valid(results: dict[str, Any]) -> None:
    verification = results["verification"]
    api = verification["api"]
    assert api["ok"] > 0 and api["ok"] == api["requests"]
    assert api["transportErrors"] == 0
    assert api["p50Ms"] <= api["p99Ms"]
    assert verification["baseline"]["checks"] > 0
    assert verification["baseline"]["matched"] == verification["baseline"]["checks"]
    # The one-call baseline computes the commitment itself and finds the same records with getRecord alone.
    one = verification["baselineOneCall"]
    assert one["calls"] == 1 and verification["baseline"]["calls"] == 2
    assert one["checks"] > 0 and one["matched"] == one["checks"]
    assert verification["served"]["timesOneCallBaseline"] > 0
    assert set(verification["sampleVerdicts"]) == {"valid"}


def test_every_target_is_reported_with_a_number(results: dict[str, Any]) -> None:
    names = [t["target"] for t in results["targets"]]
    assert len(names) == len(set(names)) >= 9
    for target in results["targets"]:
        assert target["measured"] is not None


def test_a_tiny_run_measures_prioreg_serve_with_one_and_with_n_workers(results: dict[str, Any]) -> None:
    """issue 18: verification through the real command, its own process, beside the in-process figure."""
    served = results["verification"]["served"]
    assert served["filings"] == 300 and served["workers"] >= 1
    assert set(served["runs"]) == {"1", str(served["workers"])}
    for run in served["runs"].values():
        generator = run["generator"]
        assert generator["ok"] > 0 and generator["ok"] == generator["requests"]
        assert 0 < generator["generatorCpuShare"] <= 1
    assert served["errors"] == 0
    assert served["timesBaseline"] > 0 and served["timesOneWorker"] > 0
    names = {t["target"] for t in results["targets"]}
    assert any("vs one eth_call per check (issue 18)" in name for name in names)


def test_the_growth_of_the_anchoring_rate_is_measured_over_windows() -> None:
    """issue 18: the rate over the first and the last window of filings, from the batches' timeline."""
    from registry.bench.run import growth

    steady = [(float(i), i * 1_000) for i in range(301)]  # 1,000 filings a second for 300,000 filings
    flat = growth(steady)
    assert flat["window"] == 100_000 and flat["lastOverFirst"] == 1.0
    assert flat["firstPerSecond"] == flat["lastPerSecond"] == 1000.0
    slowing = [(i * (1 + i / 100), i * 1_000) for i in range(301)]  # each batch slower than the one before
    assert growth(slowing)["lastOverFirst"] < 0.5
    short = growth([(float(i), i * 100) for i in range(101)])  # 10,000 filings: tenths instead
    assert short["window"] == 1_000 and short["lastOverFirst"] == 1.0
    assert growth([(0.0, 0)])["lastOverFirst"] is None


def test_the_stages_of_the_first_and_the_last_window_say_which_one_grew() -> None:
    """issue 18: µs a filing in each main-process stage over the windows of the growth ratio."""
    from registry.bench.run import STAGE_NAMES, window_stages

    # 300 chunks of 1,000 filings: the chain steady at 20 µs a filing, the index from 10 to 40 µs
    # (the first window's 100 chunks average 15 µs, the last's 35).
    spent = [(0, (0.0,) * len(STAGE_NAMES))]
    for i in range(1, 301):
        chain, index, preparing, waiting = spent[-1][1]
        spent.append((i * 1_000, (chain + 0.020, index + 0.010 * (1 + 3 * i / 300), preparing, waiting + 0.001)))
    windows = window_stages(spent)
    assert windows["first"]["chainMicrosPerFiling"] == windows["last"]["chainMicrosPerFiling"] == 20.0
    assert 14.0 < windows["first"]["indexMicrosPerFiling"] < 16.0
    assert 34.0 < windows["last"]["indexMicrosPerFiling"] < 36.0
    assert windows["last"]["waitingMicrosPerFiling"] == 1.0 and windows["last"]["preparingMicrosPerFiling"] == 0.0
    assert window_stages(spent[:2]) == {}
    # With the workers' CPU and the filings prepared here: 50 µs a filing the workers prepared, throughout.
    spent = [(0, (0.0,) * len(STAGE_NAMES))]  # a first row without them counts as zeros
    for i in range(1, 301):
        *times, worker, here = spent[-1][1] if i > 1 else (*spent[0][1], 0.0, 0.0)
        spent.append((i * 1_000, (*times, worker + 0.05 * 900 / 1_000, here + 100)))  # 900 of each 1,000
    windows = window_stages(spent)
    assert windows["first"]["workerCpuMicrosPerFiling"] == windows["last"]["workerCpuMicrosPerFiling"] == 50.0


def test_a_tiny_run_reports_the_growth_of_batched_anchoring(results: dict[str, Any]) -> None:
    grown = results["anchoring"]["batchMax"]["growth"]
    assert set(grown) == {"window", "firstPerSecond", "lastPerSecond", "lastOverFirst", "stages"}
    assert not grown["stages"] or set(grown["stages"]) == {"first", "last"}
    # 300 filings are one batch or two: no rate to compare, so no target row (every row carries a number).
    assert (grown["lastOverFirst"] is None) != any("last vs first" in t["target"] for t in results["targets"])


def test_a_tiny_run_sums_the_peak_memory_of_every_bench_process(results: dict[str, Any]) -> None:
    """issue 18: the summed peak RSS over the main process, the workers, the checker, the served gateways and the
    load generators, each read before it ended; a target row says whether 20 M filings fit in 4 GB."""
    memory = results["memory"]
    roles = set(memory["byRole"])
    assert {"main (chain, index, API server)", "worker (preparing filings)", "checker (index checks batches)"} <= roles
    assert any(role.startswith("prioreg serve --workers 1 (owner)") for role in roles)
    assert any(role.startswith("load generator") for role in roles)
    assert memory["unread"] == 0
    assert memory["summedPeakRssBytes"] >= memory["peakRssBytes"] > 0
    assert memory["summedPeakRssBytes"] == sum(p["peakRssBytes"] for p in memory["processes"])
    rss = results["anchoring"]["batchMax"]["mainRss"]
    assert len(rss["filings"]) == len(rss["bytes"]) >= 2 and min(rss["bytes"]) > 0
    (row,) = [t for t in results["targets"] if t["target"].startswith("summed peak memory")]
    assert row["measured"] == memory["summedPeakRssBytes"]
    assert row["reached"] is None  # informational below 20 M filings


def test_a_tiny_run_compares_the_chain_database_in_memory_and_on_disk(results: dict[str, Any]) -> None:
    compared = results["chainDb"]
    assert results["meta"]["chainDb"] == "memory"  # 300 filings: the default stays in memory
    assert compared["filings"] > 0 and compared["transactions"] >= 1
    for kind in ("memory", "disk"):
        assert compared[kind]["microsPerFiling"] > 0
    assert compared["diskOverMemory"] > 0


def test_a_worker_generates_the_same_synthetic_set_as_the_bench_from_its_count_and_seed() -> None:
    from registry.bench import prepare

    filings = generate(2_000, seed=11)
    prepare.init_worker(2_000, 11, {office: bytes(32) for office in OFFICES})
    try:
        assert prepare._WORKER is not None
        theirs = prepare._WORKER.filings
        assert [theirs.filing(i) for i in range(2_000)] == list(filings)
        ours = prepare.Preparer(filings, {office: bytes(32) for office in OFFICES})
        entries, seconds = prepare.prepare_range((1_000, 1_050))
        assert entries == ours.prepare_range(1_000, 1_050)
        assert 0 < seconds < 60
    finally:
        prepare._WORKER = None


def test_the_targets_table_never_shows_a_missed_ratio_as_its_goal() -> None:
    """A full year's last/first of 0.883 printed as "0.9" beside "≥ 0.9" and "no" (2026-12-06)."""
    assert _measured(0.883) == "0.883"
    assert _measured(1.81) == "1.810"
    assert _measured(42.04) == "42.0"
    assert _measured(14281.7) == "14,281.7"
    assert _measured(211) == "211"
    assert _measured(None) == "–"
