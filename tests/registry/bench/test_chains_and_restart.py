"""The two stand-alone measurements of ``registry.bench`` run and report consistent numbers.

``python -m registry.bench.chains`` (one-by-one against batched, issue 4) and ``python -m
registry.bench.restart`` (the durable embedded chain's restart, issue 7) are tools people run;
a tiny run of each checks that every row is there and the numbers add up. Speed is never asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.bench import chains, restart
from registry.ledger.chain import Chain


def test_chains_measures_every_way_with_gas_from_the_receipts() -> None:
    rows = chains.measure(Chain.embedded(), single=3, batched=120)
    assert list(rows) == ["one by one", *(f"batches of {size:,}" for size in chains.BATCH_SIZES)]
    assert all(rate > 0 for rate, _ in rows.values())
    one_by_one_gas = rows["one by one"][1]
    # A stored anchor costs tens of thousands of gas; a filing in a batch a few thousand at most.
    assert one_by_one_gas > 20_000
    assert all(gas < one_by_one_gas / 5 for way, (_, gas) in rows.items() if way != "one by one")


def test_chains_prints_one_table_for_the_embedded_chain(capsys: pytest.CaptureFixture[str]) -> None:
    assert chains.main(["--single", "2", "--batched", "100"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["chain", "way", "filings/s", "gas/filing"]
    assert sum(line.startswith("embedded") for line in lines) == 1 + len(chains.BATCH_SIZES)
    assert "batched ÷ one-by-one" in lines[-1]


def test_restart_times_each_restart_and_the_chain_comes_back_whole(tmp_path: Path) -> None:
    result = restart.run(200, tmp_path, full_replay=True)
    assert result["filings"] == 200
    assert result["blocks"] > 0
    for key in ("restart_after_crash_seconds", "restart_after_clean_close_seconds", "restart_journal_only_seconds"):
        assert result[key] >= 0
    assert result["journal_mb"] > 0 and result["snapshot_mb"] > 0
