"""The soak (scripts/soak.py) in short: concurrent anchoring and verification against a real server,
no errors, nothing acknowledged lost, memory flat. The five-minute run is ``scripts/soak.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.support import soak

pytestmark = pytest.mark.slow


def test_a_short_soak_serves_everything_loses_nothing_and_keeps_memory_flat(tmp_path: Path) -> None:
    report = soak.run_soak(seconds=15, anchor_clients=2, verify_clients=2, work_dir=tmp_path, warmup=5, http_sample=400)
    print()
    for line in report.lines():
        print(line)
    assert report.errors == {}, report.error_samples
    assert report.requests.get("batch", 0) > 0 and report.requests.get("single", 0) > 0
    assert report.requests.get("verify", 0) > 0 and report.requests.get("application", 0) > 0
    assert report.filings_acknowledged > 0
    assert report.filings_lost == 0, report.lost_sample
    assert report.rss_ratio_end_to_warm <= 1.5, report.rss_kb
