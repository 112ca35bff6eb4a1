"""Properties every office module keeps, whatever the number (python-stdnum's habit,
docs/design.md#how-the-code-is-written).

* ``validate(validate(x)) == validate(x)`` and ``canonical(o, canonical(o, x)) == canonical(o, x)``:
  the canonical form is a fixed point, so a stored canonical reads back to itself;
* ``format`` output re-validates to the same canonical form;
* any text at all raises only ``InvalidApplicationNumber`` or ``InvalidOfficeCode``.
"""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import registry.domain.numbers
import registry.domain.offices
from registry.domain.numbers import canonical, cn, de, ep, fr, gb, generic, jp, kr, normalize, us, wo
from registry.errors import InvalidApplicationNumber, InvalidOfficeCode

OFFICE_MODULES: dict[str, ModuleType] = {
    "EP": ep,
    "US": us,
    "JP": jp,
    "CN": cn,
    "KR": kr,
    "DE": de,
    "GB": gb,
    "FR": fr,
    "WO": wo,
}


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def _two_digit_year(first: int) -> st.SearchStrategy[str]:
    return st.sampled_from([f"{y % 100:02d}" for y in range(first, 2026)])


_SERIAL6 = _digits(6).filter(lambda s: s != "000000")
_SERIAL5 = _digits(5).filter(lambda s: s != "00000")

NUMBERS: dict[str, st.SearchStrategy[str]] = {
    "EP": st.builds(lambda y, s: f"EP {y} {s[:3]} {s[3:]}", _two_digit_year(1978), _SERIAL6),
    "US": st.builds(lambda p, s: f"{p}/{s[:3]},{s[3:]}", st.sampled_from(sorted(us.SERIES_CODES)), _SERIAL6),
    "JP": st.one_of(
        st.builds(lambda y, s: f"特願{y}-{s}", st.integers(2000, 2026), _SERIAL6),
        st.builds(lambda y, s: f"S{y}-{s}", st.integers(1, 64), _SERIAL6),
        st.builds(lambda y, s: f"平{y}-{s}", st.integers(1, 11), _SERIAL6),
    ),
    "CN": st.one_of(
        st.builds(lambda y, t, s: f"{y}{t}{s}", st.integers(2003, 2026), st.sampled_from("12389"), _digits(7)),
        st.builds(
            lambda y, t, s: f"{y}{t}{s}",
            _two_digit_year(1985).filter(lambda y: y <= "03" or y >= "85"),
            st.sampled_from("12389"),
            _digits(5),
        ),
    ),
    "KR": st.one_of(
        st.builds(
            lambda t, y, s: f"{t}-{y}-{s}",
            st.sampled_from(sorted(kr.RIGHT_TYPES)),
            st.integers(1999, 2026),
            _digits(7).filter(lambda s: s != "0000000"),
        ),
        st.builds(lambda y, s: f"{y}-{s}", st.integers(1948, 1998), _SERIAL6),
    ),
    "DE": st.one_of(
        st.builds(
            lambda k, y, s: f"{k} {y} {s}", st.sampled_from(sorted(de.RIGHT_CODES)), st.integers(2004, 2026), _digits(6)
        ),
        st.builds(
            lambda y, k, s: f"DE {y}{k}{s}",
            st.integers(2004, 2026),
            st.sampled_from(["10", "11", "30", "40"]),
            _digits(6),
        ),
        st.builds(lambda s: f"{s[:2]} {s[2:4]} {s[4:]}", _digits(7)),
        st.builds(lambda p, s: f"{p} {s[:2]} {s[2:]}", st.sampled_from(sorted(de.OLD8_SERIES)), _digits(5)),
    ),
    "GB": st.builds(
        lambda y, s, c: f"GB {y}{s}{c}", _two_digit_year(1978), _SERIAL5, st.sampled_from(["", ".0", ".7"])
    ),
    "FR": st.builds(lambda y, s: f"FR {y}{s}", _two_digit_year(1969), _SERIAL5),
    "WO": st.one_of(
        st.builds(
            lambda cc, y, s: f"PCT/{cc}{y}/{s}",
            st.sampled_from(["US", "EP", "JP", "IB", "CN", "KR", "DE"]),
            st.integers(1978, 2026),
            _SERIAL6,
        ),
        st.builds(
            lambda cc, y, s: f"PCT/{cc}{y:02d}/{s}",
            st.sampled_from(["US", "GB", "FR"]),
            st.sampled_from([*range(78, 100), *range(0, 4)]),
            _SERIAL5,
        ),
    ),
}


@pytest.mark.parametrize("office", list(OFFICE_MODULES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_validate_is_idempotent_for_generated_numbers(office: str, data: st.DataObject) -> None:
    module = OFFICE_MODULES[office]
    number = data.draw(NUMBERS[office])
    first = module.validate(number)
    assert module.validate(first) == first
    assert canonical(office, canonical(office, number)) == canonical(office, number) == first
    assert module.validate(module.format(number)) == first
    assert module.validate(module.compact(number)) == first


@pytest.mark.parametrize("office", list(OFFICE_MODULES))
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_gives_a_canonical_form_or_an_invalid_number_error(office: str, text: str) -> None:
    module = OFFICE_MODULES[office]
    try:
        first = module.validate(text)
    except InvalidApplicationNumber:
        assert not module.is_valid(text)
        return
    assert first.isascii() and first == first.upper() and " " not in first
    assert module.validate(first) == first
    assert module.validate(module.format(text)) == first


NUMBERISH = st.text(alphabet="0123456789 ./-,PCTUSEPJKRWOABXZL特願昭平号", max_size=24)


@pytest.mark.parametrize("office", list(OFFICE_MODULES))
@settings(max_examples=400, deadline=None)
@given(text=NUMBERISH)
def test_number_like_text_is_idempotent_whenever_it_is_accepted(office: str, text: str) -> None:
    try:
        first = canonical(office, text)
    except InvalidApplicationNumber:
        return
    assert canonical(office, first) == first
    assert canonical(office, normalize(office, text).display) == first


@settings(max_examples=500, deadline=None)
@given(office=st.text(max_size=4), text=st.text(max_size=60))
def test_any_office_and_number_raise_only_registry_input_errors(office: str, text: str) -> None:
    try:
        result = normalize(office, text)
    except (InvalidApplicationNumber, InvalidOfficeCode):
        return
    assert normalize(result.office, result.canonical).canonical == result.canonical


@settings(max_examples=300, deadline=None)
@given(office=st.sampled_from(["AT", "CH", "IN", "BR", "AU", "EM", "QZ", "IB"]), text=st.text(max_size=40))
def test_generic_rule_is_idempotent_and_unverified(office: str, text: str) -> None:
    try:
        result = normalize(office, text)
    except InvalidApplicationNumber:
        return
    if result.office == "WO":
        return
    assert result.verified_format is False
    assert generic.validate(result.canonical, office) == result.canonical
    assert len(result.canonical) <= 2 + generic.MAX_LENGTH


def test_huge_input_fails_fast_with_bad_length() -> None:
    for office in [*OFFICE_MODULES, "AT"]:
        with pytest.raises(InvalidApplicationNumber) as caught:
            normalize(office, "8" * 10_000)
        assert caught.value.code == "badLength"


@pytest.mark.parametrize(
    "module",
    [registry.domain.offices, registry.domain.numbers, ep, us, jp, cn, kr, de, gb, fr, wo, generic],
    ids=lambda m: m.__name__,
)
def test_module_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
