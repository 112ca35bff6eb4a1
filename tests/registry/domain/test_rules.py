"""The verdict engine: periods, kinds, restoration, first application, multiple priorities
(docs/spec/priority-rules.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.calendar import OfficeCalendar, default_calendar
from registry.domain.rules import (
    CHECK_CLOSING_DAYS_KNOWN,
    CHECK_CONTINUATION_IN_PART,
    CHECK_FILING_DATE_MATCHES,
    CHECK_FIRST_APPLICATION,
    CHECK_KIND_COMPATIBLE,
    CHECK_LATER_AFTER_EARLIER,
    CHECK_REGISTERED,
    CHECK_RESTORATION_ROUTE_KNOWN,
    CHECK_WITHIN_PRIORITY_PERIOD,
    CHECK_WITHIN_RESTORATION_PERIOD,
    KindCompatibility,
    LaterApplication,
    PriorityClaim,
    RegisteredApplication,
    Severity,
    Verdict,
    Verification,
    add_months,
    check_claim_set,
    correction_deadline,
    earliest_priority_date,
    kind_compatibility,
    priority_document_deadline,
    priority_period_end,
    restoration_period_end,
    verdict_from_checks,
    verify_claim,
)
from registry.domain.types import IpRightKind
from registry.errors import InvalidClaim, InvalidDate, InvalidInput
from registry.service.answers import VerificationOut

D = dt.date.fromisoformat
PATENT, UM, DESIGN, TM = (
    IpRightKind.PATENT,
    IpRightKind.UTILITY_MODEL,
    IpRightKind.DESIGN,
    IpRightKind.TRADEMARK,
)
WEEKENDS = OfficeCalendar()
COMMITMENT = "0x" + "5a" * 32


def answer(v: Verification) -> dict[str, Any]:
    """The verification as docs/api.md#verifying-a-claim writes it (the verdict engine's objects are plain data)."""
    return VerificationOut.of(v).body()


def registered(
    filing_date: str,
    kind: IpRightKind = PATENT,
    *,
    office: str = "EP",
    claims: tuple[str, ...] = (),
    version: int = 1,
) -> RegisteredApplication:
    return RegisteredApplication(COMMITMENT, office, D(filing_date), kind, version, tuple(D(c) for c in claims))


def claim(filing_date: str, *, office: str = "EP", number: str = "EP23123456") -> PriorityClaim:
    return PriorityClaim(office, number, D(filing_date))


def later(
    filing_date: str, kind: IpRightKind = PATENT, *, office: str = "US", parent: str | None = None
) -> LaterApplication:
    return LaterApplication(office, D(filing_date), kind, None if parent is None else D(parent))


def verify(
    earlier: str,
    filed: str,
    *,
    earlier_kind: IpRightKind = PATENT,
    later_kind: IpRightKind = PATENT,
    calendar: OfficeCalendar = WEEKENDS,
) -> Verification:
    return verify_claim(claim(earlier), later(filed, later_kind), registered(earlier, earlier_kind), calendar)


# Checks that can only warn about what the calendar or the law does not ship (closingDaysKnown on the
# weekend-only calendar, restorationRouteKnown) are left out: they are tested on their own below.
_COVERAGE_WARNINGS = {CHECK_CLOSING_DAYS_KNOWN, CHECK_RESTORATION_ROUTE_KNOWN}


def failed(v: Verification) -> set[str]:
    return {c.name for c in v.checks if not c.passed and c.name not in _COVERAGE_WARNINGS}


def message(v: Verification, name: str) -> str:
    check = v.check(name)
    assert check is not None, f"{name} not listed"
    return check.message


# ---------------------------------------------------------------------------------------------
# Month arithmetic (PCT Rule 80.2, Paris 4C(2))


def test_exact_anniversary_counts_366_days_across_a_leap_year() -> None:
    end = add_months(D("2023-03-01"), 12)
    assert end == D("2024-03-01")
    assert (end - D("2023-03-01")).days == 366
    v = verify("2023-03-01", "2024-03-01")
    assert v.verdict is Verdict.VALID
    assert v.priority_period_end == D("2024-03-01")


def test_29_february_plus_twelve_months_is_28_february() -> None:
    assert add_months(D("2024-02-29"), 12) == D("2025-02-28")
    assert priority_period_end(D("2024-02-29"), PATENT, "US", WEEKENDS) == D("2025-02-28")


def test_31_august_plus_six_months_is_the_last_day_of_february() -> None:
    assert add_months(D("2023-08-31"), 6) == D("2024-02-29")
    assert add_months(D("2022-08-31"), 6) == D("2023-02-28")


def test_add_months_refuses_to_leave_the_calendar() -> None:
    with pytest.raises(InvalidDate):
        add_months(D("9999-06-01"), 12)


