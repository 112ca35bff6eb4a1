"""Reading steps shared by the office modules (private to :mod:`registry.domain.numbers`).

Every office module reads a number the same way before applying its own format:

1. refuse non-text and anything longer than :data:`MAX_INPUT_CHARS` (no real number is that long,
   and a 10 KB paste must fail fast, not be scanned by every pattern);
2. fold with Unicode NFKC (full-width digits, letters, slashes and the ideographic space typed on
   Japanese and Chinese keyboards become ASCII), map the other dashes (U+2010–2015, U+2212, the
   katakana prolonged sound mark U+30FC used as a dash) to ``-``, uppercase, collapse whitespace;
3. strip a leading copy of the office code; a leading *other* valid ST.3 code is an
   ``officeMismatch`` (``EP 99 403 122.7`` given as a US number is a mistake, not a US number);
4. take off a trailing kind code (``A1``, ``B2``, ``P``), a check digit after the last dot, and the
   separators (space ``.`` ``,`` ``/`` ``-``).

**Numbers as databases print them** (docs/domain.md#numbers-as-databases-print-them). The EPO writes an application
number three ways (OPS Reference Guide v1.3.20, §2.1.2–2.1.3 and Table 3, ``MD a 2005 0130`` → docdb
``MD.20050130.A`` → epodoc ``MD20050000130``):

* *original*: the office's own form, what the modules read anyway;
* *epodoc*: office + four-digit filing year + the serial zero-padded to seven digits
  (``EP19990403122``, ``GB20230006615``, ``JP20050505120``, ``US19970921321``) — a form with no
  separators, which :func:`epodoc_serial` reads;
* *docdb*: the number run together and an **application kind** letter after it
  (:data:`APPLICATION_KINDS`): ``EP 99203729 A``, ``JP 2006147056 A``, ``US 201862649118 P``,
  ``GB 0204635 W``; Google Patents writes ``JP-2005284467-A``, the USPTO's Global Dossier
  ``2017187096.A``. On an application reference the letter is not a publication kind: a single
  application kind letter is accepted, a publication kind with its digit (``A1``, ``B2``) is not.
  ``W`` marks a PCT application received by that office (OPS guide §4.4, ``PCT/GB02/04635`` =
  ``GB 0204635 W``): :func:`registry.domain.numbers.normalize` reads it as the ``WO`` record.

Where a database form drops part of the number (the USPTO series code in DOCDB's and epodoc's old
US forms), the number cannot be read safely: it is refused by name with the reason code
``legacyForm`` (:func:`refuse_legacy`), never completed by a guess.

Only ASCII digits count as digits: ``str.isdigit`` also accepts Arabic-Indic and superscript digits,
which would turn garbage into a plausible number.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from registry.domain.offices import is_valid_office
from registry.errors import InvalidApplicationNumber

MAX_INPUT_CHARS = 100
"""Longest input read at all; the longest real form (epodoc with spaces and kind code) is ~25."""

DIGITS = frozenset("0123456789")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe58\ufe63\uff0d"), "-")
_SEPARATORS = " .,/-"
_LEADING_CODE = re.compile(r"([A-Z]{2})[ .:/-]*(?=[0-9]|$)", re.ASCII)
APPLICATION_KINDS = frozenset("AWTUFP")
"""DOCDB application kinds (docs/domain.md#numbers-as-databases-print-them): A application, W PCT application, T
national phase or translation, U utility model, F design, P provisional."""
# ST.16 kind-code letters, after a space, a hyphen (Google Patents: JP-2005284467-A) or a dot
# (USPTO Global Dossier: 2017187096.A). No office here has a check *letter* among them: CNIPA's is X.
_KIND = re.compile(r"(.*[0-9])[ .-]*([ABCEFHILPSTUWY][0-9]?)", re.ASCII)
_CHECK = re.compile(r"(.*[0-9])[ ]*\.[ ]*([0-9X])", re.ASCII)


@dataclass(frozen=True)
class Parsed:
    """What an office module read from one number: the parts :class:`NormalizedNumber` shows."""

    canonical: str
    display: str
    check_digit: str | None = None
    receiving_office: str | None = None


def fail(code: str, message: str) -> NoReturn:
    """Raise :class:`InvalidApplicationNumber` with a reason ``code`` (errors.py, docs/api.md#error-detail-codes)."""
    raise InvalidApplicationNumber(message, code=code)


def shown(text: str) -> str:
    """The input as quoted in an error message: short enough to read, never the whole paste."""
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


def max_year() -> int:
    """The latest filing year accepted: next year (UTC), so that a filing made on 1 January in
    Tokyo is not refused while it is still 31 December in UTC."""
    # Every number read asks (twice); reading the clock as a float and comparing it with the
    # current year's bounds is several times cheaper than building a datetime each time.
    global _year
    now = time.time()
    start, end, latest = _year
    if start <= now < end:
        return latest
    year = _dt.datetime.fromtimestamp(now, _dt.UTC).year
    start = _dt.datetime(year, 1, 1, tzinfo=_dt.UTC).timestamp()
    end = _dt.datetime(year + 1, 1, 1, tzinfo=_dt.UTC).timestamp() if year < _dt.MAXYEAR else float("inf")
    _year = (start, end, year + 1)
    return year + 1


# [start, end) of the current UTC year as time.time() values, and the year after it.
_year: tuple[float, float, int] = (0.0, 0.0, 0)


def prepare(number: object) -> str:
    """Steps 1 and 2 of the module docstring: bounded, NFKC-folded, uppercase, single-spaced."""
    if not isinstance(number, str):
        fail("badFormat", "an application number must be text, such as '16/123,456'")
    if len(number) > MAX_INPUT_CHARS:
        fail("badLength", f"the application number is {len(number)} characters long; no office's is over 40")
    if number.isascii():
        # NFKC and the dash map leave ASCII as it is; most numbers are typed in ASCII.
        text = " ".join(number.upper().split())
    else:
        text = " ".join(unicodedata.normalize("NFKC", number).translate(_DASHES).upper().split())
    if not text:
        fail("badLength", "the application number is empty; give the number as the office wrote it")
    return text


def strip_own(text: str, office: str) -> str:
    """Remove a leading copy of ``office`` (``EP99403122``, ``CN 2021…``, ``DE: 10 2007…``)."""
    match = _LEADING_CODE.match(text)
    if match and match.group(1) == office:
        return text[match.end() :]
    return text


def refuse_foreign(text: str, office: str) -> None:
    """Raise ``officeMismatch`` when the number starts with another office's ST.3 code."""
    match = _LEADING_CODE.match(text)
    if match and match.group(1) != office and is_valid_office(match.group(1)):
        other = match.group(1)
        fail(
            "officeMismatch",
            f"{shown(text)} starts with the office code {other}; give it as an {other} number, not as {office}",
        )


def strip_office(text: str, office: str) -> str:
    """Step 3: :func:`strip_own`, then :func:`refuse_foreign`."""
    text = strip_own(text, office)
    refuse_foreign(text, office)
    return text


def split_kind(text: str) -> tuple[str, str | None]:
    """Take a trailing ST.16 kind code (``A1``, ``B2``, ``U``, ``P``) off the number."""
    match = _KIND.fullmatch(text)
    if match is None:
        return text, None
    return match.group(1), match.group(2)


def split_check(text: str, allowed: str = "0123456789") -> tuple[str, str | None]:
    """Take a check character written after the last dot (``99403122.7``, ``95115608.X``)."""
    match = _CHECK.fullmatch(text)
    if match is None or match.group(2) not in allowed:
        return text, None
    return match.group(1), match.group(2)


def digits_only(text: str, office: str, original: str) -> str:
    """Drop the separators; anything left that is not an ASCII digit is a ``badCharacter``."""
    out = text
    for sep in _SEPARATORS:
        out = out.replace(sep, "")
    if out.isascii() and out.isdigit():  # the usual case: only ASCII digits left
        return out
    bad = [c for c in out if c not in DIGITS]
    if bad:
        fail(
            "badCharacter",
            f"{shown(original)} contains {bad[0]!r}, which has no place in a {office} application "
            "number; use digits and the usual separators only",
        )
    if not out:
        fail("badFormat", f"{shown(original)} has no digits; give the {office} application number")
    return out


def year_from_two_digits(yy: str, first_year: int) -> int:
    """Read a two-digit year for a format introduced in ``first_year`` (before 2000 + its last digits).

    ``78`` is 1978 for EP (first filings 1978); ``05`` is 2005. Works until ``first_year`` + 100.
    """
    value = int(yy)
    return (1900 if value >= first_year % 100 else 2000) + value


def check_year(year: int, first_year: int, office: str, original: str, last_year: int | None = None) -> None:
    """Raise ``implausibleYear`` unless ``first_year`` ≤ ``year`` ≤ next year (or ``last_year``)."""
    latest = max_year() if last_year is None else last_year
    if not first_year <= year <= latest:
        fail(
            "implausibleYear",
            f"{shown(original)} reads as filed in {year}, but {office} numbers of this form exist only "
            f"for {first_year}–{latest}; check the year",
        )


def refuse_publication(kind: str, office: str, original: str, example: str) -> NoReturn:
    """Raise ``notAnApplicationNumber`` for a number carrying a publication kind code."""
    fail(
        "notAnApplicationNumber",
        f"{shown(original)} ends in the kind code {kind}, so it names a published document, not an "
        f"application; give the {office} application number, such as {example}",
    )


def refuse_legacy(original: str, what: str, advice: str) -> NoReturn:
    """Raise ``legacyForm``: ``original`` is a database form that left out part of the number."""
    fail("legacyForm", f"{shown(original)} is {what}; {advice}")


def is_application_kind(kind: str | None) -> bool:
    """Tell whether ``kind`` is one DOCDB application kind letter (not a publication kind)."""
    return kind is not None and len(kind) == 1 and kind in APPLICATION_KINDS


def run_together(text: str) -> bool:
    """Whether ``text`` is digits only, the way DOCDB and epodoc print a number (no separators)."""
    return text.isascii() and text.isdigit()


def epodoc_serial(digits: str, width: int, office: str, original: str) -> tuple[int, str]:
    """Split an epodoc number (year + serial padded to seven digits) into year and ``width`` digits.

    ``GB`` ``2023`` ``0006615`` with ``width`` 5 is (2023, ``06615``); the padding must be zeros,
    otherwise the serial is longer than the office's and the number is ``badFormat``.
    """
    year, padded = int(digits[:4]), digits[4:]
    pad = len(padded) - width
    if len(padded) != 7 or padded[:pad].strip("0"):
        fail(
            "badFormat",
            f"{shown(original)} reads as an epodoc number (year and seven digits), but its serial "
            f"{padded} has more than {width} digits; check the number",
        )
    return year, padded[pad:]


def compact_text(number: str, office: str) -> str:
    """python-stdnum's ``compact``: fold, uppercase, drop separators and a leading office code.

    Never raises and validates nothing: it is what a person would type into a search box.
    """
    if not isinstance(number, str):
        return ""
    text = unicodedata.normalize("NFKC", number[: MAX_INPUT_CHARS * 2]).translate(_DASHES).upper()
    text = strip_own(" ".join(text.split()), office)
    for sep in _SEPARATORS:
        text = text.replace(sep, "")
    return text


def parses(parse: Callable[[str], Parsed], number: str) -> bool:
    """Whether ``parse`` accepts ``number``: the ``is_valid`` of every office module (python-stdnum)."""
    try:
        parse(number)
    except InvalidApplicationNumber:
        return False
    return True
