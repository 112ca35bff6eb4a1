"""One-by-one against batched anchoring with the registry client, on the embedded chain and on a node.

Issue 4 asks for filings per second of both ways on both kinds of chain (same run, same machine)
and gas per filing at batch sizes 1, 100, 1,000 and 10,000 (from receipts). The embedded chain is
always measured; ``--rpc-url`` adds a JSON-RPC node (anvil: ``node_modules/.bin/anvil --port 8545``
in another terminal), whose funder key is anvil's first development account unless
``--funder-key`` names another. Run::

    .venv/bin/python -m registry.bench.chains [--single 300] [--batched 10000] [--rpc-url URL]

Like the rest of :mod:`registry.bench`, it measures and prints; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from eth_utils.crypto import keccak

from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from registry.ledger.client import RegistryClient, deploy

__all__ = ["BATCH_SIZES", "main", "measure"]

#: The batch sizes of issue 4 (the one-by-one way is the size 1).
BATCH_SIZES = (100, 1_000, 10_000)


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
    """{way: (filings per second, gas per filing)}: ``single`` filings one by one, ``batched`` per size."""
    client = _office(chain)
    out: dict[str, tuple[float, float]] = {}
    started, gas = time.perf_counter(), 0
    for entry in _entries(single, 1):
        gas += client.anchor_filing(entry).gas_used
    out["one by one"] = (single / (time.perf_counter() - started), gas / single)
    for size in BATCH_SIZES:
        entries = _entries(batched, size)
        started, gas = time.perf_counter(), 0
        for i in range(0, batched, size):
            gas += sum(b.gas_used for b in client.anchor_batch(entries[i : i + size]))
        out[f"batches of {size:,}"] = (batched / (time.perf_counter() - started), gas / batched)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: measure, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=300, help="filings anchored one by one")
    parser.add_argument("--batched", type=int, default=10_000, help="filings anchored per batch size")
    parser.add_argument("--rpc-url", default=None, help="also measure on this JSON-RPC node (e.g. anvil)")
    parser.add_argument("--funder-key", default=ANVIL_DEV_KEY, help="the node's funded key [default: anvil's]")
    args = parser.parse_args(argv)
    rows = {"embedded": measure(Chain.embedded(), args.single, args.batched)}
    if args.rpc_url:
        chain = Chain.connect(args.rpc_url, funder_key=args.funder_key)
        try:
            rows[args.rpc_url] = measure(chain, args.single, args.batched)
        finally:
            chain.close()
    print(f"{'chain':<24}{'way':<22}{'filings/s':>12}{'gas/filing':>12}")
    for name, result in rows.items():
        for way, (rate, gas) in result.items():
            print(f"{name:<24}{way:<22}{rate:>12,.0f}{gas:>12,.0f}")
        base = result["one by one"][0]
        largest = f"batches of {BATCH_SIZES[-1]:,}"
        print(f"{'':<24}{'batched ÷ one-by-one':<22}{result[largest][0] / base:>12,.0f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