# ---------------------------------------------------------------------------------------------
# Closed days of the later office (Paris 4C(3), PCT Rule 80.5)


def test_deadline_on_a_saturday_is_extended_to_monday() -> None:
    # 2024-03-02 is a Saturday.
    assert priority_period_end(D("2023-03-02"), PATENT, "US", WEEKENDS) == D("2024-03-04")
    v = verify("2023-03-02", "2024-03-04")
    assert v.verdict is Verdict.VALID
    assert "moved from 2024-03-02" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)


def test_an_office_holiday_extends_the_deadline_further(tmp_path: Path) -> None:
    config = tmp_path / "holidays.json"
    config.write_text(json.dumps({"US": ["2024-03-04"], "EP": ["2024-03-05"]}), encoding="utf-8")
    calendar = OfficeCalendar.load(config)
    # Saturday, Sunday, then the US office's Monday holiday; the first office's (EP) holiday on
    # Tuesday does not count: only the later office's closed days move the period.
    assert priority_period_end(D("2023-03-02"), PATENT, "US", calendar) == D("2024-03-05")
    assert verify("2023-03-02", "2024-03-05", calendar=calendar).verdict is Verdict.VALID
    assert verify("2023-03-02", "2024-03-05").verdict is Verdict.RESTORABLE


# ---------------------------------------------------------------------------------------------
# Restoration (PCT Rule 26bis.3)


def test_one_day_late_is_restorable() -> None:
    v = verify("2023-03-06", "2024-03-07")
    assert v.verdict is Verdict.RESTORABLE
    assert v.priority_period_end == D("2024-03-06")
    assert v.restoration_period_end == D("2024-05-06")
    assert failed(v) == {CHECK_WITHIN_PRIORITY_PERIOD}
    assert "1 day after" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)
    # The later office is the USPTO: its rule and criterion, not the PCT's (docs/spec/priority-rules.md#rules-cited).
    assert "37 CFR 1.55(c)" in message(v, CHECK_WITHIN_RESTORATION_PERIOD)
    assert "unintentional" in message(v, CHECK_WITHIN_RESTORATION_PERIOD)
    assert answer(v)["verdict"] == "restorable"


def test_restoration_window_ending_on_a_weekend_is_moved_to_monday() -> None:
    # Period ends Tuesday 2024-02-06; two months later is Saturday 2024-04-06.
    end = restoration_period_end(D("2023-02-06"), PATENT, "US", WEEKENDS)
    assert end == D("2024-04-08")
    assert verify("2023-02-06", "2024-04-08").verdict is Verdict.RESTORABLE
    assert verify("2023-02-06", "2024-04-09").verdict is Verdict.INVALID


def test_two_months_and_a_day_late_is_invalid() -> None:
    v = verify("2023-03-06", "2024-05-07")
    assert v.verdict is Verdict.INVALID
    assert failed(v) == {CHECK_WITHIN_PRIORITY_PERIOD, CHECK_WITHIN_RESTORATION_PERIOD}
    assert "2024-05-06" in message(v, CHECK_WITHIN_RESTORATION_PERIOD)


def test_a_utility_model_has_the_same_restoration_window_as_a_patent() -> None:
    v = verify("2023-03-06", "2024-03-07", earlier_kind=PATENT, later_kind=UM)
    assert v.verdict is Verdict.RESTORABLE


# ---------------------------------------------------------------------------------------------
# Designs and trademarks: 6 months, no restoration (Paris 4C(1), 4E(1))


def test_a_design_is_valid_on_the_last_day_of_six_months_and_invalid_the_day_after() -> None:
    on_time = verify("2023-09-06", "2024-03-06", earlier_kind=DESIGN, later_kind=DESIGN)
    assert on_time.verdict is Verdict.VALID
    assert on_time.priority_period_end == D("2024-03-06")
    assert on_time.restoration_period_end is None

    late = verify("2023-09-06", "2024-03-07", earlier_kind=DESIGN, later_kind=DESIGN)
    assert late.verdict is Verdict.INVALID
    assert "no restoration" in message(late, CHECK_WITHIN_PRIORITY_PERIOD)
    assert answer(late)["restorationPeriodEnd"] is None


def test_a_design_claiming_a_utility_model_has_six_months_and_is_valid() -> None:
    v = verify("2023-09-06", "2024-03-06", earlier_kind=UM, later_kind=DESIGN)
    assert v.verdict is Verdict.VALID
    assert v.priority_period_end == D("2024-03-06")
    assert "4E(1)" in message(v, CHECK_KIND_COMPATIBLE)


