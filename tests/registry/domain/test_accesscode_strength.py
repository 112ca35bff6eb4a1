"""The strength rule for access codes an office chooses (docs/api.md#other-bodies; issue 12 item 3).

A code is refused (``weakAccessCode``) when its 16 data characters have fewer than 8 distinct
symbols, a run of 5 identical symbols, or a run of 6 symbols each one step up or each one step down
Crockford's alphabet. The module's rule is checked here against a plain, slow reading of those
three sentences (``_reference``) on random, planted and near-miss codes; the rate "about 6 in
100,000 uniform codes" is computed exactly for each clause and measured for their overlap.
Generated and derived codes never fail the rule: a failing draw is drawn again, and a failing
derivation is derived again with a counter, deterministically.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
from functools import cache
from math import comb, factorial

import pytest

from registry.domain import accesscodes
from registry.domain.accesscodes import ALPHABET, AccessCode, check_strength, derive, generate, weakness
from registry.errors import InvalidAccessCode

VALUE = {symbol: i for i, symbol in enumerate(ALPHABET)}
_TO_BASE32HEX = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")


def _reference(secret: str) -> bool:
    """The rule of docs/api.md#other-bodies read literally, one character at a time."""
    return len(set(secret)) < 8 or _reference_runs(secret)


def _reference_runs(secret: str) -> bool:
    """A run of 5 identical symbols, or of 6 each one step up (or each one step down) the alphabet."""
    values = [VALUE[c] for c in secret]
    for length, steps in ((5, (0,)), (6, (1, -1))):
        for start in range(len(values) - length + 1):
            window = values[start : start + length]
            for step in steps:
                if all(b - a == step for a, b in itertools.pairwise(window)):
                    return True
    return False


def _weak(secret: str) -> bool:
    return weakness(AccessCode(secret)) is not None


def _uniform(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(16))


@cache
def _stirling(n: int, k: int) -> int:
    if n == k:
        return 1
    if k == 0 or k > n:
        return 0
    return k * _stirling(n - 1, k) + _stirling(n - 1, k - 1)


def _few_distinct_sequences(k: int) -> int:
    """How many 16-symbol secrets use exactly ``k`` distinct symbols: C(32,k)·k!·S(16,k)."""
    return comb(32, k) * factorial(k) * _stirling(16, k)


def _with_few_distinct(rng: random.Random) -> str:
    """A secret drawn uniformly among those with fewer than 8 distinct symbols."""
    weights = [_few_distinct_sequences(k) for k in range(1, 8)]
    k = rng.choices(range(1, 8), weights)[0]
    symbols = rng.sample(ALPHABET, k)
    while True:  # a uniform onto map of the 16 positions to the k symbols, by rejection
        secret = "".join(rng.choice(symbols) for _ in range(16))
        if len(set(secret)) == k:
            return secret


def _planted(rng: random.Random, run: str) -> str:
    start = rng.randrange(16 - len(run) + 1)
    secret = list(_uniform(rng))
    secret[start : start + len(run)] = run
    return "".join(secret)


def test_examples_of_each_clause_and_their_near_misses() -> None:
    weak = {
        "0000000000000000": "different symbols",
        "ABABABABABABABAB": "different symbols",
        "0123456789ABCDEF": "up or down",
        "ZYXWVTSRQPNMKJHG": "up or down",
        "7JEYNFRJ55555K7B": "repeats one symbol",
        "7JEYNFRKMNPQRX7B": "up or down",  # K M N P Q R: one step each in Crockford's alphabet (no L, O)
        "7JEYNFRQPNMKX7B3": "up or down",  # R Q P N M K: one step down each
    }
    for secret, reason in weak.items():
        assert _reference(secret), secret
        assert reason in str(weakness(AccessCode(secret))), secret
    strong = [
        "7JEYNFRJJK7BDJF3",  # the example of docs/api.md#other-bodies
        "7JEY5555NFRK7BD3",  # 4 identical only
        "7YE0KMNPQ9FRJBD3",  # 5 steps up only (K M N P Q)
        "XYZ0127JEHNFRKB3",  # no wrap from Z to 0
        "0246813579ACEGJK",  # steps of two
        "0101010198765ZYK",  # a ±1 zigzag is not a run; 9 8 7 6 5 is five down
        "01234Z56789Z0123",  # runs of 5 up, each broken by Z
        "ABCDEZ1234ZKMNPQ",  # 5 up, 4 up, 5 up
    ]
    for secret in strong:
        assert not _reference(secret), secret
        assert weakness(AccessCode(secret)) is None, secret


def test_the_rule_is_api_md_read_literally_on_random_planted_and_near_miss_codes() -> None:
    rng = random.Random(12)
    samples = [_uniform(rng) for _ in range(10_000)]
    samples += [_with_few_distinct(rng) for _ in range(2_000)]
    ups = [ALPHABET[i : i + 6] for i in range(27)]
    for _ in range(1_000):
        symbol = rng.choice(ALPHABET)
        run = rng.choice(ups)
        for planted in (symbol * 5, symbol * 4, run, run[::-1], run[:5], run[1:][::-1]):
            samples.append(_planted(rng, planted))
    disagreements = [s for s in samples if _weak(s) != _reference(s)]
    assert not disagreements, disagreements[:5]
    assert sum(map(_reference, samples)) > 4_000  # the planted runs of 5 and 6 made many weak


