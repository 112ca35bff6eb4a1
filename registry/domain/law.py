"""Whose law judges a priority claim: the office, its calendar, its citations, its restoration route.

docs/spec/priority-rules.md#rules-cited, docs/domain.md#4-non-working-days and docs/domain.md#5-restoration, with the
provisions each office applies:

- **Whose calendar** (Paris Convention Art. 4C(3), PCT Rule 80.5): the office where the later
  application was filed; for a PCT application (its number reads ``PCT/CC…``, whatever office the
  caller names: ``WO``, or a designated office such as ``EP`` for a Euro-PCT) the **receiving
  Office** ``CC``, the International Bureau's own calendar only for ``PCT/IB…``. A ``WO``
  application without a number is judged on the IB's calendar, and the answer says that the
  receiving Office was not given (docs/api.md#verifying-a-claim). The EPO's calendar is the union of its filing
  offices' closing days (EPC Rule 134(1), :mod:`registry.domain.calendar`).
- **Citations**: every message cites the provision of the law that applies — EPC Art. 87 / Rule 134
  / Art. 122 for the EPO, 35 USC 119 / 21(b) / 37 CFR 1.55 for the USPTO, JP Patent Act Art. 43bis /
  Art. 3 for the JPO, the PCT and its Regulations for a PCT application, the Paris Convention Art. 4
  elsewhere — once per message.
- **Restoration** of the right of priority when the later application is filed within two months
  after the period (PCT Rule 26bis.3 and 49ter.2, EPC Art. 122 with Rule 136(1), 37 CFR 1.55(c), JP
  Patent Act Art. 43bis(1), UK Patents Act 1977 s.5(2A)): the criterion is the office's — *due care*
  (EPO; the JPO from 1 April 2015, "legitimate reason"), *unintentional* (USPTO since 18 December
  2013; JPO since 1 April 2023; UKIPO since 1 January 2005; the IB as receiving Office applies both);
  before an office introduced it there is no restoration (``available`` False), and for an office
  whose law is not encoded here the route is unknown (``None``: the verification carries the
  ``restorationRouteKnown`` warning). Receiving Offices that notified the incompatibility of Rule
  26bis.3 with their national law (Rule 26bis.3(j)) offer no restoration; WIPO's list of those
  notifications is not shipped, so a receiving Office not in :data:`PCT_RECEIVING_OFFICE_ROUTES` is
  unknown rather than guessed.
- **Request deadline**, which is not the window: EPC Rule 136(1) and PCT Rule 26bis.3(e) — two months
  from the expiry of the priority period; 37 CFR 1.55(c) — the petition carries the priority claim,
  due within the later of 16 months from the priority date and 4 months from the later filing date
  (37 CFR 1.55(d)); PCT Rule 49ter.2(b)(i) before a designated Office — one month from the national
  phase time limit (not computed here: the national phase entry is not part of a claim).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from registry.domain.types import IpRightKind

__all__ = [
    "CITATIONS",
    "NATIONAL_ROUTES",
    "PCT_RECEIVING_OFFICE_ROUTES",
    "ApplyingLaw",
    "Citations",
    "Criterion",
    "DeadlineRule",
    "Route",
    "applying_law",
    "restoration_route",
]

INTERNATIONAL_BUREAU = "IB"
PCT_RECORD_OFFICE = "WO"


class Criterion(StrEnum):
    """The restoration criterion an office applies (PCT Rule 26bis.3(a), 49ter.2(a))."""

    DUE_CARE = "dueCare"
    UNINTENTIONAL = "unintentional"


class DeadlineRule(StrEnum):
    """How the request deadline of a restoration route is computed (module docstring)."""

    WINDOW = "window"  # two months from the expiry of the priority period (EPC R.136(1), PCT R.26bis.3(e))
    US_1_55 = "us155"  # later of 16 months from the priority date, 4 months from filing (37 CFR 1.55(c), (d))


@dataclass(frozen=True)
class Citations:
    """The provisions one law applies, quoted in the verification's messages
    (docs/spec/priority-rules.md#rules-cited)."""

    period: str
    closed: str
    order: str
    first: str
    derived: str
    restoration: str


CITATIONS: dict[str, Citations] = {
    "EP": Citations(
        period="EPC Art. 87(1)",
        closed="EPC Rule 134(1)",
        order="EPC Art. 87(1)",
        first="EPC Art. 87(4)",
        derived="EPC Art. 76(1)",
        restoration="EPC Art. 122 with Rule 136(1)",
    ),
    "US": Citations(
        period="35 USC 119(a)",
        closed="35 USC 21(b)",
        order="35 USC 119(a)",
        first="35 USC 119(c)",
        derived="35 USC 120, 121",
        restoration="37 CFR 1.55(c)",
    ),
    "JP": Citations(
        period="JP Patent Act Art. 43bis(1)",
        closed="JP Patent Act Art. 3(2)",
        order="JP Patent Act Art. 43bis(1)",
        first="Paris Convention Art. 4C(4)",
        derived="JP Patent Act Art. 44(2)",
        restoration="JP Patent Act Art. 43bis(1)",
    ),
    "PCT": Citations(
        period="PCT Art. 8(2)(a) and Rule 2.4",
        closed="PCT Rule 80.5",
        order="PCT Art. 8(2)(a)",
        first="PCT Art. 8(2)(a) with Paris Convention Art. 4C(4)",
        derived="Paris Convention Art. 4G",
        restoration="PCT Rule 26bis.3",
    ),
    "PARIS": Citations(
        period="Paris Convention Art. 4C(1)",
        closed="Paris Convention Art. 4C(3)",
        order="Paris Convention Art. 4A(1)",
        first="Paris Convention Art. 4C(4)",
        derived="Paris Convention Art. 4G",
        restoration="Patent Law Treaty Art. 13(2), where the office applies it",
    ),
}


@dataclass(frozen=True)
class Route:
    """One office's restoration route from a date on (``available`` False: none before ``since``)."""

    since: _dt.date
    criterion: Criterion | None
    rule: str
    deadline: DeadlineRule = DeadlineRule.WINDOW

    @property
    def available(self) -> bool:
        return self.criterion is not None


# Per office, the routes in force from each date, oldest first; before the first date there is none.
NATIONAL_ROUTES: dict[str, tuple[Route, ...]] = {
    "EP": (
        Route(
            _dt.date(2007, 12, 13),
            Criterion.DUE_CARE,
            "EPC Art. 122 with Rule 136(1), re-establishment of rights in the priority period, in force since"
            " 13 December 2007",
        ),
    ),
    "US": (
        Route(
            _dt.date(2013, 12, 18),
            Criterion.UNINTENTIONAL,
            "37 CFR 1.55(c), petition to restore the right of priority, in force since 18 December 2013",
            DeadlineRule.US_1_55,
        ),
    ),
    "JP": (
        Route(
            _dt.date(2015, 4, 1),
            Criterion.DUE_CARE,
            'JP Patent Act Art. 43bis(1) as in force from 1 April 2015, "legitimate reason"',
        ),
        Route(
            _dt.date(2023, 4, 1),
            Criterion.UNINTENTIONAL,
            "JP Patent Act Art. 43bis(1) as amended by Act No. 42 of 2021, in force since 1 April 2023",
        ),
    ),
    "GB": (
        Route(
            _dt.date(2005, 1, 1),
            Criterion.UNINTENTIONAL,
            "UK Patents Act 1977 s.5(2A)-(2B) with Patents Rules r.7, in force since 1 January 2005",
        ),
    ),
}

# Receiving Offices under PCT Rule 26bis.3 (in force 1 April 2007) whose criterion is known here.
_PCT_SINCE = _dt.date(2007, 4, 1)
PCT_RECEIVING_OFFICE_ROUTES: dict[str, tuple[Route, ...]] = {
    "EP": (Route(_PCT_SINCE, Criterion.DUE_CARE, "PCT Rule 26bis.3, the EPO as receiving Office applies due care"),),
    "US": (
        Route(_PCT_SINCE, Criterion.UNINTENTIONAL, "PCT Rule 26bis.3, the USPTO as receiving Office: unintentional"),
    ),
    # The IB applies both criteria (Rule 26bis.3(a) lets an Office apply both); the one more
    # favourable to the applicant is reported.
    "IB": (
        Route(
            _PCT_SINCE,
            Criterion.UNINTENTIONAL,
            "PCT Rule 26bis.3, the International Bureau as receiving Office applies both criteria",
        ),
    ),
}


@dataclass(frozen=True)
class ApplyingLaw:
    """The office whose law and calendar judge the claim (module docstring)."""

    office: str
    calendar_office: str
    citations: Citations
    pct: bool
    receiving_office: str | None

    @property
    def name(self) -> str:
        """How messages name the office: "office EP", "receiving Office EP", "the International Bureau"."""
        if not self.pct:
            return f"office {self.office}"
        if self.receiving_office is None:
            return "the International Bureau (receiving Office not given)"
        if self.receiving_office == INTERNATIONAL_BUREAU:
            return "the International Bureau as receiving Office"
        return f"receiving Office {self.receiving_office}"


@lru_cache(maxsize=1024)
def applying_law(ip_office_code: str, receiving_office: str | None) -> ApplyingLaw:
    """The law for a later application filed at ``ip_office_code``, received by ``receiving_office``.

    ``receiving_office`` is the ``CC`` of its PCT number when it has one (then it is a PCT
    application, whatever ``ip_office_code`` is); ``ip_office_code`` ``WO`` without a number is a PCT
    application whose receiving Office is not known (the IB's calendar applies).
    """
    if receiving_office is not None or ip_office_code == PCT_RECORD_OFFICE:
        ro = receiving_office
        return ApplyingLaw(ro or INTERNATIONAL_BUREAU, ro or INTERNATIONAL_BUREAU, CITATIONS["PCT"], True, ro)
    return ApplyingLaw(ip_office_code, ip_office_code, CITATIONS.get(ip_office_code, CITATIONS["PARIS"]), False, None)


def restoration_route(law: ApplyingLaw, kind: IpRightKind, filed: _dt.date) -> Route | None:
    """The restoration route open to a later application of ``kind`` filed on ``filed``.

    ``None`` when the office's law is not encoded here (unknown, not guessed); a route without a
    criterion when the office offers none (designs and trademarks, or a filing before the office
    introduced restoration).
    """
    if kind not in (IpRightKind.PATENT, IpRightKind.UTILITY_MODEL):
        return Route(
            _dt.date.min,
            None,
            "PCT Rule 26bis.3 and the Paris Convention provide no restoration of priority for designs and trademarks",
        )
    table = PCT_RECEIVING_OFFICE_ROUTES if law.pct else NATIONAL_ROUTES
    key = law.receiving_office if law.pct else law.office
    routes = table.get(key) if key is not None else None
    if routes is None:
        return None
    in_force = [r for r in routes if r.since <= filed]
    if in_force:
        return in_force[-1]
    first = routes[0]
    return Route(
        _dt.date.min,
        None,
        f"{law.name} offered no restoration of the right of priority before {first.since.isoformat()}"
        f" ({first.rule.split(',')[0]} applies from then)",
    )