def test_a_design_claiming_a_patent_is_a_warning_that_does_not_change_the_verdict() -> None:
    v = verify("2023-09-06", "2024-03-06", earlier_kind=PATENT, later_kind=DESIGN)
    check = v.check(CHECK_KIND_COMPATIBLE)
    assert check is not None
    assert not check.passed
    assert check.severity is Severity.WARNING
    assert "national law" in check.message
    assert v.verdict is Verdict.VALID


def test_a_trademark_claiming_a_patent_is_invalid() -> None:
    v = verify("2023-09-06", "2024-01-08", earlier_kind=PATENT, later_kind=TM)
    assert v.verdict is Verdict.INVALID
    assert failed(v) == {CHECK_KIND_COMPATIBLE}
    check = v.check(CHECK_KIND_COMPATIBLE)
    assert check is not None
    assert check.severity is Severity.ERROR


@pytest.mark.parametrize(
    ("later_kind", "earlier_kind", "expected"),
    [
        (PATENT, PATENT, KindCompatibility.ALLOWED),
        (PATENT, UM, KindCompatibility.ALLOWED),
        (UM, PATENT, KindCompatibility.ALLOWED),
        (UM, UM, KindCompatibility.ALLOWED),
        (DESIGN, DESIGN, KindCompatibility.ALLOWED),
        (DESIGN, UM, KindCompatibility.ALLOWED),
        (DESIGN, PATENT, KindCompatibility.NATIONAL_LAW),
        (TM, TM, KindCompatibility.ALLOWED),
        (PATENT, DESIGN, KindCompatibility.REFUSED),
        (PATENT, TM, KindCompatibility.REFUSED),
        (UM, DESIGN, KindCompatibility.REFUSED),
        (UM, TM, KindCompatibility.REFUSED),
        (DESIGN, TM, KindCompatibility.REFUSED),
        (TM, PATENT, KindCompatibility.REFUSED),
        (TM, UM, KindCompatibility.REFUSED),
        (TM, DESIGN, KindCompatibility.REFUSED),
    ],
)
def test_kind_compatibility_follows_the_spec_table(
    later_kind: IpRightKind, earlier_kind: IpRightKind, expected: KindCompatibility
) -> None:
    assert kind_compatibility(later_kind, earlier_kind) is expected


# ---------------------------------------------------------------------------------------------
# Date, order, derived applications


def test_a_date_mismatch_is_invalid_and_names_the_registered_date() -> None:
    v = verify_claim(claim("2023-03-01"), later("2024-02-01"), registered("2023-03-02"), WEEKENDS)
    assert v.verdict is Verdict.INVALID
    assert CHECK_FILING_DATE_MATCHES in failed(v)
    text = message(v, CHECK_FILING_DATE_MATCHES)
    assert "2023-03-02" in text
    assert "2023-03-01" in text
    assert "26bis.1" in text


def test_a_later_application_filed_the_same_day_as_the_earlier_is_invalid() -> None:
    v = verify("2023-03-01", "2023-03-01")
    assert v.verdict is Verdict.INVALID
    assert failed(v) == {CHECK_LATER_AFTER_EARLIER}
    assert "same day" in message(v, CHECK_LATER_AFTER_EARLIER)


def test_a_later_application_filed_before_the_earlier_is_invalid() -> None:
    v = verify("2023-03-01", "2023-02-01")
    assert v.verdict is Verdict.INVALID
    assert CHECK_LATER_AFTER_EARLIER in failed(v)


def test_a_divisional_filed_years_later_is_judged_through_its_parent() -> None:
    divisional = later("2027-06-15", parent="2024-02-01")
    v = verify_claim(claim("2023-03-01"), divisional, registered("2023-03-01"), WEEKENDS)
    assert v.verdict is Verdict.VALID
    assert "filing date 2024-02-01 of the first application in its chain" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)
    # The same application without its parent would be years late.
    alone = verify_claim(claim("2023-03-01"), later("2027-06-15"), registered("2023-03-01"), WEEKENDS)
    assert alone.verdict is Verdict.INVALID


def test_a_parent_filed_after_its_divisional_is_refused_not_guessed() -> None:
    with pytest.raises(InvalidDate) as info:
        verify_claim(claim("2023-03-01"), later("2024-01-10", parent="2024-02-01"), registered("2023-03-01"), WEEKENDS)
    assert info.value.target == "later.parentFilingDate"


@pytest.mark.parametrize("placeholder", ["0001-01-01", "1900-01-01", "1970-01-01", "9999-12-31"])
def test_a_placeholder_priority_date_is_refused_with_a_clear_error(placeholder: str) -> None:
    with pytest.raises(InvalidDate, match="placeholder") as info:
        verify_claim(claim(placeholder), later("2024-01-10"), registered("2023-03-01"), WEEKENDS)
    assert info.value.code == "placeholderDate"
    assert info.value.target == "priority.filingDate"


