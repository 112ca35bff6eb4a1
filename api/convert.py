"""Shape library results into API.md bodies (lowerCamelCase JSON)."""

from __future__ import annotations

from typing import Any

from registry.domain.commitments import to_hex
from registry.index import IndexedRecord
from registry.service import FilingOutcome

__all__ = ["application_json", "filing_json", "hex_or_none"]


def hex_or_none(value: bytes | None) -> str | None:
    """``0x``-hex of 32 bytes, or None."""
    return None if value is None else "0x" + value.hex()


def filing_json(outcome: FilingOutcome) -> dict[str, Any]:
    """The answer of ``POST /v1/filings`` for one anchored filing."""
    prepared = outcome.prepared
    return {
        "commitment": to_hex(prepared.commitment),
        "ipOfficeCode": prepared.office,
        "applicationNumber": prepared.number.canonical,
        "filingDate": prepared.entry.filing_date.isoformat(),
        "ipRightKind": prepared.entry.kind.api_name,
        "accessCode": str(prepared.access_code),
        "priorityClaims": [
            {"commitment": to_hex(claim.commitment), "verification": verification.to_json()}
            for claim, verification in zip(prepared.claims, outcome.claim_verifications, strict=True)
        ],
        "ledger": outcome.ledger.to_json(),
    }


def application_json(record: IndexedRecord) -> dict[str, Any]:
    """The answer of ``GET /v1/applications/{commitment}``."""
    return {
        "commitment": to_hex(record.commitment),
        "ipOfficeCode": record.number_office or record.office,
        "anchoredBy": record.office,
        "ipRightKind": record.kind.api_name,
        "filingDate": record.filing_date.isoformat(),
        "documentDigest": hex_or_none(record.document_digest),
        "versions": [
            {
                "version": v.version,
                "change": v.change,
                "filingDate": v.filing_date.isoformat(),
                "documentDigest": hex_or_none(v.document_digest),
                "ledger": {"transactionHash": "0x" + v.transaction_hash.hex(), "blockNumber": v.block_number},
            }
            for v in record.versions
        ],
        "priorityClaims": [
            {
                "commitment": to_hex(c.earlier),
                "claimedFilingDate": c.claimed_filing_date.isoformat(),
                "withdrawn": c.withdrawn,
                "ipOfficeCode": c.earlier_office,
                "confirmed": c.confirmed,
            }
            for c in record.priority_claims
        ],
        "claimedBy": [to_hex(c) for c in record.claimed_by],
        "batch": None
        if record.inclusion is None
        else {"root": to_hex(record.inclusion.root), "proof": [to_hex(p) for p in record.inclusion.proof]},
        "applicationNumber": record.published_number,
        "alsoAnchoredBy": list(record.also_anchored_by),
    }
