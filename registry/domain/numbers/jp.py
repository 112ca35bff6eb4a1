"""JP: patent application numbers of the Japan Patent Office (特許出願番号, 特願).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``JP`` + four-digit **western** filing year + six-digit
serial: ``JP2017187096`` for ``特願2017-187096``. There is no check digit.

The JPO has numbered applications with the western year since 1 January 2000 and with the
Japanese era year before (JPO, "Change of the numbering of applications", 2000). Era years are
turned into western years so that one application has one string:

* Showa ``昭``/``S`` n = 1925 + n (n = 1…64), Heisei ``平``/``H`` n = 1988 + n, Reiwa ``令``/``R``
  n = 2018 + n (never used by the JPO for numbers, but unambiguous);
* a bare two-digit year followed by a separator (``57-233998``, the old form of docs/domain.md#jp) is read as
  Showa when it is 12–64; 1–11 is ``ambiguousNumber`` (Showa 1–11 = 1926–1936 or Heisei 1–11 =
  1989–1999: write ``S`` or ``H``, or the western year); eight digits without separator or era
  letter (``57233998``) are ``ambiguousNumber`` too, since a western-year number with a digit lost
  looks the same;
* Showa 64 and Heisei 1 are both 1989: the JPO numbered by calendar year, so both give ``JP1989…``.

Accepted variants: ``2017-187096``, ``特願2017-187096``, ``特許願第2017-187096号``, ``JP2020-050222``,
``JP 2000352324`` (epodoc: year and serial run together), ``特願昭57-233998``, ``S57-233998``,
``H11-123456``, ``平成11年特許願第123456号``, ``57-233998``, serials with their leading zeros dropped when a
separator marks them (``2020-50222``); full-width digits (``２０１７－１８７０９６``) are folded (NFKC).
National-phase serials start with 5 (``2019-512345``) and need nothing special.

The EPO's database forms (OPS Reference Guide v1.3.20; docs/domain.md#numbers-as-databases-print-them): epodoc is the
western year and the serial padded to seven digits, ``JP20050505120`` for ``2005-505120``; DOCDB runs year and serial
together with the application kind ``A``, ``JP 2006147056 A`` (OPS number service: original ``2006-147056`` → docdb
``2006147056 A``), and Google Patents writes ``JP-2016234666-A``. The kind letter is accepted **only on the run-together
DOCDB form**: a hyphenated number with a kind (``JP 2019-095759 A``) is how JP *publications*
(特開2019-095759) are cited, and the JPO numbers both in the same ``YYYY-NNNNNN`` shape. DOCDB's
pre-2000 form, the serial and the two-digit western year (``JP-27256688-A`` = 昭63-272566), also
reads as an era-year publication (``JP 61123456 A`` = 特開昭61-123456): it is refused as
``legacyForm``, with the JPO form it would be in the message. A DOCDB
``U`` is a utility-model application (``unknownSeries``, below); ``W`` is a PCT application
(``JP 2017026210 W`` = ``PCT/JP2017/026210``, :mod:`registry.domain.numbers.wo`).

Refused: utility-model, design and trademark application numbers (``実願``, ``意願``, ``商願``) count
their serials separately from patents, so the same digits would name two applications: they are
``unknownSeries`` until the registry gives them a form of their own. Publication and patent numbers
(``特開2019-095759``, ``特表``, ``特公``, ``特許第1234567号``, anything with a kind code such as
``JP 2019-095759 A``) are ``notAnApplicationNumber``: JP publications share the ``YYYY-NNNNNN`` shape.

>>> validate("特願2017-187096")
'JP2017187096'
>>> validate("特願昭57-233998")
'JP1982233998'
>>> format("JP1999123456")
'H11-123456'
>>> validate("JP20050505120")
'JP2005505120'
>>> validate("JP 2006147056 A")
'JP2006147056'
>>> is_valid("JP 2019-095759 A")
False
"""

from __future__ import annotations

import re

from registry.domain.numbers._common import (
    Parsed,
    check_year,
    compact_text,
    digits_only,
    epodoc_serial,
    fail,
    parses,
    prepare,
    refuse_legacy,
    refuse_publication,
    run_together,
    shown,
    split_kind,
    strip_office,
)

__all__ = ["compact", "format", "is_valid", "parse", "validate"]

OFFICE = "JP"
FIRST_YEAR = 1926  # Showa 1; older (Taisho) numbers are out of scope for priority claims
WESTERN_SINCE = 2000

_ERAS = {"昭和": "S", "平成": "H", "令和": "R", "昭": "S", "平": "H", "令": "R"}
_ERA_BASE = {"S": 1925, "H": 1988, "R": 2018}
_ERA_LAST = {"S": 64, "H": 31}
_OTHER_RIGHTS = ("実願", "実用新案登録願", "意願", "意匠登録願", "商願", "商標登録願")
_PUBLICATIONS = ("特開", "特表", "特公", "再表", "実開", "実公", "特許第", "登録")
_PATENT_PREFIX = re.compile(r"(?:特許出願|特許願|特願)(?:第)? ?")
# A separator (or 年) must end an era year: in ``H1123456`` only the six-digit serial tells where.
_ERA_FORM = re.compile(r"([SHR]) ?([0-9]{1,2})(?: ?年 ?(?:特許願)?(?:第)? ?| ?[-/.] ?| )([0-9]{1,6})")
_SEPARATED = re.compile(r"([0-9]{1,4}) ?[-/.] ?([0-9]{1,6})", re.ASCII)
_ERA_YEAR_ONLY = re.compile(r"([SHR]) ?([0-9]{1,2})([0-9]{6})", re.ASCII)


