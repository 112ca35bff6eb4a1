"""Commitments: the on-chain identity of an application that reveals nothing of it
(docs/spec/commitments.md#commitments).

A commitment binds (office, canonical number, access secret) under a domain-separated hash::

    COMMITMENT_TAG = keccak256("prioreg.commitment.v1")
    commitment     = keccak256(abi.encode(COMMITMENT_TAG, bytes2 office,
                                          string canonicalNumber, string accessSecret))

exactly what the contract computes with ``keccak256(abi.encode(TAG, office, number, secret))``
(``abi.encode``, not ``encodePacked``: two dynamic strings side by side must not be able to
trade characters — the EAS habit in docs/design.md#how-the-code-is-written). Without the 80-bit secret nobody can test a
guessed number against the ledger (docs/design.md#p1-nothing-unpublished-is-readable). In JSON and paths a commitment is
written ``0x`` + 64 lowercase hex digits.

The inputs must already be canonical: this module refuses, rather than fixes, anything that is
not (a lowercase number would silently commit to a different application).
"""

from __future__ import annotations

import re

from eth_utils.crypto import keccak

from registry.domain.accesscodes import AccessCode
from registry.domain.merkle import keccak256
from registry.domain.types import Commitment
from registry.errors import InvalidAccessCode, InvalidApplicationNumber, InvalidInput, InvalidOfficeCode

__all__ = [
    "CLAIM_TAG",
    "CLAIM_TOKEN_SIZE",
    "COMMITMENT_TAG",
    "DOCUMENT_TAG",
    "REPORT_KINDS",
    "REPORT_TAG",
    "access_secret_hash",
    "bound_document_digest",
    "bound_report_digest",
    "claim_token",
    "commitment",
    "parse_commitment",
    "to_hex",
]

#: Domain separation tag (docs/spec/commitments.md#commitments); changing the scheme means bumping the version in it.
COMMITMENT_TAG: bytes = keccak(b"prioreg.commitment.v1")
#: Domain separation of claim tokens (docs/spec/entries.md#claim-tokens-and-confirmed-links).
CLAIM_TAG: bytes = keccak(b"prioreg.claim.v1")
#: Domain separation of a document's SHA-256 bound to its application
#: (docs/spec/entries.md#document-digests-and-reports).
DOCUMENT_TAG: bytes = keccak(b"prioreg.document.v1")
#: Domain separation of a report's SHA-256 bound to its application (docs/spec/entries.md#document-digests-and-reports,
#: R15).
REPORT_TAG: bytes = keccak(b"prioreg.report.v1")
#: The kinds of report and their ``uint8`` values on chain (docs/spec/entries.md#document-digests-and-reports).
REPORT_KINDS: dict[str, int] = {
    "searchReport": 1,
    "writtenOpinion": 2,
    "examinationReport": 3,
    "officeAction": 4,
    "other": 5,
}
#: A claim token is the first 16 bytes of its hash.
CLAIM_TOKEN_SIZE = 16

# The first string starts after the four head words.
_FIRST_OFFSET_VALUE = 4 * 32
_FIRST_OFFSET = _FIRST_OFFSET_VALUE.to_bytes(32, "big")
_ZEROS = bytes(32)
_OFFICE = re.compile(r"[A-Z]{2}")
# docs/spec/commitments.md#canonical-numbers: a canonical number is uppercase ASCII without spaces: printable ASCII
# 0x21–0x7E except the lowercase letters 0x61–0x7A.
_CANONICAL_NUMBER = re.compile(r"[!-`{-~]+")
_SECRET = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")
_HEX_COMMITMENT = re.compile(r"0x[0-9a-fA-F]{64}")
_HEADS: dict[str, bytes] = {}