def test_a_date_before_the_ledger_range_is_refused() -> None:
    with pytest.raises(InvalidDate, match="outside the filing dates"):
        verify_claim(claim("2023-03-01"), later("1969-07-20"), None, WEEKENDS)


def test_a_date_with_a_time_of_day_is_refused() -> None:
    with pytest.raises(InvalidDate):
        priority_period_end(dt.datetime(2023, 3, 1, 12, 0), PATENT, "US", WEEKENDS)


# ---------------------------------------------------------------------------------------------
# First application (Paris 4C(4))


def test_a_priority_application_that_is_not_a_first_filing_warns_and_names_the_earliest_date() -> None:
    record = registered("2023-03-01", claims=("2022-11-20", "2022-10-03"))
    v = verify_claim(claim("2023-03-01"), later("2024-02-01"), record, WEEKENDS)
    assert v.verdict is Verdict.VALID
    check = v.check(CHECK_FIRST_APPLICATION)
    assert check is not None
    assert not check.passed
    assert check.severity is Severity.WARNING
    assert "2022-10-03" in check.message
    assert "2022-11-20" not in check.message
    assert "35 USC 119(c)" in check.message  # the USPTO's own rule on a subsequent application


def test_an_impossible_date_in_the_ledgers_own_claims_still_gives_the_warning() -> None:
    record = registered("2023-03-01", claims=("9999-12-31",))
    v = verify_claim(claim("2023-03-01"), later("2024-02-01"), record, WEEKENDS)
    assert v.verdict is Verdict.VALID
    assert "9999-12-31" in message(v, CHECK_FIRST_APPLICATION)


def test_a_first_filing_passes_the_first_application_check() -> None:
    v = verify("2023-03-01", "2024-02-01")
    check = v.check(CHECK_FIRST_APPLICATION)
    assert check is not None
    assert check.passed


# ---------------------------------------------------------------------------------------------
# Not found, and the JSON answer (docs/api.md#verifying-a-claim)


def test_an_unregistered_claim_is_not_found_and_says_nothing_more() -> None:
    v = verify_claim(claim("2023-03-01"), later("2024-02-01"), None, WEEKENDS)
    assert v.verdict is Verdict.NOT_FOUND
    assert [c.name for c in v.checks] == [CHECK_REGISTERED]
    assert answer(v) == {
        "verdict": "notFound",
        "checks": [{"name": "registered", "passed": False, "severity": "error", "message": v.checks[0].message}],
        "priorityPeriodEnd": None,
        "restorationPeriodEnd": None,
        "registered": None,
        "restoration": None,
        "evidence": None,
    }


def test_a_record_of_another_office_answers_exactly_like_no_record() -> None:
    other_office = registered("2023-03-01", office="JP")
    a = verify_claim(claim("2023-03-01"), later("2024-02-01"), other_office, WEEKENDS)
    b = verify_claim(claim("2023-03-01"), later("2024-02-01"), None, WEEKENDS)
    assert answer(a) == answer(b)


def test_the_json_answer_has_exactly_the_api_shape() -> None:
    v = verify_claim(claim("2023-03-01"), later("2024-02-01"), registered("2023-03-01", version=3), WEEKENDS)
    data = answer(v)
    # evidence is the service's (docs/api.md#evidence): null for a verdict the rules alone reached.
    assert set(data) == {
        "verdict",
        "checks",
        "priorityPeriodEnd",
        "restorationPeriodEnd",
        "registered",
        "restoration",
        "evidence",
    }
    assert data["evidence"] is None
    assert data["verdict"] == "valid"
    assert data["priorityPeriodEnd"] == "2024-03-01"
    assert data["restorationPeriodEnd"] == "2024-05-01"
    assert data["registered"] == {
        "commitment": COMMITMENT,
        "ipOfficeCode": "EP",
        "filingDate": "2023-03-01",
        "ipRightKind": "patent",
        "version": 3,
    }
    names = [c["name"] for c in data["checks"]]
    for required in (
        "registered",
        "filingDateMatches",
        "ipRightKindCompatible",
        "withinPriorityPeriod",
        "firstApplication",
        "laterAfterEarlier",
    ):
        assert required in names
    for c in data["checks"]:
        assert set(c) == {"name", "passed", "severity", "message"}
        assert c["severity"] in {"error", "warning"}
    json.dumps(data)


def test_every_message_cites_a_rule() -> None:
    v = verify_claim(
        claim("2023-03-01"),
        later("2024-03-07", DESIGN),
        registered("2023-03-02", PATENT, claims=("2022-03-01",)),
        WEEKENDS,
    )
    for check in v.checks:
        assert any(src in check.message for src in ("Paris Convention", "PCT Rule", "35 USC", "37 CFR")), check


# ---------------------------------------------------------------------------------------------
# Multiple priorities (Paris 4F, EPC 88(2)) and the time limits from the earliest date


