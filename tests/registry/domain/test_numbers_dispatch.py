"""registry.domain.numbers.canonical/normalize: which rule reads a number, and what the record says."""

from __future__ import annotations

import dataclasses

import pytest

from registry.domain.numbers import NormalizedNumber, canonical, is_valid, normalize
from registry.errors import InvalidApplicationNumber


@pytest.mark.parametrize("office", ["WO", "IB", "US", "us"])
def test_pct_number_is_a_wo_record_with_its_receiving_office(office: str) -> None:
    result = normalize(office, "PCT/US2015/027322")
    assert result == NormalizedNumber(
        office="WO",
        canonical="PCTUS2015027322",
        display="PCT/US2015/027322",
        check_digit=None,
        verified_format=True,
        receiving_office="US",
    )


def test_pct_number_received_by_the_international_bureau_has_receiving_office_ib() -> None:
    result = normalize("WO", "PCT/IB2015/050123")
    assert (result.office, result.receiving_office) == ("WO", "IB")


def test_pct_number_given_with_an_unrelated_office_is_an_office_mismatch() -> None:
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize("EP", "PCT/US2015/027322")
    assert caught.value.code == "officeMismatch"
    assert "WO" in caught.value.message


def test_ib_with_an_epodoc_pct_number_is_read_as_pct() -> None:
    assert canonical("IB", "WO2013US50328") == "PCTUS2013050328"


def test_ib_with_a_non_pct_number_falls_to_the_generic_rule() -> None:
    result = normalize("IB", "DM/123 456")
    assert (result.office, result.canonical, result.verified_format) == ("IB", "IBDM123456", False)


def test_office_code_is_read_case_insensitively() -> None:
    assert canonical(" ep ", "99403122") == "EP99403122"


@pytest.mark.parametrize(
    ("office", "given", "want"),
    [
        ("AT", "A 123/2019", "ATA1232019"),
        ("AT", "AT A 123/2019", "ATA1232019"),
        ("CH", "CH 01234/12", "CH0123412"),
        ("IN", "201811012345", "IN201811012345"),
        ("BR", "BR 10 2019 012345-6", "BR1020190123456"),
        ("EM", "018123456", "EM018123456"),
        ("QZ", "2019/1234", "QZ20191234"),
        ("AU", "2019100123", "AU2019100123"),
        ("CA", "3,012,345", "CA3012345"),
        ("ES", "P201930123", "ESP201930123"),
    ],
)
def test_other_offices_use_the_generic_unverified_rule(office: str, given: str, want: str) -> None:
    result = normalize(office, given)
    assert result.canonical == want
    assert result.verified_format is False
    assert result.check_digit is None


def test_verified_offices_say_their_format_was_verified() -> None:
    for office, number in [
        ("EP", "99403122"),
        ("US", "16/123,456"),
        ("JP", "2017-187096"),
        ("CN", "201710601862.3"),
        ("KR", "10-2005-0078345"),
        ("DE", "31 30 619.5"),
        ("GB", "1217782"),
        ("FR", "1914349"),
        ("WO", "PCT/EP2020/084287"),
    ]:
        assert normalize(office, number).verified_format is True


def test_normalized_number_is_frozen() -> None:
    result = normalize("EP", "99403122")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.canonical = "EP00000000"  # type: ignore[misc]


def test_is_valid_answers_without_raising() -> None:
    assert is_valid("EP", "99 403 122.7")
    assert not is_valid("EP", "99 403 122.8")
    assert not is_valid("XX", "99 403 122.7")


@pytest.mark.parametrize(
    ("office", "canonical_form"),
    [
        ("EP", "EP99203729"),
        ("CN", "CN201911287932"),
        ("DE", "DE102007004488"),
        ("GB", "GB1217782"),
        ("US", "US16123456"),
        ("JP", "JP2017187096"),
        ("KR", "KR1020050078345"),
        ("FR", "FR1914349"),
        ("WO", "PCTUS2015027322"),
    ],
)
def test_the_spec_examples_are_canonical_fixed_points(office: str, canonical_form: str) -> None:
    assert canonical(office, canonical_form) == canonical_form
