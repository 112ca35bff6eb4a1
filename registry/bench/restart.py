"""How long the durable embedded chain takes to restart after N filings were anchored (issue 7).

Run: ``.venv/bin/python -m registry.bench.restart --filings 100000 [--dir DIR] [--full-replay]``.

Anchors N filings in max-size batches (``RegistryClient.anchor_batch`` on ``Chain.embedded``) with
the default snapshot policy, then times three restarts: after a crash (the state dir copied while
the chain was still running: the last periodic snapshot and the journal after it), after a clean
close (snapshot on close), and — with ``--full-replay`` — from the journal alone, as before
snapshots existed. Prints one JSON line. A measurement, not a test (the restart's correctness is
tested in ``tests/reliability/test_crash.py`` and ``tests/registry/ledger/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.ledger import embedded
from registry.ledger.chain import Chain
from registry.ledger.client import deploy

BATCH_CALL = 4 * 3_157  # four max-size batch transactions per anchor_batch call


def _entry(i: int) -> Entry:
    return Entry(i.to_bytes(32, "big"), IpRightKind.PATENT, dt.date(2020, 1, 1) + dt.timedelta(days=i % 1000))


def _timed_open(state_dir: Path, policy: embedded.SnapshotPolicy | None = None) -> tuple[float, int]:
    saved = embedded.DEFAULT_SNAPSHOT_POLICY
    if policy is not None:
        embedded.DEFAULT_SNAPSHOT_POLICY = policy
    try:
        started = time.perf_counter()
        chain = Chain.embedded(state_dir)
        seconds = time.perf_counter() - started
        head = chain.block_number()
        journal = chain._journal
        if journal is not None and journal._snapshots is not None and journal._snapshots._writer is not None:
            journal._snapshots._writer.join()
        chain.close()
        return seconds, head
    finally:
        embedded.DEFAULT_SNAPSHOT_POLICY = saved


def run(filings: int, base: Path, *, full_replay: bool) -> dict[str, Any]:
    """Anchor ``filings`` into ``base/live`` and time the restarts; return the measurements."""
    live, crashed = base / "live", base / "crashed"
    result: dict[str, Any] = {"filings": filings}
    started = time.perf_counter()
    chain = Chain.embedded(live)
    registrar = deploy(chain, chain.new_account())
    office = chain.new_account()
    registrar.admit_office("EP", office.address)
    ep = registrar.for_account(office)
    for start in range(1, filings + 1, BATCH_CALL):
        ep.anchor_batch([_entry(i) for i in range(start, min(filings + 1, start + BATCH_CALL))])
    result["anchor_seconds"] = round(time.perf_counter() - started, 1)
    result["blocks"] = chain.block_number()
    journal = chain._journal
    assert journal is not None
    if journal._snapshots is not None and journal._snapshots._writer is not None:
        journal._snapshots._writer.join()
    shutil.copytree(live, crashed)  # what a kill -9 now would leave
    chain.close()
    result["journal_mb"] = round((live / "chain.journal").stat().st_size / 1e6, 2)
    result["snapshot_mb"] = round((live / "chain.snapshot").stat().st_size / 1e6, 2)
    covered = embedded.read_snapshot(crashed / "chain.snapshot").records if (crashed / "chain.snapshot").exists() else 0
    result["crash_snapshot_covers_records"] = covered
    result["restart_after_crash_seconds"], _ = _timed_open(crashed)
    result["restart_after_clean_close_seconds"], head = _timed_open(live)
    assert head == result["blocks"]
    if full_replay:
        result["restart_journal_only_seconds"], _ = _timed_open(live, embedded.SnapshotPolicy(enabled=False))
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="work here (default: a temporary directory)")
    parser.add_argument("--full-replay", action="store_true", help="also time a restart from the journal alone")
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=False)
        print(json.dumps(run(args.filings, args.dir, full_replay=args.full_replay)))
        return
    with tempfile.TemporaryDirectory(prefix="prioreg-restart-") as tmp:
        print(json.dumps(run(args.filings, Path(tmp), full_replay=args.full_replay)))


if __name__ == "__main__":
    main()