def test_multiple_priorities_are_judged_each_from_its_own_date_with_one_late() -> None:
    claims = [
        claim("2023-01-05", office="JP", number="JP2023000111"),
        claim("2023-03-06", office="EP", number="EP23123456"),
    ]
    result = check_claim_set(claims, later("2024-03-05"), WEEKENDS)
    first, second = result.claims
    # JP: 2024-01-05 has passed, but restoration runs to 2024-03-05 (Tuesday).
    assert first.verdict is Verdict.RESTORABLE
    assert first.priority_period_end == D("2024-01-05")
    assert second.verdict is Verdict.VALID
    assert second.priority_period_end == D("2024-03-06")
    assert not result.all_valid
    assert result.earliest_priority_date == D("2023-01-05")
    # 16 months from the earliest date falls on Sunday 2024-05-05 (PCT Rule 17.1(a), 80.5).
    assert result.priority_document_deadline == D("2024-05-06")
    # Rule 26bis.1(a): at least 4 months from the later filing date, which is later here.
    assert result.correction_deadline == D("2024-07-05")


def test_a_claim_beyond_restoration_in_a_set_is_invalid_and_does_not_affect_the_others() -> None:
    claims = [claim("2022-11-01", number="EP22000001"), claim("2023-06-01", number="EP23000002")]
    result = check_claim_set(claims, later("2024-03-05"), WEEKENDS)
    assert [t.verdict for t in result.claims] == [Verdict.INVALID, Verdict.VALID]


def test_the_correction_deadline_is_16_months_from_the_earliest_when_that_is_later() -> None:
    assert correction_deadline(D("2023-03-06"), D("2023-05-02"), "US", WEEKENDS) == D("2024-07-08")
    assert priority_document_deadline(D("2023-03-06"), "US", WEEKENDS) == D("2024-07-08")


def test_duplicate_claims_to_the_same_application_are_refused() -> None:
    claims = [claim("2023-03-06"), claim("2023-01-05", office="JP", number="JP1"), claim("2023-03-07")]
    with pytest.raises(InvalidClaim) as info:
        check_claim_set(claims, later("2024-03-05"), WEEKENDS)
    assert info.value.code == "duplicateClaim"
    assert info.value.target == "priorityClaims[2]"
    assert "EP23123456" in info.value.message


def test_the_same_number_at_two_offices_is_not_a_duplicate() -> None:
    claims = [claim("2023-03-06", office="EP", number="1"), claim("2023-03-06", office="GB", number="1")]
    assert len(check_claim_set(claims, later("2024-03-05"), WEEKENDS).claims) == 2


def test_an_empty_claim_set_has_no_priority_date() -> None:
    with pytest.raises(InvalidClaim) as info:
        earliest_priority_date([])
    assert info.value.code == "noClaims"


def test_a_placeholder_date_in_a_claim_set_is_refused_at_its_position() -> None:
    with pytest.raises(InvalidDate) as info:
        check_claim_set([claim("2023-03-06"), claim("0001-01-01", number="X")], later("2024-03-05"), WEEKENDS)
    assert info.value.target == "priorityClaims[1].filingDate"


# ---------------------------------------------------------------------------------------------
# Properties


dates = st.dates(dt.date(1971, 1, 1), dt.date(2200, 12, 31))
kinds = st.sampled_from(list(IpRightKind))
offices = st.sampled_from(["EP", "US", "JP"])
holiday_calendars = st.builds(
    lambda days: OfficeCalendar.from_mapping({"US": [d.isoformat() for d in days]}),
    st.lists(st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31)), max_size=80),
)


@given(a=dates, b=dates, n=st.integers(0, 48))
def test_add_months_is_monotone(a: dt.date, b: dt.date, n: int) -> None:
    lo, hi = min(a, b), max(a, b)
    assert add_months(lo, n) <= add_months(hi, n)


@given(day=dates, n=st.integers(0, 48))
def test_add_months_keeps_the_day_of_month_unless_the_month_is_shorter(day: dt.date, n: int) -> None:
    result = add_months(day, n)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == n
    assert result.day == day.day or (result.day < day.day and (result + dt.timedelta(days=1)).day == 1)


@given(day=st.dates(dt.date(2022, 1, 1), dt.date(2024, 12, 31)), kind=kinds, calendar=holiday_calendars)
def test_period_end_is_never_before_the_anniversary_nor_a_closed_day(
    day: dt.date, kind: IpRightKind, calendar: OfficeCalendar
) -> None:
    raw = add_months(day, 12 if kind in (PATENT, UM) else 6)
    end = priority_period_end(day, kind, "US", calendar)
    assert end >= raw
    assert not calendar.is_closed("US", end)
    restoration = restoration_period_end(day, kind, "US", calendar)
    if restoration is not None:
        assert restoration > end
        assert not calendar.is_closed("US", restoration)


