"""The index on a real node: anvil, reorganised with ``anvil_reorg``
(docs/design.md#p3-the-ledger-is-the-only-source-of-truth and docs/design.md#p11-same-code-any-evm)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from registry import errors
from registry.domain.entries import Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from tests.support import anvil as anvil_support
from tests.support.anvil import rpc, running_anvil

DAY = dt.date(2024, 3, 1)
ZERO = bytes(32)


@pytest.fixture
def node() -> Iterator[str]:
    with running_anvil() as url:
        yield url


def entry(label: str, days: int = 0) -> Entry:
    return Entry(keccak(text=label), IpRightKind.PATENT, DAY + dt.timedelta(days=days))


class Registry:
    """The contract on anvil with offices EP and US."""

    def __init__(self, url: str) -> None:
        self.chain = Chain.connect(url, funder_key=ANVIL_DEV_KEY)
        self.registrar = self.chain.new_account()
        self.address = self.chain.deploy_registry(self.registrar)
        self.contract = self.chain.registry_contract(self.address)
        self.offices: dict[str, LocalAccount] = {}
        for code in ("EP", "US"):
            self.offices[code] = self.chain.new_account()
            self.call(self.registrar, "admitOffice", code.encode(), self.offices[code].address)

    def data(self, fn: str, *args: Any) -> bytes:
        return bytes(HexBytes(getattr(self.contract.functions, fn)(*args)._encode_transaction_data()))

    def call(self, account: LocalAccount, fn: str, *args: Any) -> None:
        self.chain.send(account, to=self.address, data=self.data(fn, *args))

    def batch(self, office: str, entries: list[Entry]) -> tuple[MerkleTree, list[bytes]]:
        encoded = [encode_entry(e) for e in entries]
        tree = MerkleTree.of(encoded)
        self.call(self.offices[office], "anchorBatch", tree.root, len(entries), pack_entries(entries))
        return tree, encoded

    def rebuilt(self) -> dict[str, list[tuple[Any, ...]]]:
        with Index(":memory:", self.chain, self.address) as fresh:
            fresh.sync()
            return fresh.dump()


@pytest.mark.anvil
def test_an_anvil_reorg_of_depth_three_is_rolled_back_and_the_index_equals_the_chain(node: str) -> None:
    reg = Registry(node)
    us = reg.offices["US"]
    with Index(":memory:", reg.chain, reg.address) as index:
        tree, encoded = reg.batch("EP", [entry("kept"), entry("amended-then-orphaned")])
        index.sync()
        fork_head = reg.chain.block_number()
        us_nonce = reg.chain.w3.eth.get_transaction_count(us.address)

        # Three blocks that the reorganisation will replace.
        reg.batch("US", [entry("orphaned")])
        reg.call(
            reg.offices["EP"],
            "anchorFiling",
            (
                keccak(text="orphaned-stored"),
                1,
                date_to_days(DAY),
                ZERO,
                [(b"EP", keccak(text="kept"), date_to_days(DAY), bytes(16))],
            ),
        )
        reg.call(
            reg.offices["EP"],
            "amendFiling",
            keccak(text="amended-then-orphaned"),
            date_to_days(DAY) + 1,
            ZERO,
            (tree.root, encoded[1], tree.proof(1)),
        )
        index.sync()
        assert index.contains("US", keccak(text="orphaned"))
        assert index.claimed_by("EP", keccak(text="kept")) != ()
        assert reg.chain.block_number() == fork_head + 3

        # The other branch: US anchors a different batch (same nonce as its orphaned one) in its 2nd block.
        other = [entry("new-branch"), entry("orphaned-stored", days=4)]
        other_tree = MerkleTree.of([encode_entry(e) for e in other])
        raw = us.sign_transaction(
            {
                "nonce": us_nonce,
                "gas": 2_000_000,
                "gasPrice": 2 * reg.chain.gas_price(),
                "to": reg.address,
                "value": 0,
                "data": reg.data("anchorBatch", other_tree.root, len(other), pack_entries(other)),
                "chainId": reg.chain.chain_id,
            }
        ).raw_transaction
        rpc(node, "anvil_reorg", [3, [["0x" + bytes(raw).hex(), 1]]])
        for account in (us, reg.offices["EP"]):
            reg.chain.forget_nonce(account.address)
        assert reg.chain.block_number() == fork_head + 3

        report = index.sync()

        assert report.rolled_back == 3
        assert not index.contains("US", keccak(text="orphaned"))
        assert index.claimed_by("EP", keccak(text="kept")) == ()
        amended = index.record(keccak(text="amended-then-orphaned"), "EP")
        assert amended is not None and amended.version == 1
        assert index.record(keccak(text="orphaned-stored"), "EP") is None
        moved = index.record(keccak(text="orphaned-stored"), "US")
        assert moved is not None and moved.office == "US" and moved.batch_root == other_tree.root
        assert moved.block_number == fork_head + 2
        assert index.dump() == reg.rebuilt()


def test_a_missing_anvil_skips_on_a_developer_machine_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(anvil_support, "ANVIL", tmp_path / "no-anvil-here")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        anvil_support.require_anvil()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the anvil tests"):
        anvil_support.require_anvil()


@pytest.mark.anvil
def test_an_unreachable_node_is_reported_and_what_was_indexed_stays_readable() -> None:
    with running_anvil() as url:
        reg = Registry(url)
        reg.batch("EP", [entry("before the outage")])
        index = Index(":memory:", reg.chain, reg.address)
        index.sync()
    with index:
        with pytest.raises(errors.LedgerUnavailable):
            index.sync()
        assert index.contains("EP", keccak(text="before the outage"))
        assert index.stats().filings == 1