def _western(era: str | None, year: int, number: str) -> int:
    """The western year of an era year (JPO numbering before 2000)."""
    if era is None:
        if 1 <= year <= 11:
            fail(
                "ambiguousNumber",
                f"{shown(number)} has the year {year}, which may be Showa {year} ({1925 + year}) or Heisei "
                f"{year} ({1988 + year}); write S or H (昭 or 平) before it, or the western year",
            )
        if not 12 <= year <= 64:
            fail(
                "implausibleYear",
                f"{shown(number)} has the two-digit year {year}, which is no Showa year; write the "
                "four-digit western year",
            )
        era = "S"
    last = _ERA_LAST.get(era)
    if year < 1 or (last is not None and year > last):
        fail("implausibleYear", f"{shown(number)} has the era year {era}{year}, which does not exist")
    return _ERA_BASE[era] + year


def parse(number: str) -> Parsed:
    """Read a JP patent application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    for word in _OTHER_RIGHTS:
        if text.startswith(word):
            fail(
                "unknownSeries",
                f"{shown(number)} is a utility-model, design or trademark application ({word}); only JP "
                "patent applications (特願) have a canonical form here",
            )
    for word in _PUBLICATIONS:
        if text.startswith(word):
            fail(
                "notAnApplicationNumber",
                f"{shown(number)} is a JP publication or patent number ({word}); give the application "
                "number, such as 特願2017-187096",
            )
    text = strip_office(_PATENT_PREFIX.sub("", text, count=1).removesuffix("号").strip(), OFFICE)
    for word, letter in _ERAS.items():
        text = text.replace(word, letter)
    text, kind = split_kind(text)
    if kind is not None:
        _check_kind(kind, text, number)
    era_form = _ERA_FORM.fullmatch(text) or _ERA_YEAR_ONLY.fullmatch(text)
    separated = _SEPARATED.fullmatch(text)
    if era_form:
        era, year_text, serial = era_form.group(1), era_form.group(2), era_form.group(3)
        year = _western(era, int(year_text), number)
    elif separated and len(separated.group(1)) in (1, 2, 4):
        year_text, serial = separated.groups()
        year = int(year_text) if len(year_text) == 4 else _western(None, int(year_text), number)
    else:
        digits = digits_only(text, OFFICE, number)
        if len(digits) == 10:
            year, serial = int(digits[:4]), digits[4:]
        elif len(digits) == 11 and run_together(text) and digits[4] == "0":
            # epodoc: the serial padded to seven digits (JP20050505120 = 2005-505120).
            year, serial = epodoc_serial(digits, 6, OFFICE, number)
        elif len(digits) == 8:
            # "20171870" may be a western year with a digit lost as well as Showa 20: only a
            # separator ("57-233998") or an era letter makes a two-digit year readable.
            fail(
                "ambiguousNumber",
                f"{shown(number)} may be an era year and serial or a shortened western-year number; "
                "write it as S57-233998 or 1982-233998",
            )
        else:
            fail(
                "badLength",
                f"{shown(number)} has {len(digits)} digits; a JP application number is a year and a "
                "six-digit serial, such as 2017-187096",
            )
    check_year(year, FIRST_YEAR, OFFICE, number)
    serial = serial.zfill(6)
    if serial == "000000":
        fail("badFormat", f"{shown(number)} has the serial 000000, which the JPO never assigns")
    return Parsed(f"{OFFICE}{year}{serial}", _display(year, serial))


def _check_kind(kind: str, text: str, number: str) -> None:
    """Accept DOCDB's application kind ``A`` on the run-together form only (module docstring)."""
    if kind == "U":
        fail(
            "unknownSeries",
            f"{shown(number)} is a utility-model application (DOCDB kind U); only JP patent "
            "applications (特願) have a canonical form here",
        )
    digits = text.strip()
    if kind == "A" and run_together(digits) and len(digits) in (7, 8):
        # DOCDB's pre-2000 form: serial without leading zeros, then the two-digit western year
        # (JP-27256688-A, Google Patents). The same eight digits and kind are also an era-year
        # publication (JP 61123456 A = 特開昭61-123456): two readings, so none (docs/domain.md#identifiers).
        serial, year = digits[:-2].zfill(6), 1900 + int(digits[-2:])
        refuse_legacy(
            number,
            f"the legacy DOCDB form (serial {serial}, filed {year}), which also reads as an era-year publication",
            f"give the JPO form, here {_display(year, serial) if year >= FIRST_YEAR else 'era-year-serial'} "
            "if that is the application",
        )
    if kind != "A" or not run_together(digits) or len(digits) not in (10, 11):
        refuse_publication(kind, OFFICE, number, "2017-187096")


def _display(year: int, serial: str) -> str:
    # The JPO's own form for the year of filing: western since 2000, era before.
    if year >= WESTERN_SINCE:
        return f"{year}-{serial}"
    if year >= 1989:
        return f"H{year - 1988}-{serial}"
    return f"S{year - 1925}-{serial}"


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``JP`` + western year + serial (JPO numbering) or raise."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """The JPO's form: ``2017-187096`` since 2000, ``H11-123456`` / ``S57-233998`` before (JPO)."""
    return parse(number).display