@given(
    earlier=st.dates(dt.date(2020, 1, 1), dt.date(2024, 12, 31)),
    gap=st.integers(-30, 500),
    earlier_kind=kinds,
    later_kind=kinds,
    found=st.booleans(),
    prior=st.lists(st.dates(dt.date(2018, 1, 1), dt.date(2019, 12, 31)), max_size=2),
)
def test_verdicts_follow_from_registration_dates_and_checks(
    earlier: dt.date,
    gap: int,
    earlier_kind: IpRightKind,
    later_kind: IpRightKind,
    found: bool,
    prior: list[dt.date],
) -> None:
    record = RegisteredApplication(COMMITMENT, "EP", earlier, earlier_kind, 1, tuple(prior)) if found else None
    filed = earlier + dt.timedelta(days=gap)
    v = verify_claim(PriorityClaim("EP", "EP1", earlier), LaterApplication("US", filed, later_kind), record, WEEKENDS)
    assert (v.verdict is Verdict.NOT_FOUND) == (record is None)
    if record is None:
        return
    assert v.priority_period_end is not None
    if v.verdict is Verdict.VALID:
        assert earlier < filed <= v.priority_period_end
    if v.verdict is Verdict.RESTORABLE:
        assert v.restoration_period_end is not None
        assert v.priority_period_end < filed <= v.restoration_period_end
    # Warnings never change the verdict: the same claim without the prior claims judges the same.
    plain = verify_claim(
        PriorityClaim("EP", "EP1", earlier),
        LaterApplication("US", filed, later_kind),
        RegisteredApplication(COMMITMENT, "EP", earlier, earlier_kind, 1),
        WEEKENDS,
    )
    assert plain.verdict is v.verdict


# ---------------------------------------------------------------------------------------------
# Whose calendar and whose law (docs/spec/priority-rules.md#end-of-the-period, docs/api.md#verifying-a-claim): the
# shipped calendar


CAL = default_calendar()


def real(
    earlier: str,
    filed: str,
    office: str,
    *,
    number: str | None = None,
    kind: IpRightKind = PATENT,
    parent: str | None = None,
    relation: str | None = None,
    claims: tuple[str, ...] = (),
) -> Verification:
    later_app = LaterApplication.read(
        office,
        D(filed),
        kind,
        parent_filing_date=None if parent is None else D(parent),
        application_number=number,
        parent_relation=relation,
    )
    return verify_claim(
        claim(earlier, office="JP", number="JP2023050001"),
        later_app,
        registered(earlier, office="JP", claims=claims),
        CAL,
    )


def test_an_ep_period_ending_on_the_saturday_before_easter_monday_is_met_on_tuesday() -> None:
    # 12 months from 2023-03-30 end on Saturday 2024-03-30; Sunday, Easter Monday: Tuesday 2 April.
    v = real("2023-03-30", "2024-04-02", "EP")
    assert v.verdict is Verdict.VALID
    assert v.priority_period_end == D("2024-04-02")
    text = message(v, CHECK_WITHIN_PRIORITY_PERIOD)
    assert "EPC Rule 134(1)" in text and "EPC Art. 87(1)" in text
    assert "Paris Convention" not in text  # the EPO's own rules, cited once
    assert text.count("EPC Rule 134(1)") == 1


def test_an_ep_claim_filed_after_the_christmas_closure_is_valid_not_restorable() -> None:
    v = real("2023-12-27", "2025-01-02", "EP")
    assert v.verdict is Verdict.VALID
    assert v.priority_period_end == D("2025-01-02")
    assert "Christmas closure" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)
    # The restoration window is computed from the moved end: 2 March 2025 is a Sunday → 3 March.
    assert v.restoration_period_end == D("2025-03-03")


def test_an_ep_period_ending_on_whit_monday_runs_to_tuesday() -> None:
    assert real("2025-05-25", "2026-05-26", "EP").verdict is Verdict.VALID
    assert real("2025-05-25", "2026-05-27", "EP").verdict is Verdict.RESTORABLE


def test_a_jp_period_ending_in_the_year_end_closure_is_met_on_the_first_working_day() -> None:
    v = real("2024-12-29", "2026-01-05", "JP")
    assert v.verdict is Verdict.VALID
    assert "JP Patent Act Art. 3(2)" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)
    assert "JP Patent Act Art. 43bis(1)" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)
    assert v.check(CHECK_CLOSING_DAYS_KNOWN).passed  # type: ignore[union-attr]


