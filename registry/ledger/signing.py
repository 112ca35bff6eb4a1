"""EIP-712 typed data for relayed (signed) entries, mirroring the contract's NatSpec
(docs/spec/contract.md#signed-entries).

Domain: name ``PriorityRegistry``, version ``2`` (spec version 2), the chain id and the contract address, so that a
signature is valid on one chain and one contract only (docs/design.md#p6-signed-entries-are-relay-safe). Every struct
names the office (docs/spec/contract.md#signed-entries), so a signature of one office can never be read as another's;
each anchoring or consent message carries the office's nonce and a deadline. Building the message
(:func:`anchor_filing_typed_data`, :func:`anchor_batch_typed_data`, …) is kept apart from signing
it (:func:`sign_typed_data`), the way eth-account separates ``encode_typed_data`` from ``sign_message``.

The type strings below must equal those in ``contracts/IPriorityRegistry.sol``; a test checks that
the digest computed here equals the contract's ``hashAnchorFiling`` / ``hashAnchorBatch`` /
``hashRotateOfficeKey`` / ``hashPriorityDocument`` / ``hashReportRequest`` /
``hashPriorityDocumentRequest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = [
    "ANCHOR_BATCH_TYPE",
    "ANCHOR_FILING_TYPE",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "PRIORITY_DOCUMENT_REQUEST_TYPE",
    "PRIORITY_DOCUMENT_TYPE",
    "REPORT_REQUEST_TYPE",
    "ROTATE_OFFICE_KEY_TYPE",
    "FilingMessage",
    "anchor_batch_typed_data",
    "anchor_filing_typed_data",
    "priority_document_request_typed_data",
    "priority_document_typed_data",
    "recover_typed_data_signer",
    "report_request_typed_data",
    "rotate_office_key_typed_data",
    "sign_typed_data",
    "typed_data_digest",
]

DOMAIN_NAME = "PriorityRegistry"
DOMAIN_VERSION = "2"

ANCHOR_FILING_TYPE = (
    "AnchorFiling(bytes2 office,bytes32 commitment,uint8 ipRightKind,uint32 filingDate,bytes32 documentDigest,"
    "PriorityClaim[] priorityClaims,uint256 nonce,uint256 deadline)"
    "PriorityClaim(bytes2 earlierOffice,bytes32 earlierCommitment,uint32 claimedFilingDate,bytes16 claimToken)"
)
ANCHOR_BATCH_TYPE = (
    "AnchorBatch(bytes2 office,bytes32 root,uint32 count,bytes32 entriesHash,uint256 nonce,uint256 deadline)"
)
ROTATE_OFFICE_KEY_TYPE = "RotateOfficeKey(bytes2 office,address newSigner,uint256 nonce,uint256 deadline)"
PRIORITY_DOCUMENT_TYPE = "PriorityDocument(bytes2 office,bytes32 commitment,bytes32 manifestSha256,uint32 version)"
REPORT_REQUEST_TYPE = (
    "ReportRequest(bytes2 office,bytes32 reportId,bytes32 throughCommitment,bytes32 nonce,uint64 expiry)"
)
PRIORITY_DOCUMENT_REQUEST_TYPE = (
    "PriorityDocumentRequest(bytes2 office,bytes32 commitment,uint32 version,bytes32 accessSecretHash,"
    "bytes32 nonce,uint64 expiry)"
)

_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "PriorityClaim": [
        {"name": "earlierOffice", "type": "bytes2"},
        {"name": "earlierCommitment", "type": "bytes32"},
        {"name": "claimedFilingDate", "type": "uint32"},
        {"name": "claimToken", "type": "bytes16"},
    ],
    "AnchorFiling": [
        {"name": "office", "type": "bytes2"},
        {"name": "commitment", "type": "bytes32"},
        {"name": "ipRightKind", "type": "uint8"},
        {"name": "filingDate", "type": "uint32"},
        {"name": "documentDigest", "type": "bytes32"},
        {"name": "priorityClaims", "type": "PriorityClaim[]"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "AnchorBatch": [
        {"name": "office", "type": "bytes2"},
        {"name": "root", "type": "bytes32"},
        {"name": "count", "type": "uint32"},
        {"name": "entriesHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "RotateOfficeKey": [
        {"name": "office", "type": "bytes2"},
        {"name": "newSigner", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "PriorityDocument": [
        {"name": "office", "type": "bytes2"},
        {"name": "commitment", "type": "bytes32"},
        {"name": "manifestSha256", "type": "bytes32"},
        {"name": "version", "type": "uint32"},
    ],
    "ReportRequest": [
        {"name": "office", "type": "bytes2"},
        {"name": "reportId", "type": "bytes32"},
        {"name": "throughCommitment", "type": "bytes32"},
        {"name": "nonce", "type": "bytes32"},
        {"name": "expiry", "type": "uint64"},
    ],
    "PriorityDocumentRequest": [
        {"name": "office", "type": "bytes2"},
        {"name": "commitment", "type": "bytes32"},
        {"name": "version", "type": "uint32"},
        {"name": "accessSecretHash", "type": "bytes32"},
        {"name": "nonce", "type": "bytes32"},
        {"name": "expiry", "type": "uint64"},
    ],
}


class FilingMessage(NamedTuple):
    """The contract's ``Filing`` struct: what a single (stored) anchor carries."""

    commitment: bytes
    ip_right_kind: int
    filing_date: int  # days since 1970-01-01
    document_digest: bytes  # 32 zero bytes when absent
    # (earlier office as 2 bytes, earlier commitment, claimed date in days, claim token 16 bytes)
    priority_claims: tuple[tuple[bytes, bytes, int, bytes], ...]

    def as_abi(self) -> tuple[bytes, int, int, bytes, list[tuple[bytes, bytes, int, bytes]]]:
        """The tuple web3 encodes for the contract's ``Filing`` argument."""
        return (
            self.commitment,
            self.ip_right_kind,
            self.filing_date,
            self.document_digest,
            list(self.priority_claims),
        )


