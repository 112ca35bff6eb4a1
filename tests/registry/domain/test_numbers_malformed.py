"""Malformed numbers are refused with a specific reason code and a message a person can act on."""

from __future__ import annotations

import pytest

from registry.domain.numbers import canonical, normalize
from registry.errors import InvalidApplicationNumber, InvalidOfficeCode

MALFORMED = [
    # EP
    ("EP", "99 403 122.8", "checkDigitMismatch"),
    ("EP", "994031228", "checkDigitMismatch"),
    ("EP", "EP99403123.7", "checkDigitMismatch"),
    ("EP", "EP 99 403 122.X", "badCharacter"),
    ("EP", "EP 1 234 567 A1", "notAnApplicationNumber"),
    ("EP", "EP 1234567 B1", "notAnApplicationNumber"),
    ("EP", "1234567", "notAnApplicationNumber"),
    ("EP", "EP 2 345 678", "notAnApplicationNumber"),
    ("EP", "9940312", "notAnApplicationNumber"),
    ("EP", "99403", "badLength"),
    ("EP", "9940312212345", "badLength"),
    ("EP", "EP19991403122", "badFormat"),
    ("EP", "EP19770403122", "implausibleYear"),
    ("EP", "77403122", "implausibleYear"),
    ("EP", "50403122", "implausibleYear"),
    ("EP", "US 16/123,456", "officeMismatch"),
    ("EP", "DE 10 2007 004 488.9", "officeMismatch"),
    ("EP", "99#403122", "badCharacter"),
    ("EP", "EP", "badFormat"),
    ("EP", "٩٩٤٠٣١٢٢", "badCharacter"),
    ("EP", "99403122 A9", "notAnApplicationNumber"),
    ("EP", "99403122 B", "notAnApplicationNumber"),
    # US
    ("US", "US 2019/0095759 A1", "notAnApplicationNumber"),
    ("US", "2019/0095759", "notAnApplicationNumber"),
    ("US", "20190095759", "notAnApplicationNumber"),
    ("US", "10,123,456", "notAnApplicationNumber"),
    ("US", "US 10,123,456 B2", "notAnApplicationNumber"),
    ("US", "RE45,678", "notAnApplicationNumber"),
    ("US", "D812,345", "notAnApplicationNumber"),
    ("US", "PP30,123", "notAnApplicationNumber"),
    ("US", "US 10123456 B2", "notAnApplicationNumber"),
    ("US", "50/123,456", "unknownSeries"),
    ("US", "01/123,456", "unknownSeries"),
    ("US", "64/123,456", "unknownSeries"),
    ("US", "20/123,456", "unknownSeries"),
    ("US", "99123456", "unknownSeries"),
    ("US", "123,456", "ambiguousNumber"),
    ("US", "123456", "ambiguousNumber"),
    ("US", "1612345", "badLength"),
    ("US", "161234567", "badLength"),
    ("US", "16/000,000", "badFormat"),
    ("US", "US 201816123456 P", "badFormat"),
    ("US", "US 201862649118 F", "badFormat"),
    ("US", "US 180062649118 P", "implausibleYear"),
    ("US", "EP99403122", "officeMismatch"),
    ("US", "WO 2004/123456", "officeMismatch"),
    ("US", "16/123,45x", "badCharacter"),
    ("US", "16/123;456", "badCharacter"),
    # JP
    ("JP", "5-123456", "ambiguousNumber"),
    ("JP", "11-123456", "ambiguousNumber"),
    ("JP", "1-000001", "ambiguousNumber"),
    ("JP", "99-123456", "implausibleYear"),
    ("JP", "S65-123456", "implausibleYear"),
    ("JP", "H32-123456", "implausibleYear"),
    ("JP", "S0-123456", "implausibleYear"),
    ("JP", "1900-123456", "implausibleYear"),
    ("JP", "2099-123456", "implausibleYear"),
    ("JP", "実願2017-001234", "unknownSeries"),
    ("JP", "意願2017-001234", "unknownSeries"),
    ("JP", "商願2017-001234", "unknownSeries"),
    ("JP", "特開2019-095759", "notAnApplicationNumber"),
    ("JP", "特表2019-512345", "notAnApplicationNumber"),
    ("JP", "特許第6123456号", "notAnApplicationNumber"),
    ("JP", "JP 2019-095759 A", "notAnApplicationNumber"),
    ("JP", "2017-000000", "badFormat"),
    ("JP", "2017-1870961", "badLength"),
    ("JP", "20171870", "ambiguousNumber"),
    ("JP", "57233998", "ambiguousNumber"),
    ("JP", "201718709", "badLength"),
    ("JP", "KR 10-2005-0078345", "officeMismatch"),
    ("JP", "2017年187096", "badCharacter"),
    ("JP", "JP-27256688-A", "legacyForm"),
    ("JP", "JP 2006147056 B", "notAnApplicationNumber"),
    ("JP", "JP 2006147056 U", "unknownSeries"),
    ("JP", "JP20051505120", "badLength"),
    # US database forms that dropped the series code (docs/domain.md#numbers-as-databases-print-them: refused by name)
    ("US", "US 18314305 A", "legacyForm"),
    ("US", "US-87124404-A", "legacyForm"),
    ("US", "US 16123456 A", "legacyForm"),
    ("US", "US19970921321", "legacyForm"),
    ("US", "US20070964952", "legacyForm"),
    ("US", "US20020396363P", "legacyForm"),
    ("US", "2002 396363", "legacyForm"),
    ("US", "US 2019056674 X", "badCharacter"),
    ("US", "US 2019056674 W1", "notAnApplicationNumber"),
    # CN
    ("CN", "201710601862.4", "checkDigitMismatch"),
    ("CN", "2017106018624", "checkDigitMismatch"),
    ("CN", "202120322383.1", "checkDigitMismatch"),
    ("CN", "95115608.1", "checkDigitMismatch"),
    ("CN", "201740601862", "unknownSeries"),
    ("CN", "201750601862.3", "unknownSeries"),
    ("CN", "95415608", "unknownSeries"),
    ("CN", "200110601862", "implausibleYear"),
    ("CN", "203010601862", "implausibleYear"),
    ("CN", "80115608", "implausibleYear"),
    ("CN", "CN 107123456 A", "notAnApplicationNumber"),
    ("CN", "CN107123456B", "notAnApplicationNumber"),
    ("CN", "CN 207123456 U", "notAnApplicationNumber"),
    ("CN", "2017106018", "badLength"),
    ("CN", "20171060186212", "badLength"),
    ("CN", "2017106018Y2.3", "badCharacter"),
    ("CN", "JP2017-187096", "officeMismatch"),
    ("CN", "CN 202120322383 A", "badFormat"),
    ("CN", "CN-201710601862-U", "badFormat"),
    ("CN", "CN 201710601862 A1", "notAnApplicationNumber"),
    # KR
    ("KR", "50-2005-0078345", "unknownSeries"),
    ("KR", "11-2005-0078345", "unknownSeries"),
    ("KR", "5020050078345", "unknownSeries"),
    ("KR", "10-1900-0078345", "implausibleYear"),
    ("KR", "10-2099-0078345", "implausibleYear"),
    ("KR", "05-123456", "implausibleYear"),
    ("KR", "10-2005-0000000", "badFormat"),
    ("KR", "1998-1234567", "badFormat"),
    ("KR", "2005012345", "badLength"),
    ("KR", "10200500783", "implausibleYear"),
    ("KR", "123456789012345", "badLength"),
    # docs/domain.md#numbers-as-databases-print-them: a DOCDB application kind is accepted on the run-together form;
    # after the hyphenated form a kind letter is how publications are cited.
    ("KR", "KR 10-2005-0078345 A", "notAnApplicationNumber"),
    ("KR", "1020050078345 U", "badFormat"),
    ("KR", "KR 10-2005-0078345 B1", "notAnApplicationNumber"),
    ("KR", "CN 201710601862.3", "officeMismatch"),
    ("KR", "10_2005_0078345", "badCharacter"),
    # DE
    ("DE", "10 2007 004 488.8", "checkDigitMismatch"),
    ("DE", "1020070044880", "checkDigitMismatch"),
    ("DE", "31 30 619.4", "checkDigitMismatch"),
    ("DE", "31306194", "checkDigitMismatch"),
    ("DE", "50 2007 004 488", "unknownSeries"),
    ("DE", "12 2007 004 488", "unknownSeries"),
    ("DE", "500 12 345.1", "unknownSeries"),
    ("DE", "10 2003 004 488", "implausibleYear"),
    ("DE", "10 2099 004 488", "implausibleYear"),
    ("DE", "DE 10 2007 004 488 A1", "notAnApplicationNumber"),
    ("DE", "DE 31 30 619 C2", "notAnApplicationNumber"),
    ("DE", "123456", "badLength"),
    ("DE", "10 2007 004 48", "badLength"),
    ("DE", "EP 99 403 122.7", "officeMismatch"),
    ("DE", "10 2007 004 4§8.9", "badCharacter"),
    ("DE", "DE 102005012345 U", "badFormat"),
    ("DE", "DE 202005012345 A", "badFormat"),
    ("DE", "DE 69905327 T", "unknownSeries"),
    ("DE", "DE 60 2004 012 345", "unknownSeries"),
    # GB
    ("GB", "GB 2 123 456 A", "notAnApplicationNumber"),
    ("GB", "121778", "badLength"),
    ("GB", "121778201", "badLength"),
    ("GB", "5012345", "implausibleYear"),
    ("GB", "1200000", "badFormat"),
    ("GB", "FR 1914349", "officeMismatch"),
    ("GB", "1217782.0.1", "badLength"),
    ("GB", "12177*2", "badCharacter"),
    ("GB", "GB20231006615", "badFormat"),
    ("GB", "GB 2306615 B", "notAnApplicationNumber"),
    ("GB", "GB19770012345", "implausibleYear"),
    # FR
    ("FR", "FR 2 123 456 A1", "notAnApplicationNumber"),
    ("FR", "191434", "badLength"),
    ("FR", "19143490", "badLength"),
    ("FR", "5014349", "implausibleYear"),
    ("FR", "1900000", "badFormat"),
    ("FR", "GB 1217782.0", "officeMismatch"),
    ("FR", "19 14349 bis", "badCharacter"),
    ("FR", "FR20190114349", "badFormat"),
    ("FR", "FR 19 14349 A", "notAnApplicationNumber"),
    # WO
    ("WO", "WO 2004/123456", "notAnApplicationNumber"),
    ("WO", "WO2004123456", "notAnApplicationNumber"),
    ("WO", "WO 2004/123456 A1", "notAnApplicationNumber"),
    ("WO", "PCT/WO2015/027322", "badFormat"),
    ("WO", "PCT/XX2015/027322", "badFormat"),
    ("WO", "PCT/QM2015/027322", "badFormat"),
    ("WO", "PCT/US2015/000000", "badFormat"),
    ("WO", "PCT/US2015/0273221", "badFormat"),
    ("WO", "PCT/US1977/027322", "implausibleYear"),
    ("WO", "PCT/US2099/027322", "implausibleYear"),
    ("WO", "PCT/US50/27322", "implausibleYear"),
    ("WO", "PCT/2015/027322", "badFormat"),
    ("WO", "PCT", "badFormat"),
    ("US", "US 201905667 W", "badLength"),
    ("EP", "US 2019056674 W", "officeMismatch"),
    ("EP", "PCT/US2015/027322", "officeMismatch"),
    ("JP", "PCT/US2015/027322", "officeMismatch"),
    ("AT", "PCT/US2015/027322", "officeMismatch"),
    # generic
    ("AT", "A 123/2019#", "badCharacter"),
    ("AT", "ABC", "badFormat"),
    ("AT", "AT", "badLength"),
    ("AT", "1" * 33, "badLength"),
    ("CH", "CH-01234/12 ✓", "badCharacter"),
    ("IN", "201811012345 ☃", "badCharacter"),
    # any office: empty, whitespace, too long
    ("EP", "", "badLength"),
    ("US", "   ", "badLength"),
    ("JP", "\u3000", "badLength"),
    ("CN", "1" * 101, "badLength"),
    ("KR", "x" * 10_000, "badLength"),
    ("AT", "", "badLength"),
    ("WO", "\n\t", "badLength"),
]


