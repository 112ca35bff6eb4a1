"""Batch anchoring (docs/spec/entries.md#merkle-tree): many packed entries in one transaction, one Merkle root stored,
inclusion proofs checked on chain with OpenZeppelin MerkleProof."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from eth_utils.crypto import keccak

from registry import errors
from registry.domain.entries import ClaimRef, Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind
from registry.index import Index
from tests.contracts.conftest import Deployment

BASE = dt.date(2024, 1, 1)


def _entries(n: int, *, seed: int = 1, with_claims: bool = False) -> list[Entry]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        claims: tuple[ClaimRef, ...] = ()
        if with_claims and i % 2:
            claims = (
                ClaimRef(keccak(b"prior" + i.to_bytes(4, "big")), BASE - dt.timedelta(days=rnd.randint(1, 360)), "EP"),
            )
        out.append(
            Entry(
                keccak(seed.to_bytes(4, "big") + i.to_bytes(4, "big")),
                IpRightKind(rnd.randint(1, 4)),
                BASE + dt.timedelta(days=rnd.randint(0, 300)),
                keccak(b"doc" + i.to_bytes(4, "big")) if with_claims and i % 3 == 0 else None,
                claims,
            )
        )
    return out


def _anchor(dep: Deployment, entries: list[Entry]) -> tuple[MerkleTree, list[bytes], int]:
    encoded = [encode_entry(e) for e in entries]
    tree = MerkleTree.of(encoded)
    sent = dep.tx(dep.offices["EP"], "anchorBatch", tree.root, len(entries), pack_entries(entries))
    return tree, encoded, sent.gas_used


def test_a_thousand_entries_anchor_in_one_transaction_and_first_middle_last_prove_on_chain(
    deployment: Deployment,
) -> None:
    entries = _entries(1000, with_claims=True)
    tree, encoded, _gas = _anchor(deployment, entries)
    batch = deployment.view("getBatch", b"EP", tree.root)
    assert batch[0] == b"EP"
    assert batch[1] == 1000
    for i in (0, 499, 999):
        assert deployment.view("verifyInclusion", b"EP", tree.root, encoded[i], tree.proof(i)) is True


def test_a_wrong_proof_or_a_foreign_entry_does_not_verify(deployment: Deployment) -> None:
    entries = _entries(100)
    tree, encoded, _gas = _anchor(deployment, entries)
    assert deployment.view("verifyInclusion", b"EP", tree.root, encoded[3], tree.proof(4)) is False
    foreign = encode_entry(_entries(1, seed=9)[0])
    assert deployment.view("verifyInclusion", b"EP", tree.root, foreign, tree.proof(3)) is False
    # A batch is EP's: under another office the same root and proof are nothing.
    assert deployment.view("verifyInclusion", b"US", tree.root, encoded[3], tree.proof(3)) is False
    assert deployment.view("verifyInclusion", b"EP", b"\x07" * 32, encoded[3], tree.proof(3)) is False
    with pytest.raises(errors.InvalidProof):
        deployment.tx(
            deployment.offices["EP"],
            "amendFiling",
            entries[3].commitment,
            19800,
            b"\x00" * 32,
            (tree.root, encoded[3], tree.proof(4)),
        )


def test_an_office_amends_a_batched_entry_through_its_proof(deployment: Deployment) -> None:
    entries = _entries(100)
    tree, encoded, _gas = _anchor(deployment, entries)
    sent = deployment.tx(
        deployment.offices["EP"],
        "amendFiling",
        entries[42].commitment,
        19800,
        b"\x05" * 32,
        (tree.root, encoded[42], tree.proof(42)),
    )
    (event,) = deployment.contract.events.FilingAmended().process_receipt(sent.receipt)
    assert event["args"]["batchRoot"] == tree.root
    assert event["args"]["version"] == 2
    # Another office's key looks up its own batches only (docs/spec/entries.md#uniqueness-is-per-office): EP's root is
    # unknown to US.
    with pytest.raises(errors.InvalidProof, match="UnknownBatch"):
        deployment.tx(
            deployment.offices["US"],
            "amendFiling",
            entries[42].commitment,
            19800,
            b"\x05" * 32,
            (tree.root, encoded[42], tree.proof(42)),
        )
    assert deployment.view("versionOf", b"EP", tree.root, entries[42].commitment) == 2


@pytest.mark.parametrize(
    ("count", "entries", "why"),
    [
        (0, b"\x01" * 38, "EmptyBatch"),
        (1, b"", "MalformedEntries"),
        (1, b"\x01" * 37, "MalformedEntries"),
        (2, b"\x01" * 75, "MalformedEntries"),
    ],
)
def test_a_batch_whose_length_cannot_hold_its_count_is_refused_on_chain(
    deployment: Deployment, count: int, entries: bytes, why: str
) -> None:
    with pytest.raises(errors.ContractRevert, match=why):
        deployment.tx(deployment.offices["EP"], "anchorBatch", b"\x09" * 32, count, entries)
    assert deployment.view("getBatch", b"EP", b"\x09" * 32)[0] == b"\x00\x00"


_HEAD = b"\x01" * 32
_DATE = b"\x00\x00\x4e\x20"


@pytest.mark.parametrize(
    ("count", "entries"),
    [
        (1, _HEAD + b"\x00" + _DATE + b"\x00"),  # kind 0
        (1, _HEAD + b"\x05" + _DATE + b"\x00"),  # kind 5
        (1, _HEAD + b"\x01" + b"\x00" * 4 + b"\x00"),  # date 0
        (1, _HEAD + b"\x01" + _DATE + b"\x01"),  # a claim announced, none there
        (1, _HEAD + b"\x01" + _DATE + b"\x80" + b"\x00" * 32),  # a zero digest marked present
        (1, _HEAD + b"\x01" + _DATE + b"\x00" + b"\x00"),  # a trailing byte
        (2, (_HEAD + b"\x01" + _DATE + b"\x00") * 3),  # three entries, two announced
    ],
)
def test_malformed_entries_the_ledger_accepted_are_refused_by_the_index(
    deployment: Deployment, count: int, entries: bytes
) -> None:
    # The contract stores a root and a count without walking the entries (docs/spec/entries.md#merkle-tree): the index
    # decodes them from calldata and refuses a batch that does not read, count or hash right.
    root = keccak(entries)
    deployment.tx(deployment.offices["EP"], "anchorBatch", root, count, entries)
    index = Index(":memory:", deployment.chain, deployment.address)
    index.sync()
    (refused,) = index.refused_batches()
    assert refused.root == root
    assert refused.office == "EP"
    assert index.stats().filings == 0


def test_the_same_batch_root_cannot_be_anchored_twice(deployment: Deployment) -> None:
    entries = _entries(10)
    _anchor(deployment, entries)
    with pytest.raises(errors.AlreadyAnchored):
        _anchor(deployment, entries)


def test_gas_per_filing_falls_toward_the_calldata_floor_as_batches_grow(deployment: Deployment) -> None:
    ep = deployment.offices["EP"]
    single = deployment.tx(ep, "anchorFiling", (keccak(b"single"), 1, 19800, b"\x00" * 32, [])).gas_used
    per_filing = {1: float(single)}
    for size in (100, 1000):
        _tree, _encoded, gas = _anchor(deployment, _entries(size, seed=size))
        per_filing[size] = gas / size
    print(f"\ngas per filing (no claim, no digest): {per_filing}")
    # EIP-7623 floor: 40 gas per non-zero calldata byte; a 38-byte entry costs ~1.4 k at the floor.
    assert per_filing[1000] <= 1500
    assert per_filing[100] < per_filing[1] / 20


def test_gas_per_entry_byte_of_a_thousand_entries_stays_near_the_calldata_floor(deployment: Deployment) -> None:
    """docs/spec/gas.md#targets, measured from receipts: a plain batch of 1,000 and one where every entry carries a
    bound digest and a 54-byte claim with its token. Run with ``-s`` to see the figures."""
    from registry.bench.anchoring import calldata_floor
    from registry.domain.commitments import claim_token

    plain = _entries(1000, seed=7)
    rich = [
        Entry(
            e.commitment,
            e.kind,
            e.filing_date,
            keccak(b"digest" + e.commitment),
            (
                ClaimRef(
                    keccak(b"earlier" + e.commitment),
                    BASE - dt.timedelta(days=200),
                    "JP",
                    claim_token("EP", e.commitment, "0123456789ABCDEF"),
                ),
            ),
        )
        for e in _entries(1000, seed=8)
    ]
    figures = {}
    for name, entries in (("plain", plain), ("digest + 1 claim", rich)):
        packed = pack_entries(entries)
        _tree, _encoded, gas = _anchor(deployment, entries)
        figures[name] = (gas / len(entries), gas / len(packed), gas / calldata_floor(packed))
        print(
            f"\n{name}: {len(packed) // len(entries)} bytes/entry, {gas / len(entries):,.0f} gas/filing,"
            f" {gas / len(packed):.2f} gas/entry byte, {gas / calldata_floor(packed):.3f}× the calldata floor"
        )
    assert figures["plain"][0] <= 1500
    assert all(ratio <= 1.15 for _per, _byte, ratio in figures.values())
