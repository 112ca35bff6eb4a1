"""docs/spec/commitments.md#whose-record-counts, written once (registry.domain.pct): who may anchor a PCT number is also
whose record counts for it. Two copies of this rule once disagreed about the IB: anchoring accepted a
record by ``IB``, the service's reads did not count it."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

from registry import errors
from registry.domain import pct
from registry.domain.filings import FilingInput, claim_office, prepare_filing
from registry.domain.numbers import NormalizedNumber, normalize
from registry.domain.pct import IB_OFFICES, judged_offices, may_anchor
from registry.domain.types import IpRightKind

RECEIVED_BY_US = normalize("WO", "PCT/US2019/012345")
RECEIVED_BY_IB = normalize("WO", "PCT/IB2019/050123")
NATIONAL = normalize("JP", "2017-187096")


@pytest.mark.parametrize(
    ("office", "number", "allowed"),
    [
        ("US", RECEIVED_BY_US, True),  # the receiving Office named in the number
        ("WO", RECEIVED_BY_US, True),  # the IB under WIPO's record-office code
        ("IB", RECEIVED_BY_US, True),  # the IB under its receiving-office code: where the copies disagreed
        ("EP", RECEIVED_BY_US, False),  # any other office
        ("JP", RECEIVED_BY_US, False),
        ("IB", RECEIVED_BY_IB, True),
        ("WO", RECEIVED_BY_IB, True),
        ("US", RECEIVED_BY_IB, False),
        ("JP", NATIONAL, True),
        ("WO", NATIONAL, False),  # the IB anchors PCT applications only
        ("IB", NATIONAL, False),
    ],
)
def test_who_may_anchor_a_number_is_whose_record_counts_for_it(
    office: str, number: NormalizedNumber, allowed: bool
) -> None:
    assert may_anchor(office, number) is allowed


def test_anchoring_follows_the_rule_for_the_ib() -> None:
    """The anchoring path (prepare_filing) and the rule agree: IB may, EP may not."""
    filing = FilingInput("PCT/US2019/012345", dt.date(2019, 1, 10), IpRightKind.PATENT)
    assert prepare_filing("IB", filing).number == RECEIVED_BY_US
    assert prepare_filing("US", filing).office == "WO"
    with pytest.raises(errors.InvalidApplicationNumber) as refused:
        prepare_filing("EP", filing)
    assert refused.value.code == "officeMismatch"  # the service answers it as 403 (tests/api/test_pct_records.py)


def test_a_claim_on_a_pct_number_is_judged_on_the_receiving_office_then_the_ib() -> None:
    assert judged_offices(RECEIVED_BY_US) == ("US", *IB_OFFICES)
    assert judged_offices(RECEIVED_BY_IB) == IB_OFFICES
    assert judged_offices(NATIONAL) == ("JP",)
    assert claim_office(RECEIVED_BY_US) == "US"
    assert claim_office(RECEIVED_BY_IB) == "WO"
    assert claim_office(NATIONAL) == "JP"


def test_every_judged_office_may_anchor_the_number() -> None:
    """The two names of the rule cannot drift: a record judged for a number is one that counts."""
    for number in (RECEIVED_BY_US, RECEIVED_BY_IB, NATIONAL):
        assert all(may_anchor(office, number) for office in judged_offices(number))


def test_the_module_docstring_examples_hold() -> None:
    result = doctest.testmod(pct)
    assert result.attempted >= 3 and result.failed == 0
