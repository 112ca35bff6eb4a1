"""From what an office types to what the ledger holds: one filing, prepared for anchoring.

The pure path of STYLE.md — normalize → commit → entry — for one application and its priority
claims: the number is read by its office's rules (``registry.numbers``, WIPO ST.10/C), the access
code is checked or generated (``registry.accesscodes``), the commitment binds (office, canonical
number, access secret) (SPEC.md §1), and each priority claim (PCT Rule 4.10: office, number, date)
becomes the earlier application's commitment with the claimed date. Duplicate claims and self-claims
are refused (Paris Art. 4F; DOMAIN.md rule 8). Nothing here touches a node.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass

from registry import errors
from registry.accesscodes import AccessCode, derive, generate
from registry.accesscodes import normalize as normalize_access_code
from registry.commitments import commitment as commit
from registry.entries import ClaimRef, Entry
from registry.numbers import NormalizedNumber
from registry.numbers import normalize as normalize_number
from registry.offices import validate_office
from registry.rules import check_filing_date
from registry.types import IpRightKind

__all__ = [
    "ClaimInput",
    "FilingInput",
    "PreparedClaim",
    "PreparedFiling",
    "claim_commitment",
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
    """One application as its office submits it; ``access_code`` None means "generate one"."""

    application_number: str
    filing_date: _dt.date
    ip_right_kind: IpRightKind
    document_digest: bytes | None = None
    access_code: str | None = None
    priority_claims: tuple[ClaimInput, ...] = ()


@dataclass(frozen=True)
class PreparedClaim:
    """A claim reduced to what the ledger stores: the earlier commitment and the claimed date."""

    number: NormalizedNumber
    filing_date: _dt.date
    commitment: bytes


@dataclass(frozen=True)
class PreparedFiling:
    """A filing ready to anchor: its canonical number, access code, commitment and packed entry."""

    number: NormalizedNumber
    access_code: AccessCode
    commitment: bytes
    entry: Entry
    claims: tuple[PreparedClaim, ...]

    @property
    def office(self) -> str:
        """The record office (``WO`` for a PCT application)."""
        return self.number.office


# Every filing names its office; the few valid codes are checked once (errors are not cached).
_valid_office = functools.lru_cache(maxsize=1024)(validate_office)


def _may_anchor(caller_office: str, number: NormalizedNumber) -> bool:
    # SPEC.md §1: an office anchors its own numbers; a PCT number (record office WO) is anchored
    # by the IB (WO) or by the receiving office named in the number.
    if number.office == caller_office:
        return True
    return number.office == "WO" and caller_office in ("IB", number.receiving_office)


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
    return PreparedClaim(number, day, commit(number.office, number.canonical, code.secret))


def prepare_filing(caller_office: str, filing: FilingInput, *, seed: bytes | None = None) -> PreparedFiling:
    """Validate one filing of ``caller_office`` and build its commitment and batch entry.

    Without an access code in ``filing``, one is derived from the office's ``seed`` (so a retry
    commits under the same code; :func:`registry.accesscodes.derive`), or drawn at random.

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
    if not _may_anchor(office, number):
        raise errors.Forbidden(
            f"{number.display} is an application of {number.office}; office {office} may anchor only its own"
        )
    try:
        if filing.access_code is not None:
            code = normalize_access_code(filing.access_code)
        elif seed is not None:
            code = derive(seed, number.office, number.canonical)
        else:
            code = generate()
    except errors.InvalidInput as exc:
        raise exc.with_target("accessCode") from None
    day = check_filing_date(filing.filing_date, target="filingDate")
    own = commit(number.office, number.canonical, code.secret)
    claims: list[PreparedClaim] = []
    seen: dict[tuple[str, str], int] = {}
    for i, claim in enumerate(filing.priority_claims):
        target = f"priorityClaims[{i}]"
        prepared = claim_commitment(claim, target=target)
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
    entry = Entry(
        commitment=own,
        kind=filing.ip_right_kind,
        filing_date=day,
        document_digest=filing.document_digest,
        claims=tuple([ClaimRef(c.commitment, c.filing_date) for c in claims]),
    )
    return PreparedFiling(number, code, own, entry, tuple(claims))
