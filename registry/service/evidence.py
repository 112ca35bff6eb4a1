"""The evidence of a registered verification: what anyone needs to check it again later, on any node.

docs/api.md#evidence: a verify answer carries ``evidence`` — ``{chainId, contract, blockNumber, blockHash,
transactionHash, headBlock, batchRoot | null, proof | null, entry | null, rulesVersion, input}`` — and ``null``
unless the claimed application is registered. Proofs must outlive their operator (WIPO PROOF closed in 2022 and
left its users with tokens to check by hand): with this object and the URL of any node of the chain,
``prioreg check-evidence`` (:mod:`registry.service.evidence_check`) re-checks the answer without this gateway.

- ``transactionHash``, ``blockNumber``, ``blockHash``: the transaction that wrote the version the verdict was
  reached on (docs/design.md#p4-first-write-wins-history-stays: a verification names the version it checked);
  ``headBlock``: the last block the index had read when the answer was computed.
- For a batched record: the office's ``batchRoot``, the OpenZeppelin StandardMerkleTree ``proof`` and the packed
  ``entry`` bytes (docs/spec/entries.md#merkle-tree, docs/spec/entries.md#batch-entry-layout). The entry stands in
  the transaction's calldata: in the batch's own ``anchorBatch`` input for version 1, inside the ``Inclusion``
  argument of the amendment or claim change for a later version.
- ``rulesVersion``: ``"<package version>+<calendar data id>"`` — the code and the closing days the verdict used.
- ``input``: the request, without the access code (the secret stays with the examiner).

Built from the index alone — the record, its versions, the batch tree and the hash of every block with
registry events — so that no verification waits for the node; a header is read from the node only for a
block the index does not know.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from registry import __version__
from registry.domain.calendar import OfficeCalendar
from registry.domain.rules import LaterApplication, ParentRelation
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import Chain

__all__ = ["Evidence", "EvidenceInput", "build_evidence", "rules_version"]


@dataclass(frozen=True)
class EvidenceInput:
    """The verify request without its access code (docs/api.md#evidence ``input``).

    ``later_application_number`` is the later application's number as it was given (the canonical number for
    a claim judged at anchoring): read again with :meth:`LaterApplication.read` it gives the same application.
    """

    priority_office: str
    priority_number: str
    priority_filing_date: _dt.date
    later_office: str
    later_filing_date: _dt.date
    later_kind: IpRightKind
    later_parent_filing_date: _dt.date | None = None
    later_application_number: str | None = None
    later_parent_relation: ParentRelation | None = None

    @classmethod
    def of(
        cls, office: str, number: str, filing_date: _dt.date, later: LaterApplication, *, later_number: str | None
    ) -> EvidenceInput:
        """The input of a claim on (``office``, ``number``, ``filing_date``) judged for ``later``."""
        return cls(
            office,
            number,
            filing_date,
            later.ip_office_code,
            later.filing_date,
            later.ip_right_kind,
            later.parent_filing_date,
            later_number,
            later.parent_relation,
        )

    def later_application(self) -> LaterApplication:
        """The later application this input names, read as the verify endpoint reads it."""
        return LaterApplication.read(
            self.later_office,
            self.later_filing_date,
            self.later_kind,
            parent_filing_date=self.later_parent_filing_date,
            application_number=self.later_application_number,
            parent_relation=self.later_parent_relation,
        )


@dataclass(frozen=True)
class Evidence:
    """Where on the ledger a registered verification stands (docs/api.md#evidence)."""

    chain_id: int
    contract: str
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    head_block: int
    batch_root: bytes | None
    proof: tuple[bytes, ...] | None
    entry: bytes | None
    rules_version: str
    input: EvidenceInput


def rules_version(calendar: OfficeCalendar) -> str:
    """``"<package version>+<calendar data id>"`` (docs/api.md#evidence)."""
    return f"{__version__}+{calendar.data_id}"


def build_evidence(
    chain: Chain,
    index: Index,
    contract: str,
    calendar: OfficeCalendar,
    *,
    office: str,
    commitment: bytes,
    version: int,
    given: EvidenceInput,
) -> Evidence | None:
    """The evidence of a verdict reached on version ``version`` of ``office``'s record of ``commitment``.

    ``None`` when the index no longer holds that record (a reorganisation between the verdict and this read).
    """
    # One snapshot of the index: the version, its block's hash, the proof and the head agree with each other.
    found = index.written(commitment, office, version)
    if found is None:
        return None
    written, inclusion = found.version, found.inclusion
    # The index keeps the hash of every block with registry events: no call to the node per verification, so a
    # read worker of `serve --workers N` answers it alone (docs/operations.md).
    block_hash = found.block_hash
    if block_hash is None:
        header = chain.header(written.block_number)
        if header is None:
            return None
        block_hash = header[0]
    head = found.head
    return Evidence(
        chain_id=chain.chain_id,
        contract=contract,
        block_number=written.block_number,
        block_hash=block_hash,
        transaction_hash=written.transaction_hash,
        head_block=max(head or 0, written.block_number),
        batch_root=None if inclusion is None else inclusion.root,
        proof=None if inclusion is None else tuple(inclusion.proof),
        entry=None if inclusion is None else inclusion.entry,
        rules_version=rules_version(calendar),
        input=given,
    )
