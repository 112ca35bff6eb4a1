"""docs/design.md#p6-signed-entries-are-relay-safe: an entry signed by an office key (EIP-712) can be relayed by anyone,
once, on that chain and that contract only, before its deadline, and only while the key is current."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from registry import errors
from registry.domain.entries import ClaimRef, Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_to_days
from registry.ledger.signing import (
    FilingMessage,
    anchor_batch_typed_data,
    anchor_filing_typed_data,
    sign_typed_data,
    typed_data_digest,
)
from tests.contracts.conftest import Deployment

FILED = date_to_days(dt.date(2024, 5, 2))
FILING = FilingMessage(
    commitment=keccak(b"filing"),
    ip_right_kind=1,
    filing_date=FILED,
    document_digest=keccak(b"document"),
    priority_claims=(
        (b"US", keccak(b"earlier-1"), FILED - 200, b"\x01" * 16),
        (b"JP", keccak(b"earlier-2"), FILED - 30, b"\x02" * 16),
    ),
)


def _deadline(seconds: int = 3600) -> int:
    return int(time.time()) + seconds


def _signed_filing(
    dep: Deployment,
    key: LocalAccount,
    *,
    chain_id: int | None = None,
    contract: str | None = None,
    deadline: int | None = None,
) -> tuple[FilingMessage, int, bytes]:
    deadline = _deadline() if deadline is None else deadline
    nonce = dep.view("officeNonce", b"EP")
    typed = anchor_filing_typed_data(
        chain_id or dep.chain.chain_id, contract or dep.address, "EP", FILING, nonce, deadline
    )
    return FILING, deadline, sign_typed_data(key.key, typed)


def _relay(dep: Deployment, filing: FilingMessage, deadline: int, signature: bytes) -> None:
    dep.tx(dep.stranger, "anchorFilingBySig", b"EP", filing.as_abi(), deadline, signature)


def test_the_python_digest_equals_the_contracts_digest_for_a_filing(deployment: Deployment) -> None:
    typed = anchor_filing_typed_data(deployment.chain.chain_id, deployment.address, "EP", FILING, 7, 12345)
    assert typed_data_digest(typed) == bytes(deployment.view("hashAnchorFiling", b"EP", FILING.as_abi(), 7, 12345))


def test_the_python_digest_equals_the_contracts_digest_for_a_batch(deployment: Deployment) -> None:
    entries = b"\x01" * 38
    typed = anchor_batch_typed_data(
        deployment.chain.chain_id, deployment.address, "EP", b"\x02" * 32, 1, entries, 3, 99
    )
    expected = deployment.view("hashAnchorBatch", b"EP", b"\x02" * 32, 1, keccak(entries), 3, 99)
    assert typed_data_digest(typed) == bytes(expected)


def test_a_stranger_relays_a_validly_signed_filing_which_counts_for_the_signing_office(
    deployment: Deployment,
) -> None:
    _relay(deployment, *_signed_filing(deployment, deployment.offices["EP"]))
    record = deployment.view("getRecord", b"EP", FILING.commitment)
    assert record[0] == b"EP"
    assert record[2] == FILED
    assert deployment.view("officeNonce", b"EP") == 1


def test_the_same_signature_cannot_be_relayed_twice(deployment: Deployment) -> None:
    signed = _signed_filing(deployment, deployment.offices["EP"])
    _relay(deployment, *signed)
    with pytest.raises(errors.InvalidSignature):
        _relay(deployment, *signed)


def test_a_signature_for_another_chain_id_is_refused(deployment: Deployment) -> None:
    signed = _signed_filing(deployment, deployment.offices["EP"], chain_id=deployment.chain.chain_id + 1)
    with pytest.raises(errors.InvalidSignature):
        _relay(deployment, *signed)
    assert deployment.view("getRecord", b"EP", FILING.commitment)[0] == b"\x00\x00"


def test_a_signature_for_another_contract_is_refused(deployment: Deployment) -> None:
    other = deployment.chain.deploy_registry(deployment.registrar)
    signed = _signed_filing(deployment, deployment.offices["EP"], contract=other)
    with pytest.raises(errors.InvalidSignature):
        _relay(deployment, *signed)


def test_a_signature_after_its_deadline_is_refused(deployment: Deployment) -> None:
    signed = _signed_filing(deployment, deployment.offices["EP"], deadline=int(time.time()) - 3600)
    with pytest.raises(errors.SignatureExpired):
        _relay(deployment, *signed)


def test_a_signature_by_a_rotated_out_key_is_refused(deployment: Deployment) -> None:
    old = deployment.offices["EP"]
    signed = _signed_filing(deployment, old)
    deployment.tx(old, "rotateOfficeKey", b"EP", deployment.chain.new_account().address)
    with pytest.raises(errors.InvalidSignature):
        _relay(deployment, *signed)


def test_a_signature_by_a_suspended_office_or_another_key_is_refused(deployment: Deployment) -> None:
    with pytest.raises(errors.InvalidSignature):
        _relay(deployment, *_signed_filing(deployment, deployment.offices["US"]))
    signed = _signed_filing(deployment, deployment.offices["EP"])
    deployment.tx(deployment.registrar, "suspendOffice", b"EP")
    with pytest.raises(errors.OfficeNotActive):
        _relay(deployment, *signed)


def test_a_relayer_cannot_change_the_signed_filing(deployment: Deployment) -> None:
    filing, deadline, signature = _signed_filing(deployment, deployment.offices["EP"])
    tampered = filing._replace(filing_date=filing.filing_date - 1)
    with pytest.raises(errors.InvalidSignature):
        _relay(deployment, tampered, deadline, signature)


def _batch() -> tuple[bytes, bytes]:
    entries = [
        Entry(
            keccak(i.to_bytes(4, "big")),
            IpRightKind.PATENT,
            dt.date(2024, 1, 1) + dt.timedelta(days=i % 50),
            claims=(ClaimRef(keccak(b"p"), dt.date(2023, 6, 1), "EP"),) if i % 2 else (),
        )
        for i in range(20)
    ]
    return MerkleTree.of([encode_entry(e) for e in entries]).root, pack_entries(entries)


def test_a_signed_batch_is_relayed_once_and_its_entries_cannot_be_swapped(deployment: Deployment) -> None:
    root, entries = _batch()
    key = deployment.offices["EP"]
    deadline = _deadline()
    typed = anchor_batch_typed_data(deployment.chain.chain_id, deployment.address, "EP", root, 20, entries, 0, deadline)
    signature = sign_typed_data(key.key, typed)
    with pytest.raises(errors.InvalidSignature):
        swapped = entries[:-36] + bytes(36)
        deployment.tx(deployment.stranger, "anchorBatchBySig", b"EP", root, 20, swapped, deadline, signature)
    deployment.tx(deployment.stranger, "anchorBatchBySig", b"EP", root, 20, entries, deadline, signature)
    batch = deployment.view("getBatch", b"EP", root)
    assert batch[0] == b"EP"
    assert batch[1] == 20
    with pytest.raises((errors.InvalidSignature, errors.AlreadyAnchored)):
        deployment.tx(deployment.stranger, "anchorBatchBySig", b"EP", root, 20, entries, deadline, signature)


def test_a_signature_counts_only_for_the_office_it_names(deployment: Deployment) -> None:
    # The office is a field of the signed struct (docs/spec/contract.md#signed-entries): EP's signature relayed under
    # US's name, or EP's key signing a message that names US, anchors nothing for anyone.
    filing, deadline, signature = _signed_filing(deployment, deployment.offices["EP"])
    with pytest.raises(errors.InvalidSignature):
        deployment.tx(deployment.stranger, "anchorFilingBySig", b"US", filing.as_abi(), deadline, signature)
    nonce = deployment.view("officeNonce", b"US")
    typed = anchor_filing_typed_data(deployment.chain.chain_id, deployment.address, "US", FILING, nonce, deadline)
    forged = sign_typed_data(deployment.offices["EP"].key, typed)
    with pytest.raises(errors.InvalidSignature):
        deployment.tx(deployment.stranger, "anchorFilingBySig", b"US", filing.as_abi(), deadline, forged)
    for office in (b"EP", b"US"):
        assert deployment.view("getRecord", office, FILING.commitment)[0] == b"\x00\x00"
    # EP's own signature still works afterwards: the failed relays consumed none of its nonces.
    _relay(deployment, filing, deadline, signature)
    assert deployment.view("getRecord", b"EP", FILING.commitment)[0] == b"EP"