@pytest.mark.parametrize(("office", "given", "reason"), MALFORMED)
def test_malformed_number_is_refused_with_its_reason_code(office: str, given: str, reason: str) -> None:
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize(office, given)
    assert caught.value.code == reason, caught.value.message
    message = caught.value.message
    assert message and "\n" not in message and len(message) < 300


def test_at_least_a_hundred_malformed_inputs_are_covered() -> None:
    assert len(MALFORMED) >= 100
    assert len({code for _, _, code in MALFORMED}) >= 9


def test_ep_check_digit_mismatch_is_refused() -> None:
    with pytest.raises(InvalidApplicationNumber, match="check digit of 99403122 is 7"):
        canonical("EP", "EP 99 403 122.8")


def test_a_publication_number_is_not_an_application_number() -> None:
    for office, number in [("US", "US 2019/0095759 A1"), ("WO", "WO 2004/123456"), ("EP", "EP 1 234 567 A1")]:
        with pytest.raises(InvalidApplicationNumber) as caught:
            canonical(office, number)
        assert caught.value.code == "notAnApplicationNumber"


def test_a_bad_office_is_an_office_error_not_a_number_error() -> None:
    with pytest.raises(InvalidOfficeCode):
        canonical("XX", "16/123,456")
    with pytest.raises(InvalidOfficeCode):
        canonical("QM", "1234")


def test_non_text_number_is_refused_not_crashed() -> None:
    with pytest.raises(InvalidApplicationNumber):
        canonical("EP", 99403122)  # type: ignore[arg-type]
    with pytest.raises(InvalidApplicationNumber):
        canonical("EP", None)  # type: ignore[arg-type]


def test_error_message_quotes_a_long_input_only_in_part() -> None:
    with pytest.raises(InvalidApplicationNumber) as caught:
        canonical("AT", "1" * 60)
    assert "1" * 60 not in caught.value.message