def test_a_cn_period_across_the_spring_festival_ends_on_the_make_up_sunday() -> None:
    v = real("2023-02-10", "2024-02-18", "CN")
    assert v.verdict is Verdict.VALID and v.priority_period_end == D("2024-02-18")
    assert real("2023-02-10", "2024-02-19", "CN").verdict is Verdict.RESTORABLE


def test_a_kr_period_across_chuseok_and_hangul_day() -> None:
    assert real("2024-10-03", "2025-10-10", "KR").priority_period_end == D("2025-10-10")


@pytest.mark.parametrize(
    ("office", "number", "end", "calendar_office"),
    [
        # Good Friday 29 March 2024: the EPO (as RO) and the IB are closed until Tuesday 2 April; the
        # USPTO is open. The designated office named in ipOfficeCode does not matter.
        ("WO", "PCT/EP2024/012345", "2024-04-02", "receiving Office EP"),
        ("EP", "PCT/EP2024/012345", "2024-04-02", "receiving Office EP"),
        ("US", "PCT/IB2024/050001", "2024-04-02", "the International Bureau as receiving Office"),
        ("EP", "PCT/US2024/012345", "2024-03-29", "receiving Office US"),
        ("WO", "PCT/US24/12345", "2024-03-29", "receiving Office US"),
    ],
)
def test_a_pct_application_is_judged_on_its_receiving_offices_calendar(
    office: str, number: str, end: str, calendar_office: str
) -> None:
    v = real("2023-03-29", "2024-04-02", office, number=number)
    assert v.priority_period_end == D(end)
    assert v.verdict is (Verdict.VALID if end == "2024-04-02" else Verdict.RESTORABLE)
    assert all(
        "PCT" in c.message
        for c in v.checks
        if c.name != CHECK_REGISTERED and c.name != CHECK_FILING_DATE_MATCHES and c.name != CHECK_KIND_COMPATIBLE
    ), v.checks
    assert calendar_office in message(v, CHECK_WITHIN_PRIORITY_PERIOD) or end == "2024-03-29"


def test_a_wo_application_without_a_number_uses_the_ib_calendar_and_says_so() -> None:
    v = real("2023-03-29", "2024-04-02", "WO")
    assert v.priority_period_end == D("2024-04-02")
    known = v.check(CHECK_CLOSING_DAYS_KNOWN)
    assert known is not None and not known.passed and known.severity is Severity.WARNING
    assert "receiving Office was not given" in known.message


def test_a_national_later_number_changes_no_calendar_and_a_bad_one_is_refused() -> None:
    assert real("2023-03-29", "2024-04-02", "US", number="18/123,456").priority_period_end == D("2024-03-29")
    with pytest.raises(InvalidInput) as info:
        LaterApplication.read("US", D("2024-04-02"), PATENT, application_number="not a number")
    assert info.value.target == "later.applicationNumber"


