"""What the index returns: the result types of its queries and syncs, and the names they use.

Plain frozen values (docs/design.md#p3-the-ledger-is-the-only-source-of-truth: a read model hands out copies, never rows
to change). The fields follow docs/api.md#families (``GET /v1/applications/{commitment}``, ``extendedFamily[]``,
the office directory) and docs/spec/entries.md: a record is identified by (office, commitment), a version
history starts at version 1 as anchored, a claim counts once the earlier office confirmed it.
:func:`node_id` and :func:`report_id` are the names docs/spec/entries.md#document-digests-and-reports gives a family
member and a report.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from eth_utils.crypto import keccak

from registry.domain.types import IpRightKind

__all__ = [
    "IndexStats",
    "IndexedClaim",
    "IndexedConflict",
    "IndexedInclusion",
    "IndexedNotification",
    "IndexedOffice",
    "IndexedRecord",
    "IndexedReport",
    "IndexedSummary",
    "IndexedVersion",
    "IndexedWriting",
    "OfficeChange",
    "Refusal",
    "RefusedBatch",
    "RegisteredFacts",
    "SyncReport",
    "node_id",
    "parse_node",
    "report_id",
]


@dataclass(frozen=True, slots=True)
class IndexedVersion:
    """One version of a record: what it said and the transaction that made it
    (docs/design.md#p4-first-write-wins-history-stays).

    ``change`` is ``anchored`` (version 1), ``amended``, ``claimAdded`` or ``claimWithdrawn``.
    """

    version: int
    filing_date: _dt.date
    document_digest: bytes | None
    block_number: int
    transaction_hash: bytes
    change: str


@dataclass(frozen=True, slots=True)
class IndexedNotification:
    """One notification for an office (docs/api.md#notifications): ``kind`` (a
    :class:`~registry.index.notifications.NotificationKind` number) at chain ``position``, ``item``
    within the event; the application (``office``, ``commitment``), or for ``officeSuspended`` the
    suspended office and no commitment; the transaction, its block and the block's Unix ``time``.
    """

    position: int
    item: int
    kind: int
    office: str
    commitment: bytes | None
    transaction_hash: bytes
    block_number: int
    time: int


@dataclass(frozen=True, slots=True)
class IndexedClaim:
    """A priority claim of (``later_office``, ``later``) to (``earlier_office``, ``earlier``), added
    in ``version`` of the later record. ``confirmed``: the earlier office confirmed the link on
    chain (docs/spec/entries.md#claim-tokens-and-confirmed-links); only confirmed links grant anything."""

    later: bytes
    earlier: bytes
    claimed_filing_date: _dt.date
    version: int
    withdrawn_version: int | None
    later_office: str = ""
    earlier_office: str = ""
    claim_token: bytes = bytes(16)
    confirmed: bool = False

    @property
    def withdrawn(self) -> bool:
        """Whether the claim was withdrawn (it stays in the history)."""
        return self.withdrawn_version is not None


@dataclass(frozen=True, slots=True)
class IndexedInclusion:
    """Where a batched record lives: the batch root, its packed entry and the proof for it.

    Exactly the ``Inclusion`` the contract takes for amend / claim / publish (IPriorityRegistry).
    """

    root: bytes
    entry: bytes
    proof: tuple[bytes, ...]
    entry_index: int


@dataclass(frozen=True, slots=True)
class IndexedWriting:
    """Where one version of a record was written, and what proves it: the evidence of a verdict
    (docs/api.md#evidence), read in one snapshot of the index.

    ``block_hash`` is ``None`` when the index no longer keeps that block's hash; ``head`` is the
    last indexed block.
    """

    version: IndexedVersion
    block_hash: bytes | None
    inclusion: IndexedInclusion | None
    head: int | None


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    """An anchored application as the ledger holds it (docs/api.md#other-bodies, ``GET
    /v1/applications/{commitment}``)."""

    commitment: bytes
    office: str
    kind: IpRightKind
    filing_date: _dt.date
    document_digest: bytes | None
    version: int
    versions: tuple[IndexedVersion, ...]
    priority_claims: tuple[IndexedClaim, ...]
    claimed_by: tuple[bytes, ...]
    inclusion: IndexedInclusion | None
    published_number: str | None
    number_office: str | None
    block_number: int
    transaction_hash: bytes
    #: Other offices holding a record under the same 32 bytes (docs/spec/entries.md#paths-keyed-by-a-commitment), in
    #: chain order.
    also_anchored_by: tuple[str, ...] = ()
    #: (office, commitment) of the records claiming this one, active claims only.
    claimed_by_nodes: tuple[tuple[str, bytes], ...] = ()

    @property
    def batch_root(self) -> bytes | None:
        """The root of the batch that anchored the record; ``None`` for a stored (single) anchor."""
        return self.inclusion.root if self.inclusion is not None else None


@dataclass(frozen=True, slots=True)
class IndexedSummary:
    """The few fields a family listing shows per member (docs/api.md#families ``extendedFamily[]``)."""

    commitment: bytes
    office: str
    kind: IpRightKind
    filing_date: _dt.date
    published_number: str | None


@dataclass(frozen=True, slots=True)
class RegisteredFacts:
    """What a priority-claim verification needs of a record, and nothing it does not (no proof)."""

    commitment: bytes
    office: str
    kind: IpRightKind
    filing_date: _dt.date
    document_digest: bytes | None
    version: int
    claimed_dates: tuple[_dt.date, ...]


@dataclass(frozen=True, slots=True)
class OfficeChange:
    """One directory event: ``admitted``, ``suspended``, ``reinstated`` or ``keyRotated``."""

    block_number: int
    transaction_hash: bytes
    event: str
    signer: str | None


@dataclass(frozen=True, slots=True)
class IndexedOffice:
    """An office of the directory with its current key, state and full history."""

    code: str
    signer: str
    active: bool
    history: tuple[OfficeChange, ...]
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class IndexedReport:
    """A report anchored by ``office`` for its application ``commitment``
    (docs/spec/entries.md#document-digests-and-reports, R15)."""

    report_id: bytes
    office: str
    commitment: bytes
    report_digest: bytes
    kind: int
    issued: _dt.date
    block_number: int
    transaction_hash: bytes


@dataclass(frozen=True, slots=True)
class Refusal:
    """A claim, amendment, report or publication the index refused for its sender
    (docs/spec/entries.md#chain-data-is-input)."""

    office: str
    commitment: bytes
    event: str
    block_number: int
    transaction_hash: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class IndexedConflict:
    """A later anchor of a commitment already held: recorded, never applied (first anchored wins)."""

    commitment: bytes
    office: str
    batch_root: bytes | None
    entry_index: int | None
    block_number: int
    transaction_hash: bytes


@dataclass(frozen=True, slots=True)
class RefusedBatch:
    """A batch the index did not accept, and why (docs/spec/entries.md#merkle-tree: the root must match the
    calldata)."""

    root: bytes
    office: str
    block_number: int
    transaction_hash: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one :meth:`Index.sync` did. ``rolled_back`` counts blocks undone by reorganisations."""

    from_block: int
    to_block: int
    events: int
    filings: int
    batches: int
    conflicts: int
    refused_batches: int
    rolled_back: int
    seconds: float


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Totals of the index; ``last_block`` is ``None`` before the first sync."""

    filings: int
    batches: int
    stored_filings: int
    claims: int
    conflicts: int
    refused_batches: int
    last_block: int | None


# ── the names results use ────────────────────────────────────────────────────────────────────


def node_id(office: str, commitment: bytes) -> str:
    """The family-graph name of the record (office, commitment): ``CC:0x…``
    (docs/spec/entries.md#claim-tokens-and-confirmed-links)."""
    return f"{office}:0x{commitment.hex()}"


def parse_node(node: str) -> tuple[str, bytes]:
    """The (office, commitment) of a :func:`node_id`."""
    office, _, hexed = node.partition(":")
    return office, bytes.fromhex(hexed[2:])


def report_id(office: str, report_digest: bytes) -> bytes:
    """``keccak256(abi.encode(bytes2 office, bytes32 reportDigest))``: the same at every gateway
    (docs/spec/entries.md#document-digests-and-reports)."""
    return keccak(office.encode("ascii").ljust(32, b"\0") + report_digest)
