"""Access codes: the 80-bit secret an applicant hands to a second office (docs/spec/commitments.md#access-codes).

An access code is what makes a commitment unguessable (docs/design.md#p1-nothing-unpublished-is-readable) and what the
applicant types into another office's form, so it must survive humans
(docs/domain.md#what-das-does-and-what-we-do-better: a DAS code mistyped "B" for "8" cost an applicant a missed
deadline). Its rules:

- 16 data characters of Crockford base32 (https://www.crockford.com/base32.html), alphabet
  ``0123456789ABCDEFGHJKMNPQRSTVWXYZ`` (no I, L, O, U), carrying 80 bits from :mod:`secrets`;
- one check character, Crockford's mod-37 check symbol: the value of the 80-bit number modulo 37,
  written with the 32 data symbols for 0..31 and ``*`` ``~`` ``$`` ``=`` ``U`` for 32..36;
- shown as ``XXXX-XXXX-XXXX-XXXX-C``; read case-insensitively, hyphens and spaces ignored,
  ``O`` read as ``0`` and ``I``/``L`` as ``1`` (Crockford's decoding rules). The five check-only
  symbols are accepted in the last position only;
- the *secret* that goes into the commitment is the 16 normalized data characters, without the
  check character (:func:`registry.domain.commitments.commitment`).

Why plain Crockford mod 37 is enough (docs/spec/commitments.md#access-codes asks which scheme and why)
--------------------------------------------------------------------------

Write the data characters as values ``d15 … d0`` (``d0`` last), so the number is
``N = Σ d_k·32^k`` and the check value is ``c = N mod 37``, ``0 ≤ c ≤ 36``. 37 is prime, so the
integers mod 37 form a field; 32 ≡ −5 is a *primitive root* mod 37 (its order is 36), hence the
powers ``32^0 … 32^15`` are distinct, non-zero, and none equals −1 (that is ``32^18``).

1. *Substitution of a data character* ``d_k → d_k + e`` with ``0 < |e| ≤ 31``: ``N`` changes by
   ``e·32^k``, a product of two non-zero elements of the field, so ``N mod 37`` changes and the
   old check character no longer matches.
2. *Substitution of the check character*: the 37 check values are 37 distinct residues, so any
   other symbol names another residue and mismatches. (A data-only position given a check-only
   symbol is refused outright as a bad character.)
3. *Transposition of two data characters* at weights ``32^i`` and ``32^j`` (``i > j``, any
   distance, so in particular adjacent ones): ``N`` changes by
   ``(d_j − d_i)·(32^i − 32^j) = (d_j − d_i)·32^j·(32^(i−j) − 1)``. For adjacent characters the
   last factor is ``31``, coprime with 37; in general ``32^(i−j) ≠ 1`` because ``0 < i−j < 36``.
   A transposition that changes the text has ``d_i ≠ d_j``, so all three factors are non-zero.
4. *Transposition of the last data character with the check character* (adjacent once hyphens
   are ignored — and the same argument covers any data position ``k``): if ``c ≥ 32`` the swap
   puts a check-only symbol into a data position, refused as a bad character. Otherwise the new
   data give ``N' = N + (c − d_k)·32^k ≡ c + (c − d_k)·32^k`` and the new check character is
   ``d_k``; they agree iff ``(c − d_k)·(1 + 32^k) ≡ 0``. ``1 + 32^k ≢ 0`` since ``32^k ≢ −1``
   for ``k ≤ 15``, so they agree iff ``c = d_k``, i.e. the swap changed nothing.

So no single substitution and no transposition anywhere in the 17 characters goes unnoticed;
``tests/registry/test_accesscodes.py`` checks exactly that, exhaustively, on 1,000 random codes.

Strength of a code an office chooses (docs/api.md#other-bodies)
-------------------------------------------------------------

An office may set a filing's access code itself (``accessCode`` of ``POST /v1/filings``, of each
batch item, of an import row and of ``prioreg anchor --access-code``; never the code of a priority
claim, which the first office issued). Such a code is refused (``weakAccessCode``,
:func:`check_strength`) when its 16 data characters — the secret; the check character adds nothing
— are guessable by the patterns people type:

- fewer than 8 distinct symbols (``0000-0000-0000-0000-0``, ``ABAB-…``);
- a run of 5 identical symbols;
- a run of 6 symbols each one step up, or each one step down, Crockford's alphabet
  (``012345``, ``ZYXWVT``; the order of :data:`ALPHABET`, no wrap from ``Z`` to ``0``).

About 5.9 in 100,000 uniformly drawn codes match (fewer than 8 distinct symbols 4.76 × 10⁻⁵, the
runs 1.17 × 10⁻⁵, measured in ``tests/registry/test_accesscodes.py``), so the rule costs the code
space nothing measurable while it stops the codes that make filings enumerable. Generated and
derived codes that match are drawn again (:func:`generate`, :func:`derive`).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from registry.errors import InvalidAccessCode

__all__ = [
    "ALPHABET",
    "CHECK_SYMBOLS",
    "DATA_LENGTH",
    "MIN_DISTINCT_SYMBOLS",
    "AccessCode",
    "check_character",
    "check_strength",
    "derive",
    "generate",
    "normalize",
    "weakness",
]

#: Crockford base32 data symbols, value = index.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Crockford check symbols, value = index (32..36 are the five check-only symbols).
CHECK_SYMBOLS = ALPHABET + "*~$=U"
#: Number of data characters: 16 × 5 bits = 80 bits (docs/design.md#p1-nothing-unpublished-is-readable).
DATA_LENGTH = 16
_CODE_LENGTH = DATA_LENGTH + 1
_BITS = 5 * DATA_LENGTH
_MODULUS = len(CHECK_SYMBOLS)  # 37, prime: the proof in the module docstring rests on it
_SEPARATORS = frozenset("- ")

# Input character → value, built once: both cases of every symbol, plus Crockford's look-alike
# folding. Keeping it a plain dict (rather than str.upper()) also keeps non-ASCII input such as
# "ß" (which upper-cases to two letters) from changing the length behind the caller's back.
_VALUES: dict[str, int] = {}
for _value, _symbol in enumerate(CHECK_SYMBOLS):
    _VALUES[_symbol] = _value
    _VALUES[_symbol.lower()] = _value
for _alias, _symbol in (("O", "0"), ("I", "1"), ("L", "1")):
    _VALUES[_alias] = _VALUES[_alias.lower()] = _VALUES[_symbol]
_DATA_SET = frozenset(ALPHABET)

# Fast paths (millions of codes are derived and read a year, and a per-character Python loop
# costs microseconds): byte tables applied by bytes.translate in C, int(…, 32) reading base32hex
# digits (0-9, a-v) in one call, and two data symbols (10 bits) looked up at a time.
_TO_BASE32HEX = bytes.maketrans(ALPHABET.encode("ascii"), b"0123456789abcdefghijklmnopqrstuv")
_ALPHABET_BYTES = ALPHABET.encode("ascii")
# Folds what a person may type for a data symbol to the symbol (the look-alikes of _VALUES).
_FOLD = bytes.maketrans(
    ALPHABET.lower().encode("ascii") + b"oOiIlL",
    ALPHABET.encode("ascii") + b"001111",
)
_PAIRS = tuple(a + b for a in ALPHABET for b in ALPHABET)

# The strength rule (module docstring). The two run patterns are one regular expression: a symbol
# repeated 5 times, or any of the 27 + 27 windows of 6 consecutive symbols of the alphabet, up or
# down (one C-level search, ~2 µs, rather than a loop over the 16 characters).
#: A chosen code needs at least this many distinct symbols among its 16 data characters.
MIN_DISTINCT_SYMBOLS = 8
_IDENTICAL_RUN = 5
_STEP_RUN = 6
_UP = [ALPHABET[i : i + _STEP_RUN] for i in range(len(ALPHABET) - _STEP_RUN + 1)]
_STEP_WINDOWS = frozenset(_UP + [w[::-1] for w in _UP])
_IDENTICAL = re.compile(rf"(.)\1{{{_IDENTICAL_RUN - 1}}}")
_RUNS = re.compile(_IDENTICAL.pattern + "|" + "|".join(sorted(_STEP_WINDOWS)))


def check_character(secret: str) -> str:
    """The Crockford mod-37 check symbol of 16 normalized data characters (Crockford base32 spec).

    ``secret`` must already be normalized (uppercase data symbols only); see :func:`normalize`.
    """
    number = 0
    for char in secret:
        number = number * 32 + _VALUES[char]
    return CHECK_SYMBOLS[number % _MODULUS]


@dataclass(frozen=True, slots=True, repr=False)
class AccessCode:
    """A valid access code (docs/spec/commitments.md#access-codes). ``secret`` is the 16 normalized data characters.

    ``str(code)`` gives the display form; ``repr(code)`` never shows the secret, so that a code
    passed to a logger or shown in a traceback does not leak (docs/design.md#p1-nothing-unpublished-is-readable).
    """

    secret: str

    def __post_init__(self) -> None:
        secret = self.secret
        if not isinstance(secret, str) or len(secret) != DATA_LENGTH:
            raise InvalidAccessCode(
                f"an access-code secret has exactly {DATA_LENGTH} data characters", code="badLength"
            )
        if not _DATA_SET.issuperset(secret):
            raise InvalidAccessCode(
                "an access-code secret is made of the uppercase Crockford base32 symbols "
                f"{ALPHABET}; use normalize() to read what a person typed",
                code="badCharacter",
            )

    @property
    def check(self) -> str:
        """The check character (Crockford mod 37)."""
        # The secret was validated when the code was built, so base32hex reads it in one call.
        return CHECK_SYMBOLS[int(self.secret.encode("ascii").translate(_TO_BASE32HEX), 32) % _MODULUS]

    @property
    def display(self) -> str:
        """The form shown to people: ``XXXX-XXXX-XXXX-XXXX-C``."""
        s = self.secret
        return f"{s[0:4]}-{s[4:8]}-{s[8:12]}-{s[12:16]}-{self.check}"

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        return "AccessCode(<redacted>)"


def weakness(code: AccessCode) -> str | None:
    """Why ``code`` is too guessable for an office to choose (the rule of docs/api.md), or None.

    The reason names the pattern, never the characters: the code is a secret.
    """
    secret = code.secret
    if len(set(secret)) < MIN_DISTINCT_SYMBOLS:
        return f"it has fewer than {MIN_DISTINCT_SYMBOLS} different symbols"
    match = _RUNS.search(secret)
    if match is None:
        return None
    if _IDENTICAL.fullmatch(match.group()):
        return f"it repeats one symbol {_IDENTICAL_RUN} times in a row"
    return f"it runs {_STEP_RUN} symbols up or down the alphabet in a row"


def check_strength(code: AccessCode) -> AccessCode:
    """Return ``code`` when an office may choose it; raise ``InvalidAccessCode`` (``weakAccessCode``)."""
    reason = weakness(code)
    if reason is not None:
        raise InvalidAccessCode(
            f"this access code is too easy to guess: {reason}; leave accessCode out to have one generated",
            code="weakAccessCode",
        )
    return code


def _from_number(n: int) -> AccessCode:
    # The 16 symbols of an 80-bit number, most significant first, two (10 bits) per lookup.
    p = _PAIRS
    return AccessCode(
        p[n >> 70]
        + p[(n >> 60) & 1023]
        + p[(n >> 50) & 1023]
        + p[(n >> 40) & 1023]
        + p[(n >> 30) & 1023]
        + p[(n >> 20) & 1023]
        + p[(n >> 10) & 1023]
        + p[n & 1023]
    )


def generate() -> AccessCode:
    """A new access code with 80 bits from :mod:`secrets` (docs/spec/commitments.md#access-codes), drawn again (about 6
    times in 100,000) while it fails the strength rule that office-chosen codes must pass."""
    while True:
        code = _from_number(secrets.randbits(_BITS))
        if weakness(code) is None:
            return code


def derive(seed: bytes, office: str, canonical_number: str) -> AccessCode:
    """The access code an office issues for one of its applications, derived from its secret seed.

    ``HMAC-SHA256(seed, "prioreg.accesscode.v1|" office "|" canonical number)``, first 80 bits.
    Derivation instead of a random draw makes anchoring idempotent: a retried or re-run import
    commits each application under the same code, so a retry finds it already anchored instead of
    anchoring it twice under a new code; and an office can re-issue a lost code without storing any.
    With a 256-bit seed kept encrypted at rest, the codes are as unpredictable as random ones.

    A derived code that fails the strength rule (:func:`weakness`; about 6 in 100,000) is derived
    again, deterministically, with a counter appended to the message: ``…|<canonical number>|1``,
    then ``|2`` and so on; the first that passes is the code. Every code that passes at the first
    attempt is the same as before the rule existed.
    """
    if len(seed) < 32:
        raise ValueError("an access-code seed has at least 256 bits")
    message = f"prioreg.accesscode.v1|{office}|{canonical_number}".encode()
    attempt = 0
    while True:
        salted = message if attempt == 0 else message + f"|{attempt}".encode()
        code = _from_number(int.from_bytes(hmac.digest(seed, salted, "sha256")[:10], "big"))
        if weakness(code) is None:
            return code
        attempt += 1


def normalize(text: str) -> AccessCode:
    """Read an access code as a person typed it (docs/spec/commitments.md#access-codes, Crockford base32 decoding
    rules).

    Case-insensitive; hyphens and spaces are ignored; ``O`` is read as ``0``, ``I`` and ``L`` as
    ``1``. Raises :class:`~registry.errors.InvalidAccessCode` with ``code``:

    - ``badCharacter``: a character outside the alphabet, or a check-only symbol (``*~$=U``)
      before the last position;
    - ``badLength``: not 16 data characters plus one check character;
    - ``checkCharacterMismatch``: the check character does not match (a typo).

    Messages name positions, never the characters typed: the input is a secret.

    >>> normalize("0123-4567-89ab-cdef-k").secret
    '0123456789ABCDEF'
    """
    if type(text) is str and text.isascii():
        # The usual case in a few C calls; anything it does not accept is read again below,
        # character by character, so that every error names its position exactly.
        compact = text.encode("ascii").translate(None, b"- ")
        if len(compact) == _CODE_LENGTH:
            data = compact[:DATA_LENGTH].translate(_FOLD)
            check = _VALUES.get(chr(compact[DATA_LENGTH]))
            if (
                check is not None
                and not data.translate(None, _ALPHABET_BYTES)
                and int(data.translate(_TO_BASE32HEX), 32) % _MODULUS == check
            ):
                return AccessCode(data.decode("ascii"))
    values: list[int] = []
    for position, char in enumerate(text, start=1):
        if char in _SEPARATORS:
            continue
        value = _VALUES.get(char)
        if value is None:
            raise InvalidAccessCode(
                f"character {position} of the access code is not a Crockford base32 symbol",
                code="badCharacter",
            )
        values.append(value)
    if len(values) != _CODE_LENGTH:
        raise InvalidAccessCode(
            f"an access code has {DATA_LENGTH} characters and a check character "
            f"(XXXX-XXXX-XXXX-XXXX-C), not {len(values)}",
            code="badLength",
        )
    number = 0
    for index in range(DATA_LENGTH):
        value = values[index]
        if value >= 32:
            raise InvalidAccessCode(
                f"character {index + 1} of the access code (ignoring hyphens) is a symbol "
                "used only as the check character",
                code="badCharacter",
            )
        number = number * 32 + value
    if number % _MODULUS != values[DATA_LENGTH]:
        raise InvalidAccessCode(
            "the access code's check character does not match: a character is mistyped",
            code="checkCharacterMismatch",
        )
    return AccessCode("".join(ALPHABET[v] for v in values[:DATA_LENGTH]))
