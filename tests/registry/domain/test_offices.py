"""ST.3 office codes (WIPO ST.3; docs/spec/commitments.md#offices): what names an office and what does not."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.offices import RESERVED_OFFICE_CODES, is_valid_office, validate_office
from registry.errors import InvalidOfficeCode


def _range(first: str, last: str) -> list[str]:
    return [first[0] + c for c in string.ascii_uppercase if first[1] <= c <= last[1]]


EVERY_RESERVED = ["AA", "XW", "XY", "XZ", "ZZ", *_range("QM", "QY"), *_range("XA", "XM"), *_range("XO", "XT")]
ORGANISATIONS = ["EP", "EM", "EA", "AP", "OA", "GC", "IB", "WO", "QZ", "XN", "XU", "XV"]
STATES = ["US", "JP", "CN", "KR", "DE", "GB", "FR", "CH", "AT", "IN", "BR", "AU", "CA", "RU"]


@pytest.mark.parametrize("code", EVERY_RESERVED)
def test_every_code_reserved_for_individual_use_is_refused(code: str) -> None:
    with pytest.raises(InvalidOfficeCode) as caught:
        validate_office(code)
    assert caught.value.code == "reservedOfficeCode"
    assert not is_valid_office(code.lower())


def test_the_reserved_set_is_exactly_the_st3_ranges() -> None:
    assert set(EVERY_RESERVED) == RESERVED_OFFICE_CODES
    assert len(RESERVED_OFFICE_CODES) == 5 + 13 + 13 + 6


@pytest.mark.parametrize("code", ORGANISATIONS + STATES)
def test_organisation_and_state_codes_are_accepted(code: str) -> None:
    assert validate_office(code) == code


@pytest.mark.parametrize("code", ["QL", "QZ", "XN", "XU", "XV", "AB", "ZY"])
def test_codes_next_to_the_reserved_ranges_are_accepted(code: str) -> None:
    assert is_valid_office(code)


def test_unknown_office_xx_is_refused() -> None:
    with pytest.raises(InvalidOfficeCode) as caught:
        validate_office("xx")
    assert caught.value.code == "unknownOffice"


@pytest.mark.parametrize("given_code", [" ep ", "ep", "Ep", "\tEP\n", "ＥＰ"])
def test_office_code_is_stripped_uppercased_and_folded(given_code: str) -> None:
    assert validate_office(given_code) == "EP"


@pytest.mark.parametrize(
    ("given_code", "reason"),
    [
        ("", "badLength"),
        ("E", "badLength"),
        ("EPO", "badLength"),
        ("E P", "badLength"),
        ("E1", "badCharacter"),
        ("12", "badCharacter"),
        ("É P"[0] + "P", "badCharacter"),
        ("ΕΡ", "badCharacter"),  # Greek capitals that look like EP
        ("E-", "badCharacter"),
        ("x" * 10_000, "badLength"),
    ],
)
def test_malformed_office_code_names_its_reason(given_code: str, reason: str) -> None:
    with pytest.raises(InvalidOfficeCode) as caught:
        validate_office(given_code)
    assert caught.value.code == reason
    assert isinstance(caught.value, ValueError)


def test_non_text_office_code_is_refused_not_crashed() -> None:
    with pytest.raises(InvalidOfficeCode):
        validate_office(None)  # type: ignore[arg-type]


@given(st.text(max_size=50))
def test_any_text_is_either_a_code_or_an_invalid_office_error(text: str) -> None:
    try:
        code = validate_office(text)
    except InvalidOfficeCode:
        return
    assert len(code) == 2 and code.isascii() and code.isupper()
    assert code not in RESERVED_OFFICE_CODES and code != "XX"
