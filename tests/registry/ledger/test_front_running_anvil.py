"""Front-running on a real node (docs/spec/entries.md#uniqueness-is-per-office,
docs/design.md#p9-no-office-can-hurt-another): no office can hurt another.

anvil runs with automine off, so a transaction waits in the mempool where anyone can read it. A
copier office takes the victim's pending input (a single filing, a batch, or a relayed signed
batch) and sends it first, from its own key, at a higher gas price; then one block is mined with
both. Under spec version 1 the copier's copy landed first and the victim's reverted (the
commitment or root was taken). Now the victim's transaction succeeds, its filing is in the index
as the victim's with a proof that checks on chain, and the copier holds at most the same 32 bytes
as a record of its own, which a verification of the victim's office never looks at.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from registry.domain.entries import Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from registry.ledger.client import RegistryClient, filing_message
from tests.support.anvil import rpc, running_anvil

pytestmark = pytest.mark.anvil

DAY = dt.date(2024, 3, 1)


@pytest.fixture
def node() -> Iterator[str]:
    with running_anvil() as url:
        yield url


class Mempool:
    """The registry on anvil with EP (the victim) and US (the copier); blocks mined by hand."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.chain = Chain.connect(url, funder_key=ANVIL_DEV_KEY)
        self.registrar = self.chain.new_account()
        self.address = self.chain.deploy_registry(self.registrar)
        self.contract = self.chain.registry_contract(self.address)
        self.offices: dict[str, LocalAccount] = {}
        for code in ("EP", "US"):
            self.offices[code] = self.chain.new_account()
            self.chain.send(
                self.registrar,
                to=self.address,
                data=self.data("admitOffice", code.encode(), self.offices[code].address),
            )
        self.relayer = self.chain.new_account()
        rpc(url, "evm_setAutomine", [False])

    def data(self, fn: str, *args: Any) -> bytes:
        return bytes(HexBytes(getattr(self.contract.functions, fn)(*args)._encode_transaction_data()))

    def submit(self, account: LocalAccount, data: bytes, *, price_factor: int = 1) -> str:
        """Put a transaction in the mempool (not mined): returns its hash."""
        price = max(self.chain.gas_price(), 10**9) * price_factor
        raw, _nonce = self.chain.sign(account, to=self.address, data=data, gas=3_000_000, gas_price=price)
        return "0x" + bytes(self.chain.w3.eth.send_raw_transaction(raw)).hex()

    def pending_input(self, tx_hash: str) -> bytes:
        """What anyone reads off the mempool: the pending transaction's input."""
        tx = self.chain.w3.eth.get_transaction(HexBytes(tx_hash))
        assert tx["blockNumber"] is None, "the victim's transaction must still be pending"
        return bytes(tx["input"])

    def mine(self, *hashes: str) -> list[Any]:
        rpc(self.url, "evm_mine", [])
        return [self.chain.w3.eth.get_transaction_receipt(HexBytes(h)) for h in hashes]

    def index(self) -> Index:
        index = Index(":memory:", self.chain, self.address)
        index.sync()
        return index


def _entry(label: str, days: int = 0) -> Entry:
    return Entry(keccak(text=label), IpRightKind.PATENT, DAY + dt.timedelta(days=days))


def _victim_holds_it(pool: Mempool, index: Index, commitment: bytes, root: bytes | None) -> None:
    record = index.record(commitment, "EP")
    assert record is not None and record.office == "EP"
    facts = index.facts("EP", commitment)
    assert facts is not None and facts.office == "EP" and facts.filing_date == DAY
    assert [c for c in index.conflicts(commitment) if c.office == "EP"] == []
    if root is not None:
        assert record.inclusion is not None and record.inclusion.root == root
        assert pool.contract.functions.verifyInclusion(
            b"EP", root, record.inclusion.entry, list(record.inclusion.proof)
        ).call()
    else:
        assert pool.contract.functions.getRecord(b"EP", commitment).call()[0] == b"EP"


