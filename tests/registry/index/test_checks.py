"""Batches are checked, not trusted; chain data is input (registry.index.checks,
docs/spec/entries.md#chain-data-is-input)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from registry.domain.entries import ClaimRef, Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index
from registry.index.checks import check_batch, is_plausible_day
from registry.ledger import selectors
from registry.ledger.signing import anchor_batch_typed_data, sign_typed_data
from tests.registry.index.support import (
    DAY,
    Ledger,
    anchored,
    c,
    entry,
)


def test_a_batch_whose_root_does_not_match_its_calldata_is_refused_and_its_entries_are_not_records(
    ledger: Ledger, index: Index
) -> None:
    wrong = keccak(b"a root of other entries")
    ledger.batch("EP", [entry("forged-1"), entry("forged-2")], root=wrong)
    ledger.batch("US", [entry("honest")])
    report = index.sync()
    assert not anchored(index, c("forged-1")) and index.record(c("forged-2")) is None
    assert anchored(index, c("honest"))
    (refused,) = index.refused_batches()
    assert (refused.root, refused.office) == (wrong, "EP")
    assert "root" in refused.reason
    assert report.refused_batches == 1 and index.stats().refused_batches == 1
    # The refused batch did not take the commitment: a correct anchor of it later is a record.
    ledger.batch("EP", [entry("forged-1")])
    index.sync()
    assert anchored(index, c("forged-1"))


def test_a_batch_relayed_with_an_office_signature_is_read_from_its_input(ledger: Ledger, index: Index) -> None:
    entries = [entry("relayed-1"), entry("relayed-2")]
    tree = MerkleTree.of([encode_entry(e) for e in entries])
    packed = pack_entries(entries)
    deadline = 2**40
    nonce = ledger.view("officeNonce", b"JP")
    typed = anchor_batch_typed_data(ledger.chain.chain_id, ledger.address, "JP", tree.root, 2, packed, nonce, deadline)
    signature = sign_typed_data(ledger.offices["JP"].key, typed)
    relayer = ledger.chain.new_account()
    ledger.tx(relayer, "anchorBatchBySig", b"JP", tree.root, 2, packed, deadline, signature)
    index.sync()
    record = index.record(c("relayed-2"))
    assert record is not None and record.office == "JP" and record.batch_root == tree.root


# ── check_batch and the range checks on their own (pure: no chain, no database) ─────────────

BLOCK_DAY = DAY + dt.timedelta(days=400)


def _calldata(root: bytes, count: int, packed: bytes) -> bytes:
    return selectors.ANCHOR_BATCH + abi_encode(["bytes32", "uint32", "bytes"], [root, count, packed])


def _a_batch() -> tuple[list[Entry], bytes, bytes]:
    entries = [
        entry("k1", digest=keccak(b"d")),
        entry("k2", days=3, claims=(ClaimRef(c("older"), DAY - dt.timedelta(days=10), "EP", bytes(range(16))),)),
    ]
    packed = pack_entries(entries)
    return entries, packed, MerkleTree.of([encode_entry(e) for e in entries]).root


def test_a_batch_whose_calldata_matches_its_event_becomes_rows_and_a_tree() -> None:
    entries, packed, root = _a_batch()
    checked = check_batch(_calldata(root, 2, packed), root, b"US", 2, block_day=BLOCK_DAY)
    assert checked.reason is None
    assert checked.rows == [
        (c("k1"), int(IpRightKind.PATENT), date_to_days(DAY), keccak(b"d"), ()),
        (
            c("k2"),
            int(IpRightKind.PATENT),
            date_to_days(DAY) + 3,
            None,
            (("EP", c("older"), date_to_days(DAY) - 10, bytes(range(16))),),
        ),
    ]
    assert checked.tree is not None and checked.tree.tree.root == root
    assert checked.tree.entries == [encode_entry(e) for e in entries]
    # In a process pool the tree stays behind: only the rows travel back.
    assert check_batch(_calldata(root, 2, packed), root, b"US", 2, keep_tree=False).tree is None


def _by_signature(office: bytes) -> bytes:
    """``anchorBatchBySig`` calldata of the batch of :func:`_a_batch`, relayed for ``office``."""
    _entries, packed, root = _a_batch()
    types = ["bytes2", "bytes32", "uint32", "bytes", "uint256", "bytes"]
    return selectors.ANCHOR_BATCH_BY_SIG + abi_encode(types, [office, root, 2, packed, 2**40, b"sig"])


def test_a_batch_relayed_for_its_own_office_is_read_from_the_signed_call() -> None:
    _entries, _packed, root = _a_batch()
    assert check_batch(_by_signature(b"US"), root, b"US", 2).reason is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"count": 0}, "out of range"),
        ({"count": 2**32}, "out of range"),
        ({"data": None}, "not sent to the registry"),
        ({"data": b"\x12\x34\x56\x78" + bytes(64)}, "not a call of anchorBatch"),
        ({"data": selectors.ANCHOR_BATCH + b"\x01\x02"}, "does not decode"),
        ({"sent_root": keccak(b"other")}, "another batch"),
        ({"data": _by_signature(b"EP")}, "another batch"),
        ({"count": 3}, "the event counts 3 entries"),
        ({"packed": b"\x00" * 38}, "do not decode"),
        ({"block_day": DAY - dt.timedelta(days=5)}, "not plausible"),
        ({"root": keccak(b"other")}, "hash to root"),
    ],
)
def test_a_batch_that_does_not_match_its_event_is_refused_with_the_reason(change: dict[str, Any], reason: str) -> None:
    _entries, packed, root = _a_batch()
    given = {"root": root, "count": 2, "packed": packed, "block_day": BLOCK_DAY, **change}
    data = change["data"] if "data" in change else _calldata(given.get("sent_root", given["root"]), 2, given["packed"])
    checked = check_batch(data, given["root"], b"US", given["count"], block_day=given["block_day"])
    assert checked.reason is not None and reason in checked.reason
    assert checked.rows == [] and checked.tree is None


def test_a_day_count_is_plausible_from_the_paris_convention_to_the_day_after_its_block() -> None:
    block_day = dt.date(2024, 3, 1)
    assert is_plausible_day(date_to_days(block_day) + 1, block_day)
    assert not is_plausible_day(date_to_days(block_day) + 2, block_day)
    assert is_plausible_day(date_to_days(dt.date(1970, 1, 2)), block_day)
    # Before 1970 a uint32 cannot go; 0 and the largest counts are refused, never turned into dates.
    for days in (0, 2**32 - 1, 10**9):
        assert not is_plausible_day(days, block_day)
    assert not is_plausible_day(date_to_days(block_day), None)  # a block whose day is unknown
