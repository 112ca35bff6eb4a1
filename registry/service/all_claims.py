"""Every priority claim of one anchored application, each verified from the ledger alone
(docs/api.md#other-bodies, ``GET /v1/applications/{commitment}/priority-claims``).

What an examiner at the office of second filing checks for the application on the desk. No access
code is asked for: the claims on the ledger already name the earlier application by its office and
commitment (docs/spec/entries.md#claim-tokens-and-confirmed-links), so each one is judged by the verify endpoint's own
path (:meth:`RegistryService._verify_prepared`, docs/spec/priority-rules.md), with the later application being this
record:

- **the later application** is the record as the ledger holds it now: its office, its current filing date (the newest
  version, docs/design.md#p4-first-write-wins-history-stays), its kind, and its number once published (a published PCT
  number picks its receiving Office's calendar, docs/api.md#verifying-a-claim). The ledger keeps no parent of a
  divisional, so a claim is judged from the record's own filing date;
- **the earlier application** is the record of the office the claim names, and only that office's
  (docs/spec/commitments.md#whose-record-counts, docs/design.md#p9-no-office-can-hurt-another): 32 bytes alone cannot
  tell a PCT application from a national one, so no other office's record under the same bytes answers for it — except
  the IB's two codes for a claim that names ``WO``, exactly as for a PCT number the IB received. Its number is known
  once published (and then judged exactly as a verify call naming it), else the messages name its commitment;
- a claim whose earlier application is not anchored yet is ``notFound``, its message saying so without speaking of
  an access code; a withdrawn claim is listed (``withdrawn``) and verified all the same.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from registry import errors
from registry.domain.commitments import to_hex
from registry.domain.numbers import NormalizedNumber
from registry.domain.numbers import normalize as normalize_number
from registry.domain.rules import CHECK_REGISTERED, Check, LaterApplication, Severity, Verdict, Verification
from registry.domain.types import Commitment, OfficeCode, as_commitment
from registry.index import IndexedClaim, IndexedRecord
from registry.service import RegistryService
from registry.service.evidence import Evidence, EvidenceInput

__all__ = ["AllClaims", "ClaimVerification", "all_claims", "later_of"]


@dataclass(frozen=True)
class ClaimVerification:
    """One claim the application made, and where it stands now."""

    claim: IndexedClaim
    verification: Verification
    evidence: Evidence | None = None


@dataclass(frozen=True)
class AllClaims:
    """The record and each of its claims in chain order, withdrawn ones included."""

    record: IndexedRecord
    claims: tuple[ClaimVerification, ...]


def all_claims(service: RegistryService, commitment: Commitment, office: str | None = None) -> AllClaims:
    """Verify every claim of ``office``'s record of ``commitment`` (None: the first anchored; raises NotFound)."""
    record = service.application(commitment, office)
    later = later_of(record)
    return AllClaims(record, tuple(_verify(service, c, later) for c in record.priority_claims))


def later_of(record: IndexedRecord) -> LaterApplication:
    """The record as the later application of its own claims (docs/api.md#verifying-a-claim ``later``).

    Its office as ``GET /v1/applications`` shows it (``WO`` once a PCT number is published), its current filing date
    and kind, and its published number, which reads as a PCT number when it is one.
    """
    office = record.number_office or record.office
    if record.published_number is not None:
        try:
            return LaterApplication.read(
                office, record.filing_date, record.kind, application_number=record.published_number
            )
        except errors.InvalidInput:
            pass  # a number the ledger accepted but these rules cannot read: judged without it
    return LaterApplication(office, record.filing_date, record.kind)


def _earlier_number(service: RegistryService, claim: IndexedClaim) -> NormalizedNumber | None:
    """The earlier application's number, when the office that anchored it has published it."""
    node = (claim.earlier_office, claim.earlier)
    summary = service.index.summaries([node]).get(node)
    if summary is None or summary.published_number is None:
        return None  # the common case, read without rebuilding a batch tree
    record = service.index.record(claim.earlier, claim.earlier_office)
    if record is None or record.number_office is None or record.published_number is None:
        return None
    try:
        return normalize_number(record.number_office, record.published_number)
    except errors.InvalidInput:
        return None


def _verify(service: RegistryService, claim: IndexedClaim, later: LaterApplication) -> ClaimVerification:
    commitment = as_commitment(claim.earlier)
    number = _earlier_number(service, claim)
    if number is None:
        # Unpublished: named by the office the claim names and its commitment. A code other than WO judges only that
        # office's record (pct.judged_offices of a non-PCT number); WO judges the IB's, as for a PCT number.
        label = f"with commitment {to_hex(commitment)}"
        # The index decoded the code as two uppercase letters (registry.domain.entries); it is not read again here.
        number = NormalizedNumber(OfficeCode(claim.earlier_office), label, label)
    # The evidence's input names the earlier application as the ledger does: its number once published, else
    # its commitment (docs/api.md#evidence; no access code was given).
    given = EvidenceInput.of(
        claim.earlier_office, number.display, claim.claimed_filing_date, later, later_number=later.application_number
    )
    verification, evidence = service._checked(number, claim.claimed_filing_date, commitment, later, given)
    if verification.verdict is Verdict.NOT_FOUND:
        return ClaimVerification(claim, _not_anchored(verification, claim))
    return ClaimVerification(claim, verification, evidence)


def _not_anchored(verification: Verification, claim: IndexedClaim) -> Verification:
    """The ``registered`` check of a claim whose earlier application is not on the ledger yet: no access code was
    asked for, so the message speaks of the commitment the claim names (Paris Convention Art. 4D(3))."""
    message = (
        f"Office {claim.earlier_office} has not anchored the application this claim names (commitment"
        f" {to_hex(claim.earlier)}) yet; ask that office whether it has registered it, or check the claim again"
        " later (Paris Convention Art. 4D(3))."
    )
    checks = tuple(
        Check(CHECK_REGISTERED, False, Severity.ERROR, message) if c.name == CHECK_REGISTERED else c
        for c in verification.checks
    )
    return dataclasses.replace(verification, checks=checks)
