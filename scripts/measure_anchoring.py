"""One-by-one vs batched anchoring with the registry client, on eth-tester and on anvil, in one run.

Issue 4 asks for filings per second of both ways on both chains (same run, same machine) and gas
per filing at batch sizes 1, 100, 1,000 and 10,000 (from receipts). Usage::

    .venv/bin/python scripts/measure_anchoring.py [--single 300] [--batched 10000]

anvil is started from node_modules on a free loopback port and stopped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_utils.crypto import keccak

from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from registry.ledger.client import RegistryClient, deploy
from tests.support.anvil import running_anvil


def _entries(n: int, salt: int) -> list[Entry]:
    day = dt.date(2024, 1, 2)
    # Commitments are hashes: random-looking bytes, as costly in calldata as real ones.
    return [Entry(keccak(f"{salt}/{i}".encode()), IpRightKind.PATENT, day) for i in range(n)]


def _office(chain: Chain) -> RegistryClient:
    registrar = deploy(chain, chain.new_account())
    key = chain.new_account()
    registrar.admit_office("JP", key.address)
    return registrar.for_account(key)


def measure(chain: Chain, single: int, batched: int) -> dict[str, tuple[float, float]]:
    """{way: (filings per second, gas per filing)}."""
    client = _office(chain)
    out: dict[str, tuple[float, float]] = {}
    started, gas = time.perf_counter(), 0
    for entry in _entries(single, 1):
        gas += client.anchor_filing(entry).gas_used
    out["one by one"] = (single / (time.perf_counter() - started), gas / single)
    for size in (100, 1_000, 10_000):
        entries = _entries(batched, size)
        started, gas = time.perf_counter(), 0
        for i in range(0, batched, size):
            gas += sum(b.gas_used for b in client.anchor_batch(entries[i : i + size]))
        out[f"batches of {size:,}"] = (batched / (time.perf_counter() - started), gas / batched)
    return out


@contextlib.contextmanager
def _anvil() -> Iterator[Chain]:
    with running_anvil() as url:
        yield Chain.connect(url, funder_key=ANVIL_DEV_KEY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=300, help="filings anchored one by one")
    parser.add_argument("--batched", type=int, default=10_000, help="filings anchored per batch size")
    args = parser.parse_args()
    rows = {"eth-tester": measure(Chain.embedded(), args.single, args.batched)}
    with _anvil() as chain:
        rows["anvil"] = measure(chain, args.single, args.batched)
    print(f"{'chain':<12}{'way':<22}{'filings/s':>12}{'gas/filing':>12}")
    for name, result in rows.items():
        for way, (rate, gas) in result.items():
            print(f"{name:<12}{way:<22}{rate:>12,.0f}{gas:>12,.0f}")
        base = result["one by one"][0]
        print(f"{'':<12}{'batched ÷ one-by-one':<22}{result['batches of 10,000'][0] / base:>12,.0f}×")


if __name__ == "__main__":
    main()
