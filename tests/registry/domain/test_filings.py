"""Rules of registry.domain.filings that no other module's tests cover: a report's date against its filing (R15)."""

from __future__ import annotations

import datetime as dt

import pytest

from registry import errors
from registry.domain.filings import check_report_issued

FILED = dt.date(2017, 9, 27)


def test_a_report_issued_on_or_after_the_filing_date_is_taken() -> None:
    assert check_report_issued(FILED, FILED) == FILED
    assert check_report_issued(dt.date(2018, 3, 1), FILED) == dt.date(2018, 3, 1)


def test_a_report_issued_before_the_filing_date_is_refused_at_issued_naming_both_days() -> None:
    with pytest.raises(errors.ReportBeforeFiling) as refused:
        check_report_issued(dt.date(2017, 9, 26), FILED)
    assert isinstance(refused.value, errors.InvalidInput)
    assert (refused.value.code, refused.value.target) == ("reportBeforeFiling", "issued")
    assert "2017-09-26" in refused.value.message and "2017-09-27" in refused.value.message
