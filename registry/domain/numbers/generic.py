"""Generic rule for every valid ST.3 office without a module of its own ("format not verified").

WIPO ST.10/C identifies an application by its number *plus* the ST.3 code of its office, and ST.13
leaves the national form to each office; without an office-specific rule the registry can only make
the written form stable, not check it (docs/domain.md#number-formats-by-office,
docs/spec/commitments.md#canonical-numbers):

* fold with NFKC, uppercase, drop the separators space ``.`` ``,`` ``/`` ``-`` ``_`` ``:`` and one
  leading copy of the office code;
* keep ASCII letters and digits, in order (letters can be part of a number: ``A 123/2019`` at the
  Austrian office); anything else is ``badCharacter``;
* canonical form = office code + the rest: ``AT`` + ``A 123/2019`` → ``ATA1232019``;
* refused: nothing left (``badLength``), more than 32 characters left (``badLength``: ST.13 numbers
  have 15), no digit at all (``badFormat``).

The result is flagged ``verified_format=False`` by :func:`registry.domain.numbers.normalize`: two spellings of
one application that differ in a letter or a leading zero stay two strings here.

>>> validate("A 123/2019", "AT")
'ATA1232019'
>>> validate("AT A 123/2019", "AT")
'ATA1232019'
"""

from __future__ import annotations

from registry.domain.numbers._common import DIGITS, Parsed, fail, prepare, shown
from registry.domain.offices import validate_office
from registry.errors import InvalidApplicationNumber

__all__ = ["MAX_LENGTH", "compact", "format", "is_valid", "parse", "validate"]

MAX_LENGTH = 32
"""Longest number kept after the office code: twice ST.13's 15 characters, and then some."""

_SEPARATORS = " .,/-_:"
_ALNUM = DIGITS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def compact(number: str, office: str) -> str:
    """The number folded, without separators and without one leading copy of ``office`` (not validated)."""
    try:
        return parse(number, office).canonical[2:]
    except InvalidApplicationNumber:
        return ""


def parse(number: str, office: str) -> Parsed:
    """Apply the generic rule (module docstring) for ``office``; raise on anything it refuses."""
    office = validate_office(office)
    text = prepare(number)
    for sep in _SEPARATORS:
        text = text.replace(sep, "")
    text = text.removeprefix(office)
    bad = [c for c in text if c not in _ALNUM]
    if bad:
        fail(
            "badCharacter",
            f"{shown(number)} contains {bad[0]!r}; an application number of {office} is written with "
            "letters, digits and separators only",
        )
    if not text:
        fail("badLength", f"{shown(number)} has nothing left after the office code; give the number")
    if len(text) > MAX_LENGTH:
        fail(
            "badLength",
            f"{shown(number)} has {len(text)} letters and digits; no application number has more than {MAX_LENGTH}",
        )
    if not any(c in DIGITS for c in text):
        fail("badFormat", f"{shown(number)} has no digit; an application number of {office} has digits")
    return Parsed(f"{office}{text}", text)


def validate(number: str, office: str) -> str:
    """Return ``office`` + the number's letters and digits (generic rule, ST.10/C) or raise."""
    return parse(number, office).canonical


def is_valid(number: str, office: str) -> bool:
    """Tell whether :func:`validate` accepts ``number`` for ``office``."""
    try:
        parse(number, office)
    except (InvalidApplicationNumber, ValueError):
        return False
    return True


def format(number: str, office: str) -> str:
    """The number's letters and digits without separators: the generic rule knows no national form."""
    return parse(number, office).display
