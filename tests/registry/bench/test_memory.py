"""The bench's memory accounting (registry.bench.memory): peaks read from living processes and from
wait4, their sum, and the chain database the bench picks for its size (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from registry.bench.memory import ProcessPeaks, descendants, peak_rss_bytes, wait_peak_rss_bytes
from registry.bench.run import DISK_CHAIN_FROM, BenchConfig, chain_db_for

_HOLD_50_MB = "import time; b = bytearray(50 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep({})"


def test_the_peak_of_a_living_child_is_read_from_proc_and_counts_what_it_touched() -> None:
    child = subprocess.Popen([sys.executable, "-c", _HOLD_50_MB.format(30)])
    try:
        peak = None
        for _ in range(100):
            peak = peak_rss_bytes(child.pid)
            if peak is not None and peak > 50 * 2**20:
                break
            time.sleep(0.05)
        assert peak is not None and peak > 50 * 2**20
        assert child.pid in descendants(os.getpid())
    finally:
        child.kill()
        child.wait()


def test_the_peak_of_a_child_that_ended_comes_from_wait4() -> None:
    child = subprocess.Popen([sys.executable, "-c", _HOLD_50_MB.format(0)])
    code, peak = wait_peak_rss_bytes(child.pid)
    child.returncode = code
    assert code == 0 and peak > 50 * 2**20


def test_the_sum_counts_every_process_read_and_says_which_it_could_not_read() -> None:
    peaks = ProcessPeaks()
    peaks.add("main", 300)
    peaks.add("worker", 100, pid=1)
    peaks.add("worker", 50, pid=2)
    peaks.add("gone", None)
    shown = peaks.to_json()
    assert shown["summedPeakRssBytes"] == 450
    assert shown["byRole"] == {"main": 300, "worker": 150, "gone": 0}
    assert shown["unread"] == 1
    assert peak_rss_bytes() is not None and peak_rss_bytes(2**22 + 7) is None


def test_the_chain_database_goes_to_disk_for_large_runs_unless_asked_otherwise() -> None:
    assert chain_db_for(BenchConfig(filings=30_000)) == "memory"
    assert chain_db_for(BenchConfig(filings=DISK_CHAIN_FROM)) == "disk"
    assert chain_db_for(BenchConfig(filings=20_000_000, chain_db="memory")) == "memory"
    assert chain_db_for(BenchConfig(filings=300, chain_db="disk")) == "disk"