def _run_probability() -> float:
    """P(a uniform secret has a run of 5 identical or 6 ±1 steps), exactly, by dynamic programming
    over (last symbol, current identical run, current up run, current down run)."""
    states: dict[tuple[int, int, int, int], int] = {(v, 1, 1, 1): 1 for v in range(32)}
    hit = 0
    for position in range(1, 16):
        after: dict[tuple[int, int, int, int], int] = {}
        for (last, same, up, down), count in states.items():
            for v in range(32):
                s = same + 1 if v == last else 1
                u = up + 1 if v == last + 1 else 1
                d = down + 1 if v == last - 1 else 1
                if s >= 5 or u >= 6 or d >= 6:
                    hit += count * 32 ** (15 - position)  # whatever follows, the secret is weak
                else:
                    key = (v, s, u, d)
                    after[key] = after.get(key, 0) + count
        states = after
    return hit / 32**16


def test_about_6_in_100000_uniform_codes_are_weak() -> None:
    few_distinct = sum(_few_distinct_sequences(k) for k in range(1, 8)) / 32**16
    runs = _run_probability()
    # The overlap, measured: the share of secrets with few distinct symbols that also hold a run.
    rng = random.Random(6)
    sample = [_with_few_distinct(rng) for _ in range(20_000)]
    runs_given_few = sum(map(_reference_runs, sample)) / len(sample)
    weak = few_distinct + runs - few_distinct * runs_given_few
    print(
        f"\nweak access codes: fewer than 8 distinct {few_distinct * 1e5:.3f}, runs {runs * 1e5:.3f},"
        f" overlap {few_distinct * runs_given_few * 1e5:.3f}, in all {weak * 1e5:.2f} in 100,000"
    )
    assert few_distinct == pytest.approx(4.755e-5, rel=1e-3)
    assert runs == pytest.approx(1.165e-5, rel=1e-3)
    assert 5.5e-5 < weak < 6.2e-5  # "about 6 in 100,000" (docs/api.md#other-bodies)


def test_the_measured_rate_on_uniform_codes_agrees() -> None:
    # 300,000 uniform secrets: ~18 weak expected; the Poisson 99.9 % interval is 6..35.
    rng = random.Random(2026)
    weak = sum(1 for _ in range(300_000) if _weak("".join(rng.choices(ALPHABET, k=16))))
    print(f"\n{weak} weak among 300,000 uniform codes")
    assert 6 <= weak <= 35


def test_a_weak_code_is_refused_without_showing_it() -> None:
    with pytest.raises(InvalidAccessCode) as refused:
        check_strength(AccessCode("0000000000000000"))
    assert refused.value.code == "weakAccessCode"
    assert "0000" not in refused.value.message
    assert check_strength(AccessCode("7JEYNFRJJK7BDJF3")).secret == "7JEYNFRJJK7BDJF3"


def test_a_generated_code_that_fails_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets_drawn = ["0000000000000000", "0123456789ABCDEF", "7JEYNFRJJK7BDJF3"]  # weak, weak, strong
    draws = iter(int(s.translate(_TO_BASE32HEX), 32) for s in secrets_drawn)
    monkeypatch.setattr(accesscodes.secrets, "randbits", lambda _bits: next(draws))
    assert generate().secret == "7JEYNFRJJK7BDJF3"
    assert next(draws, None) is None


def _first_attempt(seed: bytes, office: str, number: str, attempt: int = 0) -> str:
    message = f"prioreg.accesscode.v1|{office}|{number}" + (f"|{attempt}" if attempt else "")
    n = int.from_bytes(hmac.digest(seed, message.encode(), "sha256")[:10], "big")
    return "".join(ALPHABET[(n >> shift) & 31] for shift in range(75, -1, -5))


def test_a_derived_code_that_fails_is_derived_again_with_a_counter() -> None:
    seed = hashlib.sha256(b"a seed for the strength test").digest()
    # Search numbers until the first derivation is weak (about 1 in 17,000).
    number = next(f"2017{n:06d}" for n in range(1_000_000) if _reference(_first_attempt(seed, "JP", f"2017{n:06d}")))
    code = derive(seed, "JP", number)
    assert weakness(code) is None
    attempt = 1
    while _reference(_first_attempt(seed, "JP", number, attempt)):
        attempt += 1
    assert code.secret == _first_attempt(seed, "JP", number, attempt)
    assert derive(seed, "JP", number) == code  # deterministic
    # A strong first derivation is the code, as before the rule existed.
    other = "2017187096"
    assert not _reference(_first_attempt(seed, "JP", other))
    assert derive(seed, "JP", other).secret == _first_attempt(seed, "JP", other)
