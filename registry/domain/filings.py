"""From what an office types to what the ledger holds: one filing, prepared for anchoring.

The pure path of docs/design.md#how-the-code-is-written — normalize → commit → entry — for one application and its
priority claims: the number is read by its office's rules (``registry.domain.numbers``, WIPO ST.10/C), the access
code is checked or generated (``registry.domain.accesscodes``), the commitment binds (office, canonical
number, access secret) (docs/spec/commitments.md#commitments), and each priority claim (PCT Rule 4.10: office, number,
date) becomes the earlier application's (office, commitment) with the claimed date and the claim token
that proves the claiming office was given the earlier access code
(docs/spec/entries.md#claim-tokens-and-confirmed-links). Duplicate claims and self-claims are refused (Paris Art. 4F;
docs/domain.md#8-multiple-priorities). Nothing here touches a node.

What is anchored must be plausible, not only well formed:

- an access code the office chose must pass the strength rule of docs/api.md#other-bodies
  (:func:`registry.domain.accesscodes.check_strength`, ``weakAccessCode``); a claim's code was issued by
  the first office and is taken as given;
- with ``latest_block_day`` (the UTC day of the chain's latest block, which the service reads), the
  filing date and every claimed date lie between the Paris Convention (1883-03-20) and that day + 1
  (:func:`registry.domain.types.is_plausible_date`), and no claim is dated after the filing itself
  (docs/spec/priority-rules.md#plausible-dates: ``notAPlausibleDate``). Verification applies none of this: it answers an
  implausible pair with a verdict (``laterAfterEarlier`` fails).
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass

from registry import errors
from registry.domain.accesscodes import AccessCode, check_strength, derive, generate
from registry.domain.accesscodes import normalize as normalize_access_code
from registry.domain.commitments import bound_document_digest, claim_token
from registry.domain.commitments import commitment as commit
from registry.domain.entries import ClaimRef, Entry
from registry.domain.numbers import NormalizedNumber
from registry.domain.numbers import normalize as normalize_number
from registry.domain.offices import validate_office
from registry.domain.pct import claim_office, may_anchor
from registry.domain.rules import check_filing_date
from registry.domain.types import (
    PARIS_CONVENTION_DATE,
    Commitment,
    IpRightKind,
    is_plausible_date,
    latest_plausible_date,
)

__all__ = [
    "ClaimInput",
    "FilingInput",
    "PreparedClaim",
    "PreparedFiling",
    "check_plausible_date",
    "check_report_issued",
    "claim_commitment",
    "claim_office",
    "prepare_filing",
]


@dataclass(frozen=True)
class ClaimInput:
    """A priority claim as the applicant gives it: the earlier application's office, number, date
    and the access code the first office gave the applicant."""

    ip_office_code: str
    application_number: str
    filing_date: _dt.date
    access_code: str


@dataclass(frozen=True)
class FilingInput:
    """One application as its office submits it; ``access_code`` None means "generate one".

    ``document_digest`` is the document file's SHA-256; what is anchored is its binding to the
    application (:func:`registry.domain.commitments.bound_document_digest`)."""

    application_number: str
    filing_date: _dt.date
    ip_right_kind: IpRightKind
    document_digest: bytes | None = None
    access_code: str | None = None
    priority_claims: tuple[ClaimInput, ...] = ()


@dataclass(frozen=True)
class PreparedClaim:
    """A claim reduced to what the ledger stores: the earlier (office, commitment) and the claimed
    date; ``access_secret`` (kept in memory only) makes the claim token."""

    number: NormalizedNumber
    filing_date: _dt.date
    commitment: Commitment
    access_secret: str = ""

    @property
    def office(self) -> str:
        """The office whose record the claim names (:func:`claim_office`)."""
        return claim_office(self.number)


@dataclass(frozen=True)
class PreparedFiling:
    """A filing ready to anchor: its canonical number, access code, commitment and packed entry."""

    number: NormalizedNumber
    access_code: AccessCode
    commitment: Commitment
    entry: Entry
    claims: tuple[PreparedClaim, ...]

    @property
    def office(self) -> str:
        """The record office (``WO`` for a PCT application)."""
        return self.number.office


# Every filing names its office; the few valid codes are checked once (errors are not cached).
_valid_office = functools.lru_cache(maxsize=1024)(validate_office)


def claim_commitment(claim: ClaimInput, *, target: str = "priorityClaims") -> PreparedClaim:
    """The earlier application's commitment for a claim (raises on a malformed part, located at ``target``)."""
    try:
        number = normalize_number(claim.ip_office_code, claim.application_number)
    except errors.InvalidInput as exc:
        raise exc.with_target(f"{target}.applicationNumber") from None
    try:
        code = normalize_access_code(claim.access_code)
    except errors.InvalidInput as exc:
        raise exc.with_target(f"{target}.accessCode") from None
    try:
        day = check_filing_date(claim.filing_date, target=f"{target}.filingDate")
    except errors.InvalidInput as exc:
        raise exc.with_target(f"{target}.filingDate") from None
    return PreparedClaim(number, day, commit(number.office, number.canonical, code.secret), code.secret)