def _domain(chain_id: int, contract: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(contract),
    }


def _typed(chain_id: int, contract: str, primary: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "types": {k: _TYPES[k] for k in ("EIP712Domain", primary)},
        "primaryType": primary,
        "domain": _domain(chain_id, contract),
        "message": message,
    }


def anchor_filing_typed_data(
    chain_id: int, contract: str, office: str, filing: FilingMessage, nonce: int, deadline: int
) -> dict[str, Any]:
    """The EIP-712 message an office signs so that anyone may relay ``filing`` (``anchorFilingBySig``)."""
    return {
        "types": {k: _TYPES[k] for k in ("EIP712Domain", "PriorityClaim", "AnchorFiling")},
        "primaryType": "AnchorFiling",
        "domain": _domain(chain_id, contract),
        "message": {
            "office": office.encode("ascii"),
            "commitment": filing.commitment,
            "ipRightKind": filing.ip_right_kind,
            "filingDate": filing.filing_date,
            "documentDigest": filing.document_digest,
            "priorityClaims": [
                {"earlierOffice": o, "earlierCommitment": c, "claimedFilingDate": d, "claimToken": t}
                for o, c, d, t in filing.priority_claims
            ],
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def anchor_batch_typed_data(
    chain_id: int, contract: str, office: str, root: bytes, count: int, entries: bytes, nonce: int, deadline: int
) -> dict[str, Any]:
    """The EIP-712 message an office signs so that anyone may relay a batch (``anchorBatchBySig``).

    The entries themselves are bound through ``entriesHash = keccak256(entries)``: a relayer cannot
    swap them for others under the same root.
    """
    return _typed(
        chain_id,
        contract,
        "AnchorBatch",
        {
            "office": office.encode("ascii"),
            "root": root,
            "count": count,
            "entriesHash": keccak(entries),
            "nonce": nonce,
            "deadline": deadline,
        },
    )


def rotate_office_key_typed_data(
    chain_id: int, contract: str, office: str, new_signer: str, nonce: int, deadline: int
) -> dict[str, Any]:
    """The consent an office's current key signs so that the registrar may rotate it
    (docs/spec/governance.md#authorization-table)."""
    return _typed(
        chain_id,
        contract,
        "RotateOfficeKey",
        {
            "office": office.encode("ascii"),
            "newSigner": to_checksum_address(new_signer),
            "nonce": nonce,
            "deadline": deadline,
        },
    )


def priority_document_typed_data(
    chain_id: int, contract: str, office: str, commitment: bytes, manifest_sha256: bytes, version: int
) -> dict[str, Any]:
    """What the office of first filing signs for a priority-document package (docs/spec/packages.md#signature)."""
    return _typed(
        chain_id,
        contract,
        "PriorityDocument",
        {
            "office": office.encode("ascii"),
            "commitment": commitment,
            "manifestSha256": manifest_sha256,
            "version": version,
        },
    )


def report_request_typed_data(
    chain_id: int, contract: str, office: str, report_id: bytes, through: bytes, nonce: bytes, expiry: int
) -> dict[str, Any]:
    """A gateway's signed request for a report held by another gateway
    (docs/spec/between-gateways.md#signed-requests)."""
    return _typed(
        chain_id,
        contract,
        "ReportRequest",
        {
            "office": office.encode("ascii"),
            "reportId": report_id,
            "throughCommitment": through,
            "nonce": nonce,
            "expiry": expiry,
        },
    )


def priority_document_request_typed_data(
    chain_id: int,
    contract: str,
    office: str,
    commitment: bytes,
    version: int,
    access_secret_hash: bytes,
    nonce: bytes,
    expiry: int,
) -> dict[str, Any]:
    """A gateway's signed request for a priority document held by another gateway
    (docs/spec/between-gateways.md#signed-requests)."""
    return _typed(
        chain_id,
        contract,
        "PriorityDocumentRequest",
        {
            "office": office.encode("ascii"),
            "commitment": commitment,
            "version": version,
            "accessSecretHash": access_secret_hash,
            "nonce": nonce,
            "expiry": expiry,
        },
    )


def typed_data_digest(typed_data: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest (``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``)."""
    return bytes(_hash_eip191_message(encode_typed_data(full_message=typed_data)))


def sign_typed_data(private_key: bytes | str, typed_data: dict[str, Any]) -> bytes:
    """Sign an EIP-712 message with an office key; returns the 65-byte ``r ‖ s ‖ v`` signature."""
    signed = Account.sign_typed_data(private_key, full_message=typed_data)
    return bytes(signed.signature)


def recover_typed_data_signer(typed_data: dict[str, Any], signature: bytes) -> str | None:
    """The EIP-55 address that signed ``typed_data`` with the 65-byte ``r ‖ s ‖ v`` ``signature``, or ``None``.

    ``v`` must be 27 or 28 and ``s`` in the lower half of the curve order (EIP-2), as the contract's
    ECDSA check requires; anything else recovers nobody.
    """
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    if int.from_bytes(signature[32:64], "big") > _HALF_ORDER:
        return None
    try:
        return str(Account.recover_message(encode_typed_data(full_message=typed_data), signature=signature))
    except Exception:  # eth-keys raises several types for a signature that recovers no point
        return None


_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def claim_tuples(
    claims: Sequence[tuple[bytes, bytes, int, bytes]],
) -> tuple[tuple[bytes, bytes, int, bytes], ...]:
    """Normalize claims to the immutable form :class:`FilingMessage` keeps."""
    return tuple((bytes(o), bytes(c), int(d), bytes(t)) for o, c, d, t in claims)
