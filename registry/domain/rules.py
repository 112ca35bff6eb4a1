"""The verdict engine: is a priority claim valid, restorable, invalid, or not found on the ledger?

Pure functions over frozen dataclasses; no chain, no I/O (the office calendar is passed in). The
rules, as fixed by docs/spec/priority-rules.md and docs/domain.md#priority-rules, and where each comes from:

- **What a claim names** (PCT Rule 4.10(a)): the earlier application's office, number and filing
  date. The claimed date must equal the date anchored on the ledger (check ``filingDateMatches``).
- **Period** (Paris Convention Art. 4C(1)): 12 months when the *later* application is a patent or
  utility model, 6 months when it is an industrial design or a trademark.
- **Kinds** (Paris Art. 4A(1), 4E(1), 4E(2)): patent ← patent, utility model; utility model ←
  patent, utility model; design ← design, utility model (with the design's 6 months, 4E(1));
  trademark ← trademark. Design ← patent is left to national law (a ``warning``); any other
  crossing fails ``ipRightKindCompatible``.
- **Computing the end** (Paris Art. 4C(2), PCT Rule 80.2): the filing day is not counted; the period
  ends on the same-numbered day of the 12th (6th) month, or on that month's last day when it has no
  such day (:func:`add_months`).
- **Closed days** (Paris Art. 4C(3), PCT Rule 80.5): a last day on which the *later* (second) office
  is closed moves to its next working day (:mod:`registry.domain.calendar`).
- **Restoration** (PCT Rule 26bis.3): a later application filed within 2 months after the period
  expired can have the priority right restored on request; verdict ``restorable``. Only for patents
  and utility models (docs/spec/priority-rules.md#restoration).
- **Order** (Paris Art. 4A(1), 4C(2)): the earlier application must be filed strictly before the
  later one (check ``laterAfterEarlier``).
- **First application** (Paris Art. 4C(4)): when the priority application itself claims an earlier
  priority it may not be the first application; a ``warning`` naming the date the period may have to
  run from.
- **Derived applications** (Paris Art. 4G): a divisional or continuation is judged from its parent's
  filing date (``LaterApplication.parent_filing_date``).
- **Multiple priorities** (Paris Art. 4F, EPC Art. 88(2)): each claim is judged on its own, its period
  running from its own date; a duplicate claim to the same application is refused; the 16-month
  priority-document deadline (PCT Rule 17.1(a)) and the correction deadline (PCT Rule 26bis.1(a): 16
  months from the earliest priority date, and at least 4 months from the later filing date) run from
  the earliest priority date (:func:`check_claim_set`).

How the checks make the verdict (:func:`verdict_from_checks`, docs/spec/priority-rules.md#verdicts):

- ``registered`` failed → ``notFound``, and no other check is listed: a wrong access code must look
  exactly like an application that was never anchored, so that answer depends on nothing but the
  claim the caller sent.
- no failed ``error`` check → ``valid`` (``warning`` checks never change the verdict);
- the only failed ``error`` check is ``withinPriorityPeriod`` and ``withinRestorationPeriod`` (listed
  only when the claim is late) passed → ``restorable``;
- otherwise → ``invalid``.

Real data is messy (docs/domain.md#messy-data): dates are never "fixed" here. A placeholder such as ``0001-01-01``,
or any date the ledger cannot encode, is refused with :class:`~registry.errors.InvalidDate`; a
parent filed after its divisional is refused too.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from registry.domain.calendar import OfficeCalendar, default_calendar
from registry.domain.law import ApplyingLaw, Criterion, DeadlineRule, Route, applying_law, restoration_route
from registry.domain.types import IpRightKind, date_to_days
from registry.errors import InvalidClaim, InvalidDate, InvalidInput

__all__ = [
    "CHECK_CLOSING_DAYS_KNOWN",
    "CHECK_CONTINUATION_IN_PART",
    "CHECK_FILING_DATE_MATCHES",
    "CHECK_FIRST_APPLICATION",
    "CHECK_KIND_COMPATIBLE",
    "CHECK_LATER_AFTER_EARLIER",
    "CHECK_REGISTERED",
    "CHECK_RESTORATION_ROUTE_KNOWN",
    "CHECK_WITHIN_PRIORITY_PERIOD",
    "CHECK_WITHIN_RESTORATION_PERIOD",
    "Check",
    "ClaimSetAssessment",
    "ClaimTiming",
    "KindCompatibility",
    "LaterApplication",
    "ParentRelation",
    "PriorityClaim",
    "RegisteredApplication",
    "Restoration",
    "Severity",
    "Verdict",
    "Verification",
    "add_months",
    "check_claim_set",
    "check_filing_date",
    "correction_deadline",
    "earliest_priority_date",
    "kind_compatibility",
    "priority_document_deadline",
    "priority_period_end",
    "priority_period_months",
    "restoration_period_end",
    "verdict_from_checks",
    "verify_claim",
]

CHECK_REGISTERED = "registered"
CHECK_FILING_DATE_MATCHES = "filingDateMatches"
CHECK_KIND_COMPATIBLE = "ipRightKindCompatible"
CHECK_LATER_AFTER_EARLIER = "laterAfterEarlier"
CHECK_WITHIN_PRIORITY_PERIOD = "withinPriorityPeriod"
CHECK_WITHIN_RESTORATION_PERIOD = "withinRestorationPeriod"
CHECK_FIRST_APPLICATION = "firstApplication"
CHECK_CLOSING_DAYS_KNOWN = "closingDaysKnown"
CHECK_RESTORATION_ROUTE_KNOWN = "restorationRouteKnown"
CHECK_CONTINUATION_IN_PART = "continuationInPart"

# PCT Rule 26bis.3(a): restoration is possible within two months from the expiry of the period.
RESTORATION_MONTHS = 2
# PCT Rule 17.1(a) (priority document) and Rule 26bis.1(a) (correction or addition of a claim).
PRIORITY_DOCUMENT_MONTHS = 16
CORRECTION_MONTHS_FROM_PRIORITY = 16
CORRECTION_MONTHS_FROM_FILING = 4

# Dates that databases write when they do not know the real one. They are refused, not guessed
# around; other dates outside the ledger's range (docs/spec/entries.md#field-encodings, after 1970-01-01) are refused
# too.
_PLACEHOLDER_DATES = frozenset({_dt.date(1, 1, 1), _dt.date(1900, 1, 1), _dt.date(1970, 1, 1), _dt.date.max})

_TWELVE_MONTH_KINDS = frozenset({IpRightKind.PATENT, IpRightKind.UTILITY_MODEL})


class Severity(StrEnum):
    """How much a failed check weighs (docs/spec/priority-rules.md#verdicts): an ``error`` decides the verdict, a
    ``warning`` never."""

    ERROR = "error"
    WARNING = "warning"


class Verdict(StrEnum):
    """The answer of a verification (docs/api.md#verifying-a-claim ``verdict``)."""

    VALID = "valid"
    RESTORABLE = "restorable"
    INVALID = "invalid"
    NOT_FOUND = "notFound"


class KindCompatibility(StrEnum):
    """Whether a later kind may claim an earlier kind (Paris Art. 4A(1), 4E(1), 4E(2);
    docs/spec/priority-rules.md#kinds)."""

    ALLOWED = "allowed"
    NATIONAL_LAW = "nationalLaw"
    REFUSED = "refused"


@dataclass(frozen=True)
class Check:
    """One named check of a verification (docs/api.md#verifying-a-claim ``checks[]``).

    ``severity`` is what a failure of this check weighs; it is set on passed checks too, so that a
    reader sees which checks can decide the verdict.
    """

    name: str
    passed: bool
    severity: Severity
    message: str


@dataclass(frozen=True)
class PriorityClaim:
    """A priority claim as the examiner holds it (PCT Rule 4.10(a)): office, number, filing date.

    ``application_number`` is the office module's canonical number (docs/spec/commitments.md#canonical-numbers), so two
    claims to the same application compare equal on ``(ip_office_code, application_number)``.
    """

    ip_office_code: str
    application_number: str
    filing_date: _dt.date

    @property
    def key(self) -> tuple[str, str]:
        """The identity of the claimed application (ST.10/C: the number plus the office's ST.3 code)."""
        return (self.ip_office_code, self.application_number)


class ParentRelation(StrEnum):
    """How a derived application relates to the application it was derived from (Paris Art. 4G)."""

    DIVISIONAL = "divisional"
    CONTINUATION = "continuation"
    CONTINUATION_IN_PART = "continuationInPart"


@dataclass(frozen=True)
class LaterApplication:
    """The application that claims priority (the one filed at the second office).

    ``parent_filing_date`` is set for a divisional or continuation: it inherits the date and
    priorities of the application it was derived from (Paris Art. 4G, EPC Art. 76(1)), so the
    priority period is judged from that date. For a chain (a divisional of a divisional) it is the
    filing date of the **first application in the chain that carried the claim** — the earliest
    ancestor — since every later member inherits that date; given several, :meth:`read` keeps the
    earliest. ``parent_relation`` ``continuationInPart`` adds a warning: the date holds only for the
    matter carried over.

    ``receiving_office`` is set when the later application is a PCT application (its number reads
    ``PCT/CC…``): the receiving Office ``CC``'s calendar and the PCT Rules apply (PCT Rule 80.5,
    :func:`registry.domain.law.applying_law`). Build one from what a caller wrote with :meth:`read`.
    """

    ip_office_code: str
    filing_date: _dt.date
    ip_right_kind: IpRightKind
    parent_filing_date: _dt.date | None = None
    receiving_office: str | None = None
    application_number: str | None = None
    parent_relation: ParentRelation | None = None

    @classmethod
    def read(
        cls,
        ip_office_code: str,
        filing_date: _dt.date,
        ip_right_kind: IpRightKind,
        *,
        parent_filing_date: _dt.date | Sequence[_dt.date] | None = None,
        application_number: str | None = None,
        parent_relation: ParentRelation | str | None = None,
    ) -> LaterApplication:
        """The later application as a caller gives it (docs/api.md#verifying-a-claim, ``later``).

        ``application_number`` (as written) that reads as a PCT number makes it a PCT application
        whatever ``ip_office_code`` says (``WO``, or a designated office such as ``EP``); any other
        number is validated under ``ip_office_code`` and changes nothing else. Raises
        :class:`~registry.errors.InvalidApplicationNumber` (target ``later.applicationNumber``) for a
        malformed one.
        """
        receiving = None
        canonical = None
        if application_number is not None:
            receiving, canonical = _read_later_number(ip_office_code, application_number)
        parents = (
            [parent_filing_date]
            if isinstance(parent_filing_date, _dt.date) or parent_filing_date is None
            else list(parent_filing_date)
        )
        known = [p for p in parents if p is not None]
        relation = None if parent_relation is None else ParentRelation(parent_relation)
        return cls(
            ip_office_code,
            filing_date,
            ip_right_kind,
            min(known) if known else None,
            receiving,
            canonical,
            relation,
        )

    @property
    def effective_date(self) -> _dt.date:
        """The date the priority period is judged against: the parent's for a derived application (4G)."""
        return self.filing_date if self.parent_filing_date is None else self.parent_filing_date

    @property
    def law(self) -> ApplyingLaw:
        """The office whose calendar and law judge claims of this application (:mod:`registry.domain.law`)."""
        return applying_law(self.ip_office_code, self.receiving_office)


def _read_later_number(office: str, number: str) -> tuple[str | None, str]:
    # Imported here: the number modules are a layer below the rules, but only this reader needs them.
    from registry.domain.numbers import normalize, wo

    text = number.strip()
    try:
        if office == "WO" or text[:3].upper() == "PCT":
            parsed = wo.parse(text)
            return parsed.receiving_office, parsed.canonical
        result = normalize(office, text)
        return result.receiving_office, result.canonical
    except InvalidInput as exc:
        raise exc.with_target("later.applicationNumber") from None


@dataclass(frozen=True)
class RegisteredApplication:
    """What the ledger holds for the claimed application, in the version that was checked.

    ``claimed_priority_dates`` are the filing dates the registered application itself claims (its
    active, not withdrawn, priority claims): non-empty means it may not be a first application
    (Paris Art. 4C(4)).
    """

    commitment: str
    ip_office_code: str
    filing_date: _dt.date
    ip_right_kind: IpRightKind
    version: int
    claimed_priority_dates: tuple[_dt.date, ...] = ()


@dataclass(frozen=True)
class Restoration:
    """How the applying office restores a late priority claim (docs/spec/priority-rules.md#restoration).

    ``available`` None: the office's law is not known here (``restorationRouteKnown`` fails);
    ``criterion`` ``dueCare`` or ``unintentional``; ``request_deadline`` the last day for the request,
    which is not the window (EPC R.136(1), 37 CFR 1.55(c), PCT R.26bis.3(e)); ``rule`` the provision.
    """

    available: bool | None
    criterion: str | None
    request_deadline: _dt.date | None
    rule: str


@dataclass(frozen=True)
class Verification:
    """The answer to "does this priority claim hold?" (docs/api.md#verifying-a-claim ``POST
    /v1/priority-claims/verify``).

    ``priority_period_end`` and ``restoration_period_end`` are the moved last days (Paris Art. 4C(3),
    PCT Rule 80.5) computed from the registered filing date; ``None`` when nothing was found, and
    ``restoration_period_end`` is ``None`` for designs and trademarks (no restoration, Rule 26bis.3).
    """

    verdict: Verdict
    checks: tuple[Check, ...]
    priority_period_end: _dt.date | None
    restoration_period_end: _dt.date | None
    registered: RegisteredApplication | None
    restoration: Restoration | None = None

    def check(self, name: str) -> Check | None:
        """The check called ``name``, or ``None`` when it was not run."""
        return next((c for c in self.checks if c.name == name), None)


@dataclass(frozen=True)
class ClaimTiming:
    """One claim of a set judged on its own, its period running from its own date (Paris Art. 4F)."""

    claim: PriorityClaim
    priority_period_end: _dt.date
    restoration_period_end: _dt.date | None
    verdict: Verdict
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class ClaimSetAssessment:
    """All the claims of one later application (Paris Art. 4F, EPC Art. 88(2), PCT Rule 26bis.1).

    ``claims`` are in input order. The deadlines run from ``earliest_priority_date`` and are moved to
    the later office's next working day (PCT Rule 80.5).
    """

    claims: tuple[ClaimTiming, ...]
    earliest_priority_date: _dt.date
    priority_document_deadline: _dt.date
    correction_deadline: _dt.date

    @property
    def all_valid(self) -> bool:
        """Whether every claim is in time (if the earliest is in time, all are)."""
        return all(t.verdict is Verdict.VALID for t in self.claims)


# --------------------------------------------------------------------------------------------------
# Date arithmetic


def add_months(day: _dt.date, months: int) -> _dt.date:
    """The day that ends a period of ``months`` months starting on ``day`` (PCT Rule 80.2, Paris 4C(2)).

    The starting day is not counted; the period ends on the same-numbered day of the ``months``-th
    following month, or on that month's last day when it has no such day::

        >>> add_months(_dt.date(2024, 2, 29), 12)
        datetime.date(2025, 2, 28)
        >>> add_months(_dt.date(2023, 8, 31), 6)
        datetime.date(2024, 2, 29)

    Raises :class:`InvalidDate` when the result is outside the calendar (year 1 to 9999).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    if not _dt.MINYEAR <= year <= _dt.MAXYEAR:
        raise InvalidDate(f"{day.isoformat()} plus {months} months is outside the calendar")
    month = month0 + 1
    return _dt.date(year, month, min(day.day, _days_in_month(year, month)))


def check_filing_date(day: _dt.date, *, target: str | None = None) -> _dt.date:
    """Return ``day`` if it can be a real filing date on the ledger, else raise :class:`InvalidDate`.

    Periods run from filing dates (Paris Art. 4C(2)); a placeholder (``0001-01-01``, ``1900-01-01``,
    ``1970-01-01``, ``9999-12-31``), a date with a time of day, or a date the ledger cannot encode
    (docs/spec/entries.md#field-encodings) would produce a confident but meaningless verdict, so it is refused, never
    adjusted.
    """
    where = f" ({target})" if target else ""
    if isinstance(day, _dt.datetime) or not isinstance(day, _dt.date):
        raise InvalidDate(f"{day!r}{where} is not a calendar date without time of day", target=target)
    if day in _PLACEHOLDER_DATES:
        raise InvalidDate(
            f"{day.isoformat()}{where} is a placeholder, not a filing date; give the real filing date",
            code="placeholderDate",
            target=target,
        )
    try:
        date_to_days(day)
    except InvalidDate:
        raise InvalidDate(
            f"{day.isoformat()}{where} is outside the filing dates the ledger holds (after 1970-01-01);"
            " give the real filing date",
            target=target,
        ) from None
    return day


def priority_period_months(later_kind: IpRightKind) -> int:
    """12 for a later patent or utility model, 6 for a later design or trademark (Paris Art. 4C(1))."""
    return 12 if later_kind in _TWELVE_MONTH_KINDS else 6


def priority_period_end(
    priority_date: _dt.date, later_kind: IpRightKind, later_office: str, calendar: OfficeCalendar
) -> _dt.date:
    """The last day of the priority period, moved past the later office's closed days.

    Paris Art. 4C(1) (12 or 6 months by the *later* kind), 4C(2) and PCT Rule 80.2 (month arithmetic,
    :func:`add_months`), then Paris Art. 4C(3) and PCT Rule 80.5 (next day the *second* office is open).
    """
    check_filing_date(priority_date, target="priority.filingDate")
    raw = add_months(priority_date, priority_period_months(later_kind))
    return calendar.next_working_day(later_office, raw)


def restoration_period_end(
    priority_date: _dt.date, later_kind: IpRightKind, later_office: str, calendar: OfficeCalendar
) -> _dt.date | None:
    """The last day a late claim can be restored, or ``None`` when the later kind has no restoration.

    PCT Rule 26bis.3(a): two months from the (moved) end of the priority period, itself moved to the
    later office's next working day (Rule 80.5). Only for a later patent or utility model
    (docs/spec/priority-rules.md#restoration).
    """
    if later_kind not in _TWELVE_MONTH_KINDS:
        return None
    end = priority_period_end(priority_date, later_kind, later_office, calendar)
    return calendar.next_working_day(later_office, add_months(end, RESTORATION_MONTHS))


def priority_document_deadline(earliest_priority: _dt.date, later_office: str, calendar: OfficeCalendar) -> _dt.date:
    """16 months from the earliest priority date (PCT Rule 17.1(a); Paris 4F: from the earliest).

    Moved to the later office's next working day (PCT Rule 80.5).
    """
    check_filing_date(earliest_priority, target="priority.filingDate")
    return calendar.next_working_day(later_office, add_months(earliest_priority, PRIORITY_DOCUMENT_MONTHS))


def correction_deadline(
    earliest_priority: _dt.date, later_filing_date: _dt.date, later_office: str, calendar: OfficeCalendar
) -> _dt.date:
    """Last day to correct or add a priority claim (PCT Rule 26bis.1(a)).

    16 months from the earliest priority date, but never before 4 months after the later (international)
    filing date; moved to the later office's next working day (Rule 80.5). When a correction changes
    the earliest priority date, Rule 26bis.1(a) takes whichever 16-month period expires first: pass the
    earlier of the two dates.
    """
    check_filing_date(earliest_priority, target="priority.filingDate")
    check_filing_date(later_filing_date, target="later.filingDate")
    end = max(
        add_months(earliest_priority, CORRECTION_MONTHS_FROM_PRIORITY),
        add_months(later_filing_date, CORRECTION_MONTHS_FROM_FILING),
    )
    return calendar.next_working_day(later_office, end)


# --------------------------------------------------------------------------------------------------
# Kinds


_P, _U, _D, _T = IpRightKind.PATENT, IpRightKind.UTILITY_MODEL, IpRightKind.DESIGN, IpRightKind.TRADEMARK
_ALLOWED, _NATIONAL = KindCompatibility.ALLOWED, KindCompatibility.NATIONAL_LAW
_KIND_RULES: dict[tuple[IpRightKind, IpRightKind], tuple[KindCompatibility, str]] = {
    # (later, earlier): (compatibility, the provision that allows it); absent pairs are refused.
    (_P, _P): (_ALLOWED, "Paris Convention Art. 4A(1)"),
    (_P, _U): (_ALLOWED, "Paris Convention Art. 4E(2)"),
    (_U, _P): (_ALLOWED, "Paris Convention Art. 4E(2)"),
    (_U, _U): (_ALLOWED, "Paris Convention Art. 4A(1)"),
    (_D, _D): (_ALLOWED, "Paris Convention Art. 4A(1)"),
    (_D, _U): (_ALLOWED, "Paris Convention Art. 4E(1)"),
    # 4E(1) names utility models only; a design resting on a patent is for national law
    # (docs/spec/priority-rules.md#kinds).
    (_D, _P): (_NATIONAL, "Paris Convention Art. 4E(1)"),
    (_T, _T): (_ALLOWED, "Paris Convention Art. 4A(1)"),
}


def kind_compatibility(later_kind: IpRightKind, earlier_kind: IpRightKind) -> KindCompatibility:
    """May an application of ``later_kind`` claim one of ``earlier_kind``? (Paris Art. 4A(1), 4E;
    docs/spec/priority-rules.md#kinds).

    Patent ← patent, utility model; utility model ← patent, utility model (4E(2)); design ← design,
    utility model (4E(1)); trademark ← trademark: ``ALLOWED``. Design ← patent: ``NATIONAL_LAW`` (the
    Convention does not provide for it; some offices accept it). Anything else: ``REFUSED``.
    """
    return _KIND_RULES.get((later_kind, earlier_kind), (KindCompatibility.REFUSED, ""))[0]


def _kind_check(later: LaterApplication, earlier_kind: IpRightKind) -> Check:
    compat, rule = _KIND_RULES.get((later.ip_right_kind, earlier_kind), (KindCompatibility.REFUSED, ""))
    later_name, earlier_name = _kind_words(later.ip_right_kind), _kind_words(earlier_kind)
    if compat is KindCompatibility.ALLOWED:
        return Check(
            CHECK_KIND_COMPATIBLE,
            True,
            Severity.ERROR,
            f"A {later_name} may claim the priority of a {earlier_name} ({rule}).",
        )
    if compat is KindCompatibility.NATIONAL_LAW:
        return Check(
            CHECK_KIND_COMPATIBLE,
            False,
            Severity.WARNING,
            f"The Paris Convention does not provide for a {later_name} claiming a {earlier_name}"
            f" ({rule} covers utility models only); whether office {later.ip_office_code} accepts it"
            " depends on its national law.",
        )
    return Check(
        CHECK_KIND_COMPATIBLE,
        False,
        Severity.ERROR,
        f"A {later_name} cannot claim the priority of a {earlier_name}: a priority right arises only between"
        " the kinds Paris Convention Art. 4A(1) and 4E allow (patents and utility models among themselves,"
        " designs from designs or utility models, trademarks from trademarks).",
    )


# --------------------------------------------------------------------------------------------------
# Verification of one claim


def verdict_from_checks(checks: Sequence[Check]) -> Verdict:
    """The verdict the checks imply (docs/spec/priority-rules.md; the rules are in the module docstring).

    ``registered`` failed → notFound; no failed error → valid; only ``withinPriorityPeriod`` failed
    and ``withinRestorationPeriod`` passed (PCT Rule 26bis.3) → restorable; otherwise → invalid.
    Warnings (Paris Art. 4C(4), design ← patent) never change the verdict.
    """
    by_name = {c.name: c for c in checks}
    registered = by_name.get(CHECK_REGISTERED)
    if registered is not None and not registered.passed:
        return Verdict.NOT_FOUND
    errors = {c.name for c in checks if not c.passed and c.severity is Severity.ERROR}
    if not errors:
        return Verdict.VALID
    restoration = by_name.get(CHECK_WITHIN_RESTORATION_PERIOD)
    if errors == {CHECK_WITHIN_PRIORITY_PERIOD} and restoration is not None and restoration.passed:
        return Verdict.RESTORABLE
    return Verdict.INVALID


def verify_claim(
    claim: PriorityClaim,
    later: LaterApplication,
    registered: RegisteredApplication | None,
    calendar: OfficeCalendar,
) -> Verification:
    """Judge one priority claim against what the ledger holds (docs/spec/priority-rules.md; Paris Art. 4; PCT Rule
    26bis).

    ``registered`` is the ledger's record for ``claim`` (found with the right access code) or ``None``.
    The period runs from the *registered* filing date (the date the earlier application really has;
    a claimed date that differs fails ``filingDateMatches`` and makes the verdict invalid anyway), and
    from the parent's filing date when ``later`` is a divisional or continuation (Paris Art. 4G).

    Raises :class:`InvalidDate` for a placeholder or impossible date in ``claim`` or ``later``: a
    malformed date is a 422, not a verdict (docs/api.md#errors).
    """
    check_filing_date(claim.filing_date, target="priority.filingDate")
    _check_later(later)
    if registered is None or registered.ip_office_code != claim.ip_office_code:
        # A record of another office cannot answer for this claim (docs/spec/commitments.md#whose-record-counts: the
        # office that anchored it must equal the claimed office); it is reported exactly like no record at all.
        return _not_found(claim)

    earlier_date = registered.filing_date
    checks: list[Check] = [
        Check(
            CHECK_REGISTERED,
            True,
            Severity.ERROR,
            f"Office {registered.ip_office_code} has anchored application {claim.application_number}"
            f" (version {registered.version}), the application the claim names (PCT Rule 4.10(a)).",
        ),
        _date_check(claim, registered),
        _kind_check(later, registered.ip_right_kind),
    ]
    timing = _timing(earlier_date, later, calendar)
    checks.extend(timing.checks)
    checks.append(_first_application_check(registered, later, calendar))
    checks_t = tuple(checks)
    return Verification(
        verdict=verdict_from_checks(checks_t),
        checks=checks_t,
        priority_period_end=timing.end,
        restoration_period_end=timing.restoration_end,
        registered=registered,
        restoration=timing.restoration,
    )


def _not_found(claim: PriorityClaim) -> Verification:
    # Built from the caller's own input only: an unknown application and a wrong access code must
    # give byte-identical answers (docs/domain.md#what-das-does-and-what-we-do-better, DAS −7 vs −14), and no date may
    # hint at a record.
    message = (
        f"No application {claim.application_number} of office {claim.ip_office_code} is anchored under this"
        " access code; check the office, number and access code, or ask the first office whether it has"
        " registered the application (Paris Convention Art. 4D(3), WIPO DAS)."
    )
    checks = (Check(CHECK_REGISTERED, False, Severity.ERROR, message),)
    return Verification(Verdict.NOT_FOUND, checks, None, None, None)


def _date_check(claim: PriorityClaim, registered: RegisteredApplication) -> Check:
    if claim.filing_date == registered.filing_date:
        return Check(
            CHECK_FILING_DATE_MATCHES,
            True,
            Severity.ERROR,
            f"The claimed filing date {claim.filing_date.isoformat()} is the filing date anchored by office"
            f" {registered.ip_office_code} (PCT Rule 4.10(a)(i)).",
        )
    return Check(
        CHECK_FILING_DATE_MATCHES,
        False,
        Severity.ERROR,
        f"The claimed filing date {claim.filing_date.isoformat()} differs from the filing date"
        f" {registered.filing_date.isoformat()} anchored by office {registered.ip_office_code}"
        f" (version {registered.version}); correct the claim under PCT Rule 26bis.1 or ask that office to"
        " amend its record (PCT Rule 4.10(a)(i)).",
    )


def _check_later(later: LaterApplication) -> None:
    check_filing_date(later.filing_date, target="later.filingDate")
    if later.parent_filing_date is not None:
        check_filing_date(later.parent_filing_date, target="later.parentFilingDate")
        if later.parent_filing_date > later.filing_date:
            # A parent cannot be filed after the application derived from it; one of the two dates is
            # wrong, and guessing which would decide the verdict.
            raise InvalidDate(
                f"the parent's filing date {later.parent_filing_date.isoformat()} is after the divisional or"
                f" continuation's own filing date {later.filing_date.isoformat()}; check both dates",
                target="later.parentFilingDate",
            )


@dataclass(frozen=True)
class _Timing:
    """What the period rules give for one claim: its checks, ends and restoration route."""

    checks: list[Check]
    end: _dt.date
    restoration_end: _dt.date | None
    restoration: Restoration


def _timing(earlier_date: _dt.date, later: LaterApplication, calendar: OfficeCalendar) -> _Timing:
    """``laterAfterEarlier``, ``withinPriorityPeriod``, ``withinRestorationPeriod`` (when late), and
    the warnings ``restorationRouteKnown``, ``closingDaysKnown`` and ``continuationInPart``."""
    law = later.law
    cite, office, kind = law.citations, law.calendar_office, later.ip_right_kind
    months = priority_period_months(kind)
    raw_end = add_months(earlier_date, months)
    end = priority_period_end(earlier_date, kind, office, calendar)
    window_end = restoration_period_end(earlier_date, kind, office, calendar)
    filed = later.effective_date
    route = restoration_route(law, kind, filed)
    restoration = _restoration(route, earlier_date, later, end, window_end, calendar)
    if later.parent_filing_date is None:
        filed_words = f"The later application was filed on {filed.isoformat()}"
    else:
        filed_words = (
            f"The later application is judged from the filing date {filed.isoformat()} of the first application"
            f" in its chain that carried the claim ({cite.derived})"
        )
    moved = _moved(raw_end, end, law, calendar)

    checks: list[Check] = []
    if filed > earlier_date:
        checks.append(
            Check(
                CHECK_LATER_AFTER_EARLIER,
                True,
                Severity.ERROR,
                f"{filed_words}, after the priority application's filing date {earlier_date.isoformat()}"
                f" ({cite.order}).",
            )
        )
    else:
        checks.append(
            Check(
                CHECK_LATER_AFTER_EARLIER,
                False,
                Severity.ERROR,
                f"{filed_words}, {'the same day as' if filed == earlier_date else 'before'} the priority"
                f" application's filing date {earlier_date.isoformat()}; priority can only be claimed from an"
                f" earlier application ({cite.order}).",
            )
        )

    if filed <= end:
        checks.append(
            Check(
                CHECK_WITHIN_PRIORITY_PERIOD,
                True,
                Severity.ERROR,
                f"{filed_words}, within the {months}-month priority period that ends on {end.isoformat()}"
                f"{moved} ({cite.period}).",
            )
        )
    else:
        late_days = (filed - end).days
        late = (
            f"{filed_words}, {late_days} day{'s' if late_days != 1 else ''} after the {months}-month priority"
            f" period ended on {end.isoformat()}{moved}"
        )
        checks.extend(_late_checks(late, filed_words, filed, window_end, restoration, law, kind))
    checks.append(_route_check(route, restoration, law, kind))
    checks.append(_closing_days_check(calendar, law, [raw_end, end, window_end, restoration.request_deadline]))
    if later.parent_relation is ParentRelation.CONTINUATION_IN_PART:
        checks.append(_cip_check(earlier_date, later, calendar))
    return _Timing(checks, end, window_end, restoration)


def _moved(raw_end: _dt.date, end: _dt.date, law: ApplyingLaw, calendar: OfficeCalendar) -> str:
    if end == raw_end:
        return ""
    why = calendar.closed_because(law.calendar_office, raw_end) or "closed"
    return f", moved from {raw_end.isoformat()} because {law.name} is closed that day ({why}; {law.citations.closed})"


def _late_checks(
    late: str,
    filed_words: str,
    filed: _dt.date,
    window_end: _dt.date | None,
    restoration: Restoration,
    law: ApplyingLaw,
    kind: IpRightKind,
) -> list[Check]:
    cite = law.citations
    if window_end is None or restoration.available is False:
        why = (
            f"a {_kind_words(kind)} has no restoration of the right of priority"
            if window_end is None
            else f"{law.name} offers no restoration of the right of priority"
        )
        return [
            Check(CHECK_WITHIN_PRIORITY_PERIOD, False, Severity.ERROR, f"{late}, and {why} ({cite.period})."),
            Check(
                CHECK_WITHIN_RESTORATION_PERIOD,
                False,
                Severity.ERROR,
                f"The right of priority cannot be restored: {restoration.rule}.",
            ),
        ]
    if filed <= window_end:
        criterion = _CRITERION_WORDS.get(restoration.criterion or "", "on the criterion its law applies")
        deadline = f", requested by {restoration.request_deadline.isoformat()}" if restoration.request_deadline else ""
        return [
            Check(
                CHECK_WITHIN_PRIORITY_PERIOD,
                False,
                Severity.ERROR,
                f"{late}; the right of priority can be restored only on request to {law.name} ({cite.period}).",
            ),
            Check(
                CHECK_WITHIN_RESTORATION_PERIOD,
                True,
                Severity.ERROR,
                f"{filed_words}, within the two months after the period, which end on {window_end.isoformat()}:"
                f" {law.name} can restore the right of priority {criterion}{deadline} ({restoration.rule}).",
            ),
        ]
    return [
        Check(CHECK_WITHIN_PRIORITY_PERIOD, False, Severity.ERROR, f"{late} ({cite.period})."),
        Check(
            CHECK_WITHIN_RESTORATION_PERIOD,
            False,
            Severity.ERROR,
            f"{filed_words}, after the two months for restoration ended on {window_end.isoformat()}, so the"
            f" right of priority can no longer be restored ({cite.restoration}).",
        ),
    ]


_CRITERION_WORDS = {
    Criterion.DUE_CARE.value: "if the delay occurred in spite of all due care required by the circumstances",
    Criterion.UNINTENTIONAL.value: "if the delay was unintentional",
}


def _restoration(
    route: Route | None,
    earlier_date: _dt.date,
    later: LaterApplication,
    end: _dt.date,
    window_end: _dt.date | None,
    calendar: OfficeCalendar,
) -> Restoration:
    law = later.law
    if route is None:
        return Restoration(
            None,
            None,
            None,
            f"the restoration route of {law.name} is not known here; its national law decides, and PCT Rule 49ter.2"
            " for a PCT national phase",
        )
    if not route.available or window_end is None:
        return Restoration(False, None, None, route.rule)
    if route.deadline is DeadlineRule.US_1_55:
        # 37 CFR 1.55(c): the petition includes the priority claim, due by 1.55(d): the later of 16
        # months from the priority date and 4 months from the actual filing date (37 CFR 1.7 moves it).
        raw = max(add_months(earlier_date, 16), add_months(later.filing_date, 4))
        deadline = calendar.next_working_day(law.calendar_office, raw)
        rule = f"{route.rule}; the petition carries the priority claim, due within the time of 37 CFR 1.55(d)"
    else:
        # EPC Rule 136(1), PCT Rule 26bis.3(e): two months from the expiry of the priority period.
        deadline = window_end
        rule = route.rule
    return Restoration(True, route.criterion.value if route.criterion else None, deadline, rule)


def _route_check(route: Route | None, restoration: Restoration, law: ApplyingLaw, kind: IpRightKind) -> Check:
    if route is None:
        return Check(
            CHECK_RESTORATION_ROUTE_KNOWN,
            False,
            Severity.WARNING,
            f"Whether {law.name} restores a right of priority, and on which criterion, is not known here: a late"
            f" claim is called restorable only on the two-month window of {law.citations.restoration}; check"
            " that office's law before relying on it.",
        )
    if route.available:
        return Check(
            CHECK_RESTORATION_ROUTE_KNOWN,
            True,
            Severity.WARNING,
            f"{law.name[:1].upper()}{law.name[1:]} restores a right of priority"
            f" {_CRITERION_WORDS[route.criterion or '']} ({restoration.rule}).",
        )
    return Check(
        CHECK_RESTORATION_ROUTE_KNOWN,
        True,
        Severity.WARNING,
        f"No restoration of the right of priority is open to this {_kind_words(kind)}: {route.rule}.",
    )


def _closing_days_check(calendar: OfficeCalendar, law: ApplyingLaw, days: Sequence[_dt.date | None]) -> Check:
    """``closingDaysKnown`` (docs/spec/priority-rules.md#closing-days): every year the computed ends fall in has shipped
    closures."""
    office = law.calendar_office
    years = sorted({d.year for d in days if d is not None})
    missing = [y for y in years if not calendar.covers(office, y)]
    shown = ", ".join(str(y) for y in years)
    if law.pct and law.receiving_office is None:
        return Check(
            CHECK_CLOSING_DAYS_KNOWN,
            False,
            Severity.WARNING,
            "The receiving Office was not given (later.applicationNumber, PCT/CC…), so the International"
            " Bureau's calendar is applied; the receiving Office's closing days may end the periods later"
            f" ({law.citations.closed}).",
        )
    if not missing:
        return Check(
            CHECK_CLOSING_DAYS_KNOWN,
            True,
            Severity.WARNING,
            f"The closing days of {law.name} for {shown} are shipped from its published sources, so the end"
            f" dates account for every day it is closed ({law.citations.closed}).",
        )
    gap = ", ".join(str(y) for y in missing)
    return Check(
        CHECK_CLOSING_DAYS_KNOWN,
        False,
        Severity.WARNING,
        f"The closing days of {law.name} for {gap} are not shipped (weekends and public holidays only are"
        f" applied), so a period may end later than computed if the office was closed on further days;"
        f" check its published closing days ({law.citations.closed}).",
    )


def _cip_check(earlier_date: _dt.date, later: LaterApplication, calendar: OfficeCalendar) -> Check:
    law = later.law
    own = later.filing_date
    end = priority_period_end(earlier_date, later.ip_right_kind, law.calendar_office, calendar)
    new_matter = f"matter added in it has its own filing date {own.isoformat()}, " + (
        f"which is within the period ending {end.isoformat()}"
        if own <= end
        else f"after the period ended on {end.isoformat()}, so that matter cannot rest on this priority"
    )
    return Check(
        CHECK_CONTINUATION_IN_PART,
        False,
        Severity.WARNING,
        f"A continuation-in-part keeps its parent's date {later.effective_date.isoformat()} only for the matter"
        f" carried over from the parent; {new_matter} ({law.citations.derived}).",
    )


def _first_application_check(
    registered: RegisteredApplication, later: LaterApplication, calendar: OfficeCalendar
) -> Check:
    law = later.law
    if not registered.claimed_priority_dates:
        return Check(
            CHECK_FIRST_APPLICATION,
            True,
            Severity.WARNING,
            "The priority application claims no earlier priority on the ledger, so it can be the first"
            f" application for its subject matter ({law.citations.first}).",
        )
    earliest = min(registered.claimed_priority_dates)
    try:
        check_filing_date(earliest)
        timing = _timing(earliest, later, calendar)
        then = f"; the period would then have ended on {timing.end.isoformat()}, and {_what_follows(timing, later)}"
    except InvalidDate:
        # A bad date in the ledger's own record is not the caller's input error: say what is known
        # and leave the dates out rather than refuse the whole verification with a misplaced 422.
        then = ""
    return Check(
        CHECK_FIRST_APPLICATION,
        False,
        Severity.WARNING,
        "The priority application itself claims the priority of an application filed on"
        f" {earliest.isoformat()}, so for the subject matter they share it is not the first application and"
        f" the period may have to run from {earliest.isoformat()}{then}, unless that earlier application was"
        " withdrawn, abandoned or refused without leaving rights and without serving as a basis for priority"
        f" ({law.citations.first}).",
    )


def _what_follows(timing: _Timing, later: LaterApplication) -> str:
    verdict = verdict_from_checks(timing.checks)
    if verdict is Verdict.VALID:
        return "this claim would still be in time"
    if verdict is Verdict.RESTORABLE:
        assert timing.restoration_end is not None  # restorable implies a restoration window
        return (
            "this claim would be late, restorable only on request"
            + (f" by {timing.restoration.request_deadline.isoformat()}" if timing.restoration.request_deadline else "")
            + f" (the window ends {timing.restoration_end.isoformat()})"
        )
    late = later.effective_date > timing.end
    return "this claim would be late beyond restoration, hence invalid" if late else "this claim would be invalid"


# --------------------------------------------------------------------------------------------------
# Multiple priorities


def earliest_priority_date(claims: Sequence[PriorityClaim]) -> _dt.date:
    """The earliest claimed filing date: the "priority date" the other time limits run from (Paris 4F).

    PCT Rule 2.4(a)'s "priority date" is the filing date of the earliest claimed application. Raises
    :class:`InvalidClaim` (``noClaims``) for an empty list.
    """
    if not claims:
        raise InvalidClaim("no priority claims given, so there is no priority date", code="noClaims")
    return min(c.filing_date for c in claims)


def check_claim_set(
    claims: Sequence[PriorityClaim], later: LaterApplication, calendar: OfficeCalendar | None = None
) -> ClaimSetAssessment:
    """Judge every claim of one later application on its own (Paris Art. 4F, EPC Art. 88(2)).

    Each claim's period runs from its own claimed date (so one late claim does not affect the
    others), by the rules of :func:`verify_claim`'s ``laterAfterEarlier``, ``withinPriorityPeriod``
    and ``withinRestorationPeriod`` checks; nothing is looked up on the ledger here. The priority
    document deadline (PCT Rule 17.1(a)) and the correction deadline (PCT Rule 26bis.1(a)) run from
    the earliest priority date (PCT Rule 2.4). ``calendar`` defaults to :func:`default_calendar`.

    Raises :class:`InvalidClaim` ``duplicateClaim`` when two claims name the same application (same
    office and canonical number), ``noClaims`` for an empty list, and :class:`InvalidDate` for a
    placeholder or impossible date.
    """
    cal = default_calendar() if calendar is None else calendar
    _check_later(later)
    seen: dict[tuple[str, str], int] = {}
    for i, claim in enumerate(claims):
        check_filing_date(claim.filing_date, target=f"priorityClaims[{i}].filingDate")
        first = seen.setdefault(claim.key, i)
        if first != i:
            raise InvalidClaim(
                f"priority claims {first} and {i} both name application {claim.application_number} of office"
                f" {claim.ip_office_code}; claim each earlier application once (Paris Convention Art. 4F)",
                code="duplicateClaim",
                target=f"priorityClaims[{i}]",
            )
    earliest = earliest_priority_date(claims)
    timings = []
    for claim in claims:
        t = _timing(claim.filing_date, later, cal)
        timings.append(ClaimTiming(claim, t.end, t.restoration_end, verdict_from_checks(t.checks), tuple(t.checks)))
    office = later.law.calendar_office
    return ClaimSetAssessment(
        claims=tuple(timings),
        earliest_priority_date=earliest,
        priority_document_deadline=priority_document_deadline(earliest, office, cal),
        correction_deadline=correction_deadline(earliest, later.filing_date, office, cal),
    )


# --------------------------------------------------------------------------------------------------
# Helpers


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (_dt.date(year, month + 1, 1) - _dt.date(year, month, 1)).days


def _kind_words(kind: IpRightKind) -> str:
    return {
        IpRightKind.PATENT: "patent application",
        IpRightKind.UTILITY_MODEL: "utility model application",
        IpRightKind.DESIGN: "design application",
        IpRightKind.TRADEMARK: "trademark application",
    }[kind]