def test_a_copied_pending_single_filing_sent_first_costs_the_victim_nothing(node: str) -> None:
    pool = Mempool(node)
    entry = _entry("single")
    victim = pool.submit(pool.offices["EP"], pool.data("anchorFiling", filing_message(entry).as_abi()))
    copied = pool.submit(pool.offices["US"], pool.pending_input(victim), price_factor=5)
    victim_receipt, copier_receipt = pool.mine(victim, copied)
    # Both in the same block, the copy first (it paid more): the victim's still succeeds.
    assert victim_receipt["blockNumber"] == copier_receipt["blockNumber"]
    assert copier_receipt["transactionIndex"] < victim_receipt["transactionIndex"]
    assert (victim_receipt["status"], copier_receipt["status"]) == (1, 1)
    with pool.index() as index:
        _victim_holds_it(pool, index, entry.commitment, None)
        # The copier holds the same bytes as its own record: nothing that counts for EP.
        copy = index.record(entry.commitment, "US")
        assert copy is not None and copy.office == "US"
        assert index.holders(entry.commitment) == ("US", "EP")


def test_a_copied_pending_batch_sent_first_costs_the_victim_nothing(node: str) -> None:
    pool = Mempool(node)
    entries = [_entry(f"batch-{i}") for i in range(20)]
    tree = MerkleTree.of([encode_entry(e) for e in entries])
    victim = pool.submit(pool.offices["EP"], pool.data("anchorBatch", tree.root, len(entries), pack_entries(entries)))
    copied = pool.submit(pool.offices["US"], pool.pending_input(victim), price_factor=5)
    victim_receipt, copier_receipt = pool.mine(victim, copied)
    assert copier_receipt["transactionIndex"] < victim_receipt["transactionIndex"]
    assert (victim_receipt["status"], copier_receipt["status"]) == (1, 1)
    with pool.index() as index:
        for i in (0, 7, 19):
            _victim_holds_it(pool, index, entries[i].commitment, tree.root)
        assert index.refused_batches() == ()
    assert pool.contract.functions.getBatch(b"EP", tree.root).call()[0] == b"EP"


def test_a_relayed_signed_batch_copied_from_the_mempool_gains_the_copier_nothing(node: str) -> None:
    pool = Mempool(node)
    entries = [_entry(f"signed-{i}") for i in range(10)]
    client = RegistryClient(pool.chain, pool.address, pool.offices["EP"])
    signed = client.sign_batch("EP", entries, deadline=int(time.time()) + 3600)
    relay_data = pool.data(
        "anchorBatchBySig", b"EP", signed.root, signed.count, signed.entries, signed.deadline, signed.signature
    )
    victim = pool.submit(pool.relayer, relay_data)
    seen = pool.pending_input(victim)
    # The copier decodes the relayed call and sends its batch as its own, first.
    _fn, args = pool.contract.decode_function_input(seen)
    as_own = pool.submit(
        pool.offices["US"], pool.data("anchorBatch", args["root"], args["count"], args["entries"]), price_factor=5
    )
    victim_receipt, copier_receipt = pool.mine(victim, as_own)
    assert copier_receipt["transactionIndex"] < victim_receipt["transactionIndex"]
    assert (victim_receipt["status"], copier_receipt["status"]) == (1, 1)
    # Or it sends the relayed input verbatim, first: that anchors the batch for EP, as EP signed it.
    again = [_entry(f"signed-again-{i}") for i in range(10)]
    signed = client.sign_batch("EP", again, deadline=int(time.time()) + 3600)
    relay_data = pool.data(
        "anchorBatchBySig", b"EP", signed.root, signed.count, signed.entries, signed.deadline, signed.signature
    )
    victim = pool.submit(pool.relayer, relay_data)
    verbatim = pool.submit(pool.offices["US"], pool.pending_input(victim), price_factor=5)
    victim_receipt, copier_receipt = pool.mine(victim, verbatim)
    assert copier_receipt["status"] == 1  # EP's batch, sent by US: EP holds it
    with pool.index() as index:
        for batch in (entries, again):
            root = MerkleTree.of([encode_entry(e) for e in batch]).root
            for e in (batch[0], batch[-1]):
                _victim_holds_it(pool, index, e.commitment, root)
        assert index.record(again[0].commitment, "US") is None  # the verbatim copy gave US nothing
        assert index.refused_batches() == ()