def test_closing_days_known_passes_only_for_covered_years() -> None:
    assert real("2019-03-01", "2020-03-02", "EP").check(CHECK_CLOSING_DAYS_KNOWN).passed  # type: ignore[union-attr]
    gap = real("2025-03-03", "2026-03-03", "EP").check(CHECK_CLOSING_DAYS_KNOWN)
    assert gap is not None and not gap.passed and "2026" in gap.message
    assert real("2024-03-01", "2025-03-03", "DE").check(CHECK_CLOSING_DAYS_KNOWN).passed is False  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Restoration as each office grants it (docs/spec/priority-rules.md#restoration)


def test_the_epo_restores_on_due_care_and_the_request_is_due_within_the_window() -> None:
    v = real("2023-03-06", "2024-03-08", "EP")
    assert v.verdict is Verdict.RESTORABLE
    assert answer(v)["restoration"] == {
        "available": True,
        "criterion": "dueCare",
        "requestDeadline": "2024-05-06",
        "rule": v.restoration.rule,  # type: ignore[union-attr]
    }
    assert "Rule 136(1)" in v.restoration.rule  # type: ignore[union-attr]


def test_the_uspto_restores_unintentional_delay_and_the_petition_runs_with_the_priority_claim() -> None:
    v = real("2023-03-06", "2024-03-08", "US")
    assert v.restoration is not None and v.restoration.criterion == "unintentional"
    # 37 CFR 1.55(d): the later of 16 months from 2023-03-06 (2024-07-06, a Saturday → 8 July) and
    # 4 months from 2024-03-08.
    assert v.restoration.request_deadline == D("2024-07-08")
    assert v.restoration.request_deadline != v.restoration_period_end


def test_the_jpo_criterion_follows_the_later_filing_date() -> None:
    assert real("2023-03-06", "2024-03-08", "JP").restoration.criterion == "unintentional"  # type: ignore[union-attr]
    assert real("2020-03-06", "2021-03-09", "JP").restoration.criterion == "dueCare"  # type: ignore[union-attr]
    before = real("2013-03-06", "2014-03-10", "JP")
    assert before.restoration.available is False  # type: ignore[union-attr]
    assert before.verdict is Verdict.INVALID  # no route, so never "restorable"


def test_an_office_whose_law_is_unknown_gets_a_warning_not_a_guess() -> None:
    v = real("2023-03-06", "2024-03-08", "CN")
    assert v.verdict is Verdict.RESTORABLE
    assert v.restoration is not None and v.restoration.available is None and v.restoration.criterion is None
    route = v.check(CHECK_RESTORATION_ROUTE_KNOWN)
    assert route is not None and not route.passed and route.severity is Severity.WARNING


def test_a_pct_receiving_office_decides_restoration() -> None:
    v = real("2023-03-06", "2024-03-08", "WO", number="PCT/EP2024/012345")
    assert v.restoration is not None and v.restoration.criterion == "dueCare"
    assert "26bis.3" in v.restoration.rule
    assert v.restoration.request_deadline == v.restoration_period_end  # PCT Rule 26bis.3(e)
    ib = real("2023-03-06", "2024-03-08", "WO", number="PCT/IB2024/050001")
    assert ib.restoration.criterion == "unintentional"  # type: ignore[union-attr]


def test_designs_have_no_restoration_route() -> None:
    v = real("2023-09-06", "2024-03-08", "EP", kind=DESIGN)
    assert v.verdict is Verdict.INVALID
    assert v.restoration is not None and v.restoration.available is False


# ---------------------------------------------------------------------------------------------
# First application (Paris 4C(4)), chains of divisionals, continuations-in-part


def test_the_first_application_warning_says_what_follows_under_the_earlier_date() -> None:
    late = real("2023-03-01", "2024-02-01", "EP", claims=("2022-12-20",))
    text = message(late, CHECK_FIRST_APPLICATION)
    assert "2022-12-20" in text and "would then have ended on 2023-12-20" in text
    assert "late, restorable only on request by 2024-02-20" in text
    assert "EPC Art. 87(4)" in text
    beyond = message(real("2023-03-01", "2024-02-01", "EP", claims=("2022-10-03",)), CHECK_FIRST_APPLICATION)
    assert "late beyond restoration, hence invalid" in beyond
    fine = message(real("2023-03-01", "2024-02-01", "EP", claims=("2023-02-15",)), CHECK_FIRST_APPLICATION)
    assert "would still be in time" in fine


def test_a_chain_of_divisionals_is_judged_from_the_first_application_that_carried_the_claim() -> None:
    chain = LaterApplication.read("EP", D("2028-01-10"), PATENT, parent_filing_date=[D("2025-06-01"), D("2024-02-01")])
    assert chain.parent_filing_date == D("2024-02-01")
    v = verify_claim(claim("2023-03-01", office="JP"), chain, registered("2023-03-01", office="JP"), CAL)
    assert v.verdict is Verdict.VALID
    assert "EPC Art. 76(1)" in message(v, CHECK_WITHIN_PRIORITY_PERIOD)


def test_a_continuation_in_part_gets_a_warning_about_new_matter() -> None:
    v = real("2023-03-01", "2025-06-01", "US", parent="2024-02-01", relation="continuationInPart")
    assert v.verdict is Verdict.VALID
    cip = v.check(CHECK_CONTINUATION_IN_PART)
    assert cip is not None and not cip.passed and cip.severity is Severity.WARNING
    assert "cannot rest on this priority" in cip.message and "35 USC 120" in cip.message


@pytest.mark.parametrize("office", ["EP", "US", "JP", "CN", "KR", "DE", "GB", "FR", "EM", "WO", "AT"])
@pytest.mark.parametrize(
    ("filed", "kind"), [("2024-02-01", PATENT), ("2024-04-20", PATENT), ("2024-09-01", PATENT), ("2023-09-20", DESIGN)]
)
def test_closing_days_known_and_the_restoration_route_are_always_answered(
    office: str, filed: str, kind: IpRightKind
) -> None:
    # docs/spec/priority-rules.md#closing-days: closingDaysKnown is always among the checks, and the answer carries
    # restoration; both are warnings, so they never decide the verdict.
    earlier = "2023-03-20"
    v = real(earlier, filed, office, kind=kind)
    names = [c.name for c in v.checks]
    assert CHECK_CLOSING_DAYS_KNOWN in names and CHECK_RESTORATION_ROUTE_KNOWN in names
    assert v.restoration is not None
    without = [c for c in v.checks if c.name not in (CHECK_CLOSING_DAYS_KNOWN, CHECK_RESTORATION_ROUTE_KNOWN)]
    assert verdict_from_checks(without) is v.verdict or v.restoration.available is False
    for c in v.checks:
        assert c.message.count("(") == c.message.count(")"), c.message
