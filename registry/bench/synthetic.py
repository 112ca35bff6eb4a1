"""Synthetic filings for the benchmark: a year of patent applications, shaped like the real load.

docs/domain.md#load-to-plan-for: ~3.7 M patent applications a year. The offices are weighted like
WIPO's IP Facts and Figures (2023 filings, rounded): CNIPA far ahead, then the USPTO, the JPO,
KIPO, PCT international applications (record office ``WO``), the EPO, and a tail of national
offices. Every number is written the way its office prints it (several spellings per office, as
people copy them into priority claims) with a correct check digit computed by the office module
(``calc_check_digit`` of :mod:`registry.domain.numbers.ep`, ``cn`` and ``de``), so every number passes
:func:`registry.domain.numbers.normalize` — a benchmark that anchored malformed numbers would measure a
different program. Offices without a module of their own go through the generic rule.

About half of the filings claim the priority of one to three *earlier* generated filings (filed
on an earlier day of the same year, so within the 12-month period: the verdicts are ``valid``);
a quarter carry a document digest. Kinds are patents, with utility models where the office's
numbers say so (CN type 2, DE right code 20, KR type 20).

The set is kept in flat arrays (~11 bytes a filing: 220 MB for 20 M) and each
:class:`SyntheticFiling` is built on demand. Everything is a pure function of ``(count, seed)``, so a
worker process generates its own copy from those two numbers rather than receiving a pickle of it
(which held the set twice in the worker, and once more in the sender, while it travelled).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from registry.domain.numbers import cn, de, ep
from registry.domain.types import IpRightKind

__all__ = [
    "FILING_YEAR",
    "OFFICE_WEIGHTS",
    "SyntheticFiling",
    "SyntheticSet",
    "generate",
]

#: The year the synthetic filings are made in (the figures of docs/domain.md#load-to-plan-for are for 2024).
FILING_YEAR = 2024

#: Share of the year's patent applications by office (WIPO IP Facts and Figures, 2023 data, rounded;
#: ``WO`` = PCT international applications). IN, CA, AU, BR and RU stand for the offices that only
#: the generic number rule reads.
OFFICE_WEIGHTS: dict[str, float] = {
    "CN": 1_680_000,
    "US": 598_000,
    "JP": 300_000,
    "WO": 272_000,
    "KR": 243_000,
    "EP": 199_000,
    "IN": 83_000,
    "DE": 58_000,
    "CA": 37_000,
    "AU": 30_000,
    "BR": 27_000,
    "RU": 27_000,
    "GB": 19_000,
    "FR": 14_000,
}

OFFICES: tuple[str, ...] = tuple(OFFICE_WEIGHTS)
# PCT receiving offices, weighted roughly like the PCT statistics (US, CN, JP, EP, KR lead).
_RECEIVING = ("US", "CN", "JP", "EP", "KR", "IB", "DE", "GB", "FR", "IN")
_RECEIVING_WEIGHTS = (25, 25, 17, 12, 8, 5, 3, 2, 2, 1)  # percent
_RECEIVING_TABLE = tuple(ro for ro, w in zip(_RECEIVING, _RECEIVING_WEIGHTS, strict=True) for _ in range(w))
# Serials one office can number in one year, per its format; beyond, numbers move to earlier years.
_CAPACITY = {"CN": 10**7, "US": 10**6, "JP": 10**6, "WO": 10**6, "KR": 10**7, "EP": 10**6, "DE": 10**6}
_GENERIC_CAPACITY = 10**7
_SMALL_CAPACITY = {"GB": 10**5, "FR": 10**5}
_UTILITY_MODEL_SHARE = {"CN": 0.25, "DE": 0.10, "KR": 0.10}
_CLAIM_SHARE = 0.5
_CLAIM_COUNTS = (1, 2, 3)
_CLAIM_COUNT_WEIGHTS = (60, 30, 10)
_DIGEST_SHARE = 0.25
_GENERATION_CHUNK = 1_000_000
_STRIDE = 64
_FIRST_DAY = _dt.date(FILING_YEAR, 1, 1)
_DAYS = (_dt.date(FILING_YEAR + 1, 1, 1) - _FIRST_DAY).days
# Built once: SyntheticSet.filing runs for every filing and claim of a run.
_DATES = tuple(_FIRST_DAY + _dt.timedelta(days=d) for d in range(_DAYS))
_KINDS = {int(kind): kind for kind in IpRightKind}


@dataclass(frozen=True, slots=True)
class SyntheticFiling:
    """One generated application as its office submits it, and what normalization must give."""

    index: int
    office: str
    """The submitting office (``WO`` for PCT applications, the IB's record office)."""
    number: str
    """The number as written, in one of the office's usual spellings."""
    canonical: str
    """What :func:`registry.domain.numbers.normalize` must return as ``canonical``."""
    check_digit: str | None
    """The check digit written in ``number`` (EP, CN, DE), else None."""
    filing_date: _dt.date
    kind: IpRightKind
    document_digest: bytes | None
    claims: tuple[int, ...]
    """Indices of the earlier filings whose priority this one claims."""


class SyntheticSet:
    """``count`` filings in filing-date order, stored as flat arrays (see the module docstring)."""

    def __init__(self, count: int, seed: int = 2024) -> None:
        if count < 1:
            raise ValueError("a synthetic set needs at least one filing")
        self.count = count
        self.seed = seed
        rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not a secret
        # Straight into flat arrays, a million at a time: lists of Python ints would hold ~36 bytes an
        # element at their peak (~0.7 GB for 20 M filings, issue 18) for arrays of 1 to 4 bytes.
        weights = list(OFFICE_WEIGHTS.values())
        self.office_index = array("B")
        for start in range(0, count, _GENERATION_CHUNK):
            k = min(_GENERATION_CHUNK, count - start)
            self.office_index.extend(rng.choices(range(len(OFFICES)), weights=weights, k=k))
        offices = self.office_index
        # Serial within its office, in filing order: numbers grow through the year as at an office.
        counters = [0] * len(OFFICES)
        serials = array("I", bytes(4 * count))
        for i, o in enumerate(offices):
            serials[i] = counters[o]
            counters[o] += 1
        self.serial = serials
        self.kind = array("B", bytes(count))
        self.digest = bytearray(count)
        # Where filing i's claim targets start: a count a filing (0–3, one byte) and the start of every
        # _STRIDE-th filing (4 bytes per _STRIDE filings), rather than a 4-byte start a filing (issue 18).
        self.claim_count = bytearray(count)
        self.claim_checkpoint = array("I", bytes(4 * (count // _STRIDE + 1)))
        targets = array("I")
        for i in range(count):
            office = OFFICES[offices[i]]
            share = _UTILITY_MODEL_SHARE.get(office, 0.0)
            self.kind[i] = IpRightKind.UTILITY_MODEL if share and rng.random() < share else IpRightKind.PATENT
            self.digest[i] = rng.random() < _DIGEST_SHARE
            if i % _STRIDE == 0:
                self.claim_checkpoint[i // _STRIDE] = len(targets)
            earlier = self._first_of_day(i)  # claims go to filings of an earlier day
            if earlier and rng.random() < _CLAIM_SHARE:
                n = min(earlier, rng.choices(_CLAIM_COUNTS, _CLAIM_COUNT_WEIGHTS)[0])
                # Mostly recent filings (a priority year is short), occasionally any earlier one.
                window = min(earlier, max(1000, count // 50))
                chosen: set[int] = set()
                while len(chosen) < n:
                    chosen.add(earlier - 1 - rng.randrange(window) if rng.random() < 0.9 else rng.randrange(earlier))
                targets.extend(sorted(chosen))
                self.claim_count[i] = n
        self.claim_target = targets

    def __len__(self) -> int:
        return self.count

    def _day(self, index: int) -> int:
        return index * _DAYS // self.count

    def _first_of_day(self, index: int) -> int:
        """The first index filed on the same day as ``index`` (every index before it is earlier)."""
        day = self._day(index)
        return -(-day * self.count // _DAYS)

    def office(self, index: int) -> str:
        """The submitting office of filing ``index``."""
        return OFFICES[self.office_index[index]]

    def claims(self, index: int) -> tuple[int, ...]:
        """The earlier filings whose priority filing ``index`` claims."""
        n = self.claim_count[index]
        if not n:
            return ()
        block = index // _STRIDE
        start = self.claim_checkpoint[block] + sum(self.claim_count[block * _STRIDE : index])
        return tuple(self.claim_target[start : start + n])

    def filing(self, index: int) -> SyntheticFiling:
        """Filing ``index``, built from the arrays."""
        office = OFFICES[self.office_index[index]]
        kind = _KINDS[self.kind[index]]
        number, canonical, check = _number(office, self.serial[index], kind)
        digest = None
        if self.digest[index]:
            digest = hashlib.sha256(b"prioreg.bench.document|%d|%d" % (self.seed, index)).digest()
        return SyntheticFiling(
            index=index,
            office=office,
            number=number,
            canonical=canonical,
            check_digit=check,
            filing_date=_DATES[index * _DAYS // self.count],
            kind=kind,
            document_digest=digest,
            claims=self.claims(index),
        )

    def __iter__(self) -> Iterator[SyntheticFiling]:
        return (self.filing(i) for i in range(self.count))


def generate(count: int, seed: int = 2024) -> SyntheticSet:
    """``count`` synthetic filings (deterministic in ``seed``)."""
    return SyntheticSet(count, seed)


def _year_and_serial(office: str, serial: int) -> tuple[int, int]:
    # Serial 0 is never assigned (the office modules refuse it): serials run from 1 to capacity − 1.
    capacity = (_CAPACITY.get(office) or _SMALL_CAPACITY.get(office) or _GENERIC_CAPACITY) - 1
    return FILING_YEAR - serial // capacity, serial % capacity + 1


def _number(office: str, serial: int, kind: IpRightKind) -> tuple[str, str, str | None]:
    """The written number, its canonical form and the check digit written in it (if any)."""
    year, s = _year_and_serial(office, serial)
    yy = f"{year % 100:02d}"
    style = serial % 3  # the spellings people copy into claims vary; the canonical form does not
    if office == "CN":
        body = f"{year}{2 if kind == IpRightKind.UTILITY_MODEL else 1}{s:07d}"
        check = cn.calc_check_digit(body)
        written = (f"{body}.{check}", f"CN {body}.{check}", f"{body}{check}")[style]
        return written, f"CN{body}", check
    if office == "US":
        series = 18 - (FILING_YEAR - year)  # 18 is the 2022–2024 series; earlier years, earlier series
        body = f"{series}{s:06d}"
        written = (f"{series}/{s // 1000:03d},{s % 1000:03d}", f"US {series}/{s:06d}", body)[style]
        return written, f"US{body}", None
    if office == "JP":
        written = (f"{year}-{s:06d}", f"特願{year}-{s:06d}", f"JP {year}{s:06d}")[style]
        return written, f"JP{year}{s:06d}", None
    if office == "KR":
        right = 20 if kind == IpRightKind.UTILITY_MODEL else 10
        written = (f"{right}-{year}-{s:07d}", f"{right}{year}{s:07d}", f"KR {right}-{year}-{s:07d}")[style]
        return written, f"KR{right}{year}{s:07d}", None
    if office == "EP":
        body = f"{yy}{s:06d}"
        check = ep.calc_check_digit(body)
        written = (f"EP {yy} {s // 1000:03d} {s % 1000:03d}.{check}", f"{body}.{check}", f"EP{body}{check}")[style]
        return written, f"EP{body}", check
    if office == "DE":
        right = 20 if kind == IpRightKind.UTILITY_MODEL else 10
        body = f"{right}{year}{s:06d}"
        check = de.calc_check_digit(body)
        forms = (f"{right} {year} {s // 1000:03d} {s % 1000:03d}.{check}", f"DE {body}.{check}", f"{body}.{check}")
        return forms[style], f"DE{body}", check
    if office == "WO":
        # A multiplicative hash spreads serials over the receiving offices in their proportions.
        receiving = _RECEIVING_TABLE[(serial * 2_654_435_761) % 2**32 % 100]
        forms = (f"PCT/{receiving}{year}/{s:06d}", f"PCT {receiving} {year} {s:06d}", f"PCT{receiving}{year}{s:06d}")
        return forms[style], f"PCT{receiving}{year}{s:06d}", None
    if office in ("GB", "FR"):
        body = f"{yy}{s:05d}"
        written = (body, f"{office} {body}", f"{yy} {s:05d}")[style]
        return written, f"{office}{body}", None
    # Generic rule: office + letters and digits, separators dropped.
    written = (f"{year}/{s:07d}", f"{office} {year}-{s:07d}", f"{year}{s:07d}")[style]
    return written, f"{office}{year}{s:07d}", None