def commitment(office: str, canonical_number: str, access_secret: str | AccessCode) -> Commitment:
    """The 32-byte commitment of an application (docs/spec/commitments.md#commitments).

    ``office`` is the ST.3 code (two uppercase letters; whether it is admissible is the office
    module's business), ``canonical_number`` the office module's canonical string without check
    digit, ``access_secret`` the 16 normalized data characters of the access code (an
    :class:`~registry.domain.accesscodes.AccessCode` is accepted too and contributes its ``.secret`` —
    never its display form).
    """
    if isinstance(access_secret, AccessCode):
        access_secret = access_secret.secret
    if not isinstance(office, str) or not _OFFICE.fullmatch(office):
        raise InvalidOfficeCode("an office is committed as its ST.3 code: two uppercase letters A-Z")
    if not isinstance(canonical_number, str) or not _CANONICAL_NUMBER.fullmatch(canonical_number):
        raise InvalidApplicationNumber(
            "a canonical number is uppercase ASCII without spaces (docs/spec/commitments.md#canonical-numbers); "
            "normalize it first",
            code="notCanonical",
        )
    if not isinstance(access_secret, str) or not _SECRET.fullmatch(access_secret):
        # Do not echo the value: it is (close to) a secret.
        raise InvalidAccessCode(
            "an access secret is the 16 normalized Crockford base32 data characters of the code, "
            "without hyphens or check character",
            code="badCharacter",
        )
    return Commitment(keccak256(_encode(office, canonical_number, access_secret)))


def _encode(office: str, canonical_number: str, access_secret: str) -> bytes:
    """``abi.encode(bytes32 TAG, bytes2 office, string number, string secret)``, packed by hand.

    The hot path of preparing and verifying filings (millions a year): eth_abi's general encoder
    spent ~5× longer on these four fixed-shape values than this. The layout is the ABI's: four head
    words (the tag, the office left-aligned, then the offsets of the two strings), then each string
    as its length word and its bytes zero-padded to a multiple of 32. Both strings are validated
    ASCII above, so their UTF-8 encoding is their ASCII encoding.
    """
    head = _HEADS.get(office)
    if head is None:
        # The first three head words depend on the office only; offices are two letters A-Z here.
        head = _HEADS[office] = b"".join((COMMITMENT_TAG, office.encode("ascii"), _ZEROS[:30], _FIRST_OFFSET))
    number = canonical_number.encode("ascii")
    secret = access_secret.encode("ascii")
    number_pad = -len(number) % 32
    return b"".join(
        (
            head,
            (_FIRST_OFFSET_VALUE + 32 + len(number) + number_pad).to_bytes(32, "big"),
            len(number).to_bytes(32, "big"),
            number,
            _ZEROS[:number_pad],
            len(secret).to_bytes(32, "big"),
            secret,
            _ZEROS[: -len(secret) % 32],
        )
    )


def to_hex(value: bytes) -> str:
    """Write a commitment as ``0x`` + 64 lowercase hex digits (docs/spec/commitments.md#commitments)."""
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise InvalidInput("a commitment is exactly 32 bytes", code="badCommitment")
    return "0x" + value.hex()


def parse_commitment(text: str) -> Commitment:
    """Read a commitment written as ``0x`` + 64 hex digits (any case); nothing else is accepted.

    Raises :class:`~registry.errors.InvalidInput` with code ``badCommitment`` (docs/spec/commitments.md#commitments).
    """
    if not isinstance(text, str) or not _HEX_COMMITMENT.fullmatch(text):
        raise InvalidInput("a commitment is written as 0x followed by 64 hex digits", code="badCommitment")
    return Commitment(bytes.fromhex(text[2:]))


