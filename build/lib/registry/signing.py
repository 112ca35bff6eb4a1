"""EIP-712 typed data for relayed (signed) entries, mirroring the contract's NatSpec (SPEC.md §2).

Domain: name ``PriorityRegistry``, version ``1``, the chain id and the contract address, so that a
signature is valid on one chain and one contract only (DESIGN.md property 6). Each message carries
the office's nonce and a deadline. Building the message (:func:`anchor_filing_typed_data`,
:func:`anchor_batch_typed_data`) is kept apart from signing it (:func:`sign_typed_data`), the way
eth-account separates ``encode_typed_data`` from ``sign_message``.

The type strings below must equal those in ``contracts/IPriorityRegistry.sol``; a test checks that
the digest computed here equals the contract's ``hashAnchorFiling`` / ``hashAnchorBatch``.
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
    "FilingMessage",
    "anchor_batch_typed_data",
    "anchor_filing_typed_data",
    "sign_typed_data",
    "typed_data_digest",
]

DOMAIN_NAME = "PriorityRegistry"
DOMAIN_VERSION = "1"

ANCHOR_FILING_TYPE = (
    "AnchorFiling(bytes32 commitment,uint8 ipRightKind,uint32 filingDate,bytes32 documentDigest,"
    "PriorityClaim[] priorityClaims,uint256 nonce,uint256 deadline)"
    "PriorityClaim(bytes32 earlierCommitment,uint32 claimedFilingDate)"
)
ANCHOR_BATCH_TYPE = "AnchorBatch(bytes32 root,uint32 count,bytes32 entriesHash,uint256 nonce,uint256 deadline)"

_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "PriorityClaim": [
        {"name": "earlierCommitment", "type": "bytes32"},
        {"name": "claimedFilingDate", "type": "uint32"},
    ],
    "AnchorFiling": [
        {"name": "commitment", "type": "bytes32"},
        {"name": "ipRightKind", "type": "uint8"},
        {"name": "filingDate", "type": "uint32"},
        {"name": "documentDigest", "type": "bytes32"},
        {"name": "priorityClaims", "type": "PriorityClaim[]"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "AnchorBatch": [
        {"name": "root", "type": "bytes32"},
        {"name": "count", "type": "uint32"},
        {"name": "entriesHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}


class FilingMessage(NamedTuple):
    """The contract's ``Filing`` struct: what a single (stored) anchor carries."""

    commitment: bytes
    ip_right_kind: int
    filing_date: int  # days since 1970-01-01
    document_digest: bytes  # 32 zero bytes when absent
    priority_claims: tuple[tuple[bytes, int], ...]  # (earlier commitment, claimed date in days)

    def as_abi(self) -> tuple[bytes, int, int, bytes, list[tuple[bytes, int]]]:
        """The tuple web3 encodes for the contract's ``Filing`` argument."""
        return (
            self.commitment,
            self.ip_right_kind,
            self.filing_date,
            self.document_digest,
            [(c, d) for c, d in self.priority_claims],
        )


def _domain(chain_id: int, contract: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(contract),
    }


def anchor_filing_typed_data(
    chain_id: int, contract: str, filing: FilingMessage, nonce: int, deadline: int
) -> dict[str, Any]:
    """The EIP-712 message an office signs so that anyone may relay ``filing`` (``anchorFilingBySig``)."""
    return {
        "types": {k: _TYPES[k] for k in ("EIP712Domain", "PriorityClaim", "AnchorFiling")},
        "primaryType": "AnchorFiling",
        "domain": _domain(chain_id, contract),
        "message": {
            "commitment": filing.commitment,
            "ipRightKind": filing.ip_right_kind,
            "filingDate": filing.filing_date,
            "documentDigest": filing.document_digest,
            "priorityClaims": [{"earlierCommitment": c, "claimedFilingDate": d} for c, d in filing.priority_claims],
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def anchor_batch_typed_data(
    chain_id: int, contract: str, root: bytes, count: int, entries: bytes, nonce: int, deadline: int
) -> dict[str, Any]:
    """The EIP-712 message an office signs so that anyone may relay a batch (``anchorBatchBySig``).

    The entries themselves are bound through ``entriesHash = keccak256(entries)``: a relayer cannot
    swap them for others under the same root.
    """
    return {
        "types": {k: _TYPES[k] for k in ("EIP712Domain", "AnchorBatch")},
        "primaryType": "AnchorBatch",
        "domain": _domain(chain_id, contract),
        "message": {
            "root": root,
            "count": count,
            "entriesHash": keccak(entries),
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def typed_data_digest(typed_data: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest (``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``)."""
    return bytes(_hash_eip191_message(encode_typed_data(full_message=typed_data)))


def sign_typed_data(private_key: bytes | str, typed_data: dict[str, Any]) -> bytes:
    """Sign an EIP-712 message with an office key; returns the 65-byte ``r ‖ s ‖ v`` signature."""
    signed = Account.sign_typed_data(private_key, full_message=typed_data)
    return bytes(signed.signature)


def claim_tuples(claims: Sequence[tuple[bytes, int]]) -> tuple[tuple[bytes, int], ...]:
    """Normalize claims to the immutable form :class:`FilingMessage` keeps."""
    return tuple((bytes(c), int(d)) for c, d in claims)