def check_plausible_date(day: _dt.date, latest_block_day: _dt.date, *, target: str) -> _dt.date:
    """Return ``day`` when anchoring may carry it (docs/spec/priority-rules.md#plausible-dates), else raise
    ``notAPlausibleDate``."""
    if isinstance(day, _dt.date) and not isinstance(day, _dt.datetime) and not is_plausible_date(day, latest_block_day):
        raise errors.InvalidDate(
            f"{day.isoformat()} is not a plausible date: anchoring takes dates from"
            f" {PARIS_CONVENTION_DATE.isoformat()} (the Paris Convention) to"
            f" {latest_plausible_date(latest_block_day).isoformat()} (the day of the ledger's latest block, plus one)",
            code="notAPlausibleDate",
            target=target,
        )
    return day


def check_report_issued(issued: _dt.date, filing_date: _dt.date) -> _dt.date:
    """Return ``issued`` when a report of an application filed on ``filing_date`` may carry it: a search or
    examination report is written about an application already filed, so not before that day (R15); else raise
    :class:`~registry.errors.ReportBeforeFiling` at ``issued``."""
    if issued < filing_date:
        raise errors.ReportBeforeFiling(
            f"the report is dated {issued.isoformat()}, before {filing_date.isoformat()}, the filing date of the"
            " application it reports on: give the day it was issued",
            target="issued",
        )
    return issued


def prepare_filing(
    caller_office: str,
    filing: FilingInput,
    *,
    seed: bytes | None = None,
    latest_block_day: _dt.date | None = None,
) -> PreparedFiling:
    """Validate one filing of ``caller_office`` and build its commitment and batch entry.

    Without an access code in ``filing``, one is derived from the office's ``seed`` (so a retry
    commits under the same code; :func:`registry.domain.accesscodes.derive`), or drawn at random; a code
    given in ``filing`` must pass the strength rule. With ``latest_block_day``, every date must be
    plausible (module docstring); the service always passes it when it anchors.

    Raises :class:`~registry.errors.InvalidInput` (with a ``target`` naming the field) for anything
    malformed and :class:`~registry.errors.Forbidden` when the number belongs to another office.
    """
    office = _valid_office(caller_office) if type(caller_office) is str else validate_office(caller_office)
    try:
        number = normalize_number(office, filing.application_number)
    except errors.InvalidOfficeCode:
        raise
    except errors.InvalidInput as exc:
        raise exc.with_target("applicationNumber") from None
    if not may_anchor(office, number):
        raise errors.Forbidden(
            f"{number.display} is an application of {number.office}; office {office} may anchor only its own"
        )
    try:
        if filing.access_code is not None:
            code = check_strength(normalize_access_code(filing.access_code))
        elif seed is not None:
            code = derive(seed, number.office, number.canonical)
        else:
            code = generate()
    except errors.InvalidInput as exc:
        raise exc.with_target("accessCode") from None
    if latest_block_day is not None:
        check_plausible_date(filing.filing_date, latest_block_day, target="filingDate")
    day = check_filing_date(filing.filing_date, target="filingDate")
    own = commit(number.office, number.canonical, code.secret)
    claims: list[PreparedClaim] = []
    seen: dict[tuple[str, str], int] = {}
    for i, claim in enumerate(filing.priority_claims):
        target = f"priorityClaims[{i}]"
        if latest_block_day is not None:
            check_plausible_date(claim.filing_date, latest_block_day, target=f"{target}.filingDate")
        prepared = claim_commitment(claim, target=target)
        if latest_block_day is not None and prepared.filing_date > day:
            # Paris Art. 4A: a priority right comes from an earlier filing; a claim dated after the
            # application that makes it is a typing error, not a claim to record.
            raise errors.InvalidDate(
                f"the claimed date {prepared.filing_date.isoformat()} is after this application's filing date"
                f" {day.isoformat()}: a priority claim names an earlier application",
                code="notAPlausibleDate",
                target=f"{target}.filingDate",
            )
        key = (prepared.number.office, prepared.number.canonical)
        if key in seen:
            raise errors.InvalidClaim(
                f"priority claims {seen[key]} and {i} name the same application {prepared.number.display} "
                "(Paris Convention Art. 4F allows each earlier application once)",
                code="duplicateClaim",
                target=target,
            )
        if key == (number.office, number.canonical):
            raise errors.InvalidClaim("an application cannot claim its own priority", code="selfClaim", target=target)
        seen[key] = i
        claims.append(prepared)
    # The ledger holds the document's SHA-256 bound to this application
    # (docs/spec/entries.md#document-digests-and-reports), so that hashing a published document links it to nothing.
    if filing.document_digest == bytes(32):
        raise errors.InvalidInput("a zero document digest means 'no document': leave it out", code="badDigest")
    digest = None if filing.document_digest is None else bound_document_digest(own, filing.document_digest)
    entry = Entry(
        commitment=own,
        kind=filing.ip_right_kind,
        filing_date=day,
        document_digest=digest,
        claims=tuple(
            [ClaimRef(c.commitment, c.filing_date, c.office, claim_token(office, own, c.access_secret)) for c in claims]
        ),
    )
    return PreparedFiling(number, code, own, entry, tuple(claims))