def claim_token(later_office: str, later_commitment: Commitment, earlier_access_secret: str | AccessCode) -> bytes:
    """The 16-byte token a priority claim carries (docs/spec/entries.md#claim-tokens-and-confirmed-links).

    ``bytes16(keccak256(abi.encode(CLAIM_TAG, bytes2 laterOffice, bytes32 laterCommitment,
    string earlierAccessSecret)))``: only an office that was given the earlier application's
    access code can make it, and it is bound to the claiming (office, commitment), so copying it
    into another claim proves nothing. The earlier office recomputes it to confirm the link.
    """
    if isinstance(earlier_access_secret, AccessCode):
        earlier_access_secret = earlier_access_secret.secret
    if not isinstance(later_office, str) or not _OFFICE.fullmatch(later_office):
        raise InvalidOfficeCode("an office is committed as its ST.3 code: two uppercase letters A-Z")
    if not isinstance(earlier_access_secret, str) or not _SECRET.fullmatch(earlier_access_secret):
        raise InvalidAccessCode("an access secret is the 16 normalized data characters", code="badCharacter")
    if len(later_commitment) != 32:
        raise InvalidInput("a commitment is exactly 32 bytes", code="badCommitment")
    secret = earlier_access_secret.encode("ascii")
    encoded = b"".join(
        (
            CLAIM_TAG,
            later_office.encode("ascii"),
            _ZEROS[:30],
            bytes(later_commitment),
            (4 * 32).to_bytes(32, "big"),
            len(secret).to_bytes(32, "big"),
            secret,
            _ZEROS[: -len(secret) % 32],
        )
    )
    return keccak256(encoded)[:CLAIM_TOKEN_SIZE]


def access_secret_hash(office: str, commitment_: Commitment | bytes, access_secret: str | AccessCode) -> bytes:
    """``keccak256(abi.encode(bytes2 office, bytes32 commitment, string accessSecret))``
    (docs/spec/between-gateways.md#what-the-holder-refuses).

    What a ``PriorityDocumentRequest`` carries instead of the access code: ``office`` is the *requesting* office, so
    the hash proves that the applicant gave that office the code of the application ``commitment``, and is worth
    nothing to another office (the request is signed by the requesting office's key too).
    """
    if isinstance(access_secret, AccessCode):
        access_secret = access_secret.secret
    if not isinstance(office, str) or not _OFFICE.fullmatch(office):
        raise InvalidOfficeCode("an office is committed as its ST.3 code: two uppercase letters A-Z")
    if not isinstance(access_secret, str) or not _SECRET.fullmatch(access_secret):
        raise InvalidAccessCode("an access secret is the 16 normalized data characters", code="badCharacter")
    if len(commitment_) != 32:
        raise InvalidInput("a commitment is exactly 32 bytes", code="badCommitment")
    secret = access_secret.encode("ascii")
    encoded = b"".join(
        (
            office.encode("ascii"),
            _ZEROS[:30],
            bytes(commitment_),
            (3 * 32).to_bytes(32, "big"),
            len(secret).to_bytes(32, "big"),
            secret,
            _ZEROS[: -len(secret) % 32],
        )
    )
    return keccak256(encoded)


def bound_document_digest(commitment_: Commitment, document_sha256: bytes) -> bytes:
    """``keccak256(abi.encode(DOCUMENT_TAG, commitment, sha256(document)))``
    (docs/spec/entries.md#document-digests-and-reports).

    What the ledger holds for a document: hashing a published document links it to nothing,
    because the binding needs the (unpublished) commitment too.
    """
    return _bind(DOCUMENT_TAG, commitment_, document_sha256)


def bound_report_digest(commitment_: Commitment, report_sha256: bytes) -> bytes:
    """``keccak256(abi.encode(REPORT_TAG, commitment, sha256(report)))``
    (docs/spec/entries.md#document-digests-and-reports, R15)."""
    return _bind(REPORT_TAG, commitment_, report_sha256)


def _bind(tag: bytes, commitment_: bytes, sha: bytes) -> bytes:
    if len(commitment_) != 32 or len(sha) != 32:
        raise InvalidInput("a commitment and a SHA-256 are 32 bytes each", code="badDigest")
    return keccak256(tag + bytes(commitment_) + bytes(sha))
