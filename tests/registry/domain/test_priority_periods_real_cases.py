"""Priority periods checked against real cases an examiner brings (docs/domain.md#priority-rules).

Each case names the rule it checks (Paris Convention Art. 4C(1)-(4), 4F; PCT Rules 80.2, 80.5,
26bis.3; EPC Rule 134(1); 35 USC 21(b) with 5 U.S.C. 6103; JP Patent Act Art. 3(2); Korean Patent
Act Art. 14(iv); the State Council's holiday schedules for CNIPA) and says in its docstring why the
expected date is right. Where the date is a public holiday, the test also asks the `holidays` package
(the source of the public holidays, docs/spec/priority-rules.md#closing-days) so that the premise is
checked, not only the conclusion. The office's own closures come from the sources named in
``registry/domain/data/CALENDARS.md``.
"""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from registry.domain.calendar import default_calendar
from registry.domain.rules import (
    CHECK_CLOSING_DAYS_KNOWN,
    CHECK_FIRST_APPLICATION,
    CHECK_WITHIN_PRIORITY_PERIOD,
    LaterApplication,
    PriorityClaim,
    RegisteredApplication,
    Verdict,
    Verification,
    check_claim_set,
    priority_period_end,
    restoration_period_end,
    verify_claim,
)
from registry.domain.types import IpRightKind
from registry.errors import InvalidClaim

D = dt.date.fromisoformat
PATENT, DESIGN = IpRightKind.PATENT, IpRightKind.DESIGN
CAL = default_calendar()
COMMITMENT = "0x" + "a5" * 32


def end(priority: str, office: str, kind: IpRightKind = PATENT) -> dt.date:
    """The moved last day of the priority period for a later application at ``office``."""
    return priority_period_end(D(priority), kind, office, CAL)


def window(priority: str, office: str) -> dt.date | None:
    """The moved last day of the restoration window (PCT Rule 26bis.3(a)) at ``office``."""
    return restoration_period_end(D(priority), PATENT, office, CAL)


def judge(
    priority: str,
    filed: str,
    office: str,
    *,
    kind: IpRightKind = PATENT,
    number: str | None = None,
    earlier_office: str = "US",
    earlier_claims: tuple[str, ...] = (),
) -> Verification:
    """A later application filed at ``office`` (or received under PCT ``number``) claiming an earlier one."""
    later = LaterApplication.read(office, D(filed), kind, application_number=number)
    registered = RegisteredApplication(
        COMMITMENT, earlier_office, D(priority), kind, 1, tuple(D(c) for c in earlier_claims)
    )
    return verify_claim(PriorityClaim(earlier_office, "18123456", D(priority)), later, registered, CAL)


def public_holiday(
    country: str, day: str, *, subdiv: str | None = None, categories: tuple[str, ...] = ("public",)
) -> str:
    """The name the `holidays` package gives ``day`` in ``country`` (empty when it is no holiday)."""
    date = D(day)
    table = holidays.country_holidays(country, subdiv=subdiv, years=date.year, categories=categories)
    return str(table.get(date, ""))


# ── Month arithmetic (Paris Art. 4C(2), PCT Rule 80.2) ──────────────────────────────────────


def test_a_design_first_filed_on_31_august_2023_ends_on_29_february_2024() -> None:
    """Paris 4C(1): 6 months for a design; 4C(2)/Rule 80.2: February 2024 has no 31st, so its last
    day, the 29th (2024 is a leap year), ends the period. A Thursday, the EUIPO is open. The day after
    is late, and a design has no restoration (docs/domain.md#5-restoration): invalid."""
    assert end("2023-08-31", "EM", DESIGN) == D("2024-02-29")
    assert judge("2023-08-31", "2024-02-29", "EM", kind=DESIGN).verdict is Verdict.VALID
    late = judge("2023-08-31", "2024-03-01", "EM", kind=DESIGN)
    assert late.verdict is Verdict.INVALID and late.restoration_period_end is None


def test_a_design_first_filed_on_31_august_2022_ends_on_28_february_2023() -> None:
    """Rule 80.2 in a common year: February 2023 ends on the 28th (a Tuesday, the EUIPO is open)."""
    assert end("2022-08-31", "EM", DESIGN) == D("2023-02-28")


def test_a_patent_first_filed_on_29_february_2024_ends_on_28_february_2025() -> None:
    """docs/domain.md#3-computing-the-end: 29 Feb 2024 + 12 months → 28 Feb 2025, a Friday the USPTO is
    open. The filing day is not counted (4C(2)), so the anniversary itself is in time. The window
    runs 2 months from that end (Rule 26bis.3(a) with Rule 80.2): 28 April 2025, a Monday."""
    assert end("2024-02-29", "US") == D("2025-02-28")
    assert window("2024-02-29", "US") == D("2025-04-28")
    assert judge("2024-02-29", "2025-02-28", "US").verdict is Verdict.VALID
    assert judge("2024-02-29", "2025-03-03", "US").verdict is Verdict.RESTORABLE


# ── USPTO: weekends and Federal holidays, also when they fall on a weekend (35 USC 21(b)) ─────


def test_new_years_day_2022_on_a_saturday_closes_the_uspto_on_friday_31_december_2021() -> None:
    """5 U.S.C. 6103(b)(1): a holiday on a Saturday is observed on the Friday before, so the USPTO
    was closed on Friday 31 December 2021 (a Federal holiday within the District of Columbia, 37 CFR
    1.7(a)); a period first filed on 31 December 2020 runs to Monday 3 January 2022."""
    assert "New Year's Day" in public_holiday("US", "2021-12-31")
    assert end("2020-12-31", "US") == D("2022-01-03")
    assert judge("2020-12-31", "2022-01-03", "US").verdict is Verdict.VALID


def test_a_period_ending_on_a_saturday_chains_past_sunday_and_the_observed_monday_holiday() -> None:
    """31 Dec 2022 is a Saturday; 1 January 2023 a Sunday, so New Year's Day is observed on Monday
    2 January (6103(b)(2)): the period runs to Tuesday 3 January 2023 (four days in a row closed)."""
    assert "New Year's Day" in public_holiday("US", "2023-01-02")
    assert end("2021-12-31", "US") == D("2023-01-03")


def test_independence_day_2021_on_a_sunday_chains_the_period_to_tuesday() -> None:
    """3 Jul 2021 Saturday, 4 Jul Sunday, Independence Day observed Monday 5 July: Tuesday 6 July."""
    assert "Independence Day" in public_holiday("US", "2021-07-05")
    assert end("2020-07-03", "US") == D("2021-07-06")


def test_juneteenth_2021_observed_on_friday_18_june_moves_the_period_to_monday() -> None:
    """Juneteenth became a legal public holiday on 17 June 2021; 19 June 2021 was a Saturday, so it
    was observed on Friday 18 June (6103(b)(1)): a period first filed on 18 June 2020 runs to 21 June."""
    assert "Juneteenth" in public_holiday("US", "2021-06-18")
    assert end("2020-06-18", "US") == D("2021-06-21")


def test_inauguration_day_2017_closes_the_uspto_in_alexandria() -> None:
    """5 U.S.C. 6103(c): Inauguration Day (Friday 20 January 2017) is a holiday in the District of
    Columbia area; the USPTO's operating-status notice of that day moved what was due to Monday 23
    January under 35 USC 21(b). The IB in Geneva is not closed that day (its own calendar)."""
    assert public_holiday("US", "2017-01-20", subdiv="DC") == "Inauguration Day"
    assert end("2016-01-20", "US") == D("2017-01-23")
    assert end("2016-01-20", "IB") == D("2017-01-20")


def test_the_national_day_of_mourning_for_president_carter_moves_the_period_by_a_day() -> None:
    """An executive order closed the federal departments on Thursday 9 January 2025, the National Day of
    Mourning for President Carter: a "Federal holiday within the District of Columbia" (MPEP 510)."""
    assert "Mourning" in public_holiday("US", "2025-01-09", categories=("government",))
    assert end("2024-01-09", "US") == D("2025-01-10")


def test_the_day_after_thanksgiving_is_a_working_day_at_the_uspto() -> None:
    """Thanksgiving 2023 was Thursday 23 November; Friday 24 November is no Federal holiday."""
    assert public_holiday("US", "2023-11-23") == "Thanksgiving Day"
    assert public_holiday("US", "2023-11-24", categories=("public", "government")) == ""
    assert end("2022-11-23", "US") == D("2023-11-24")


# ── USPTO: its own closures, each deemed a Federal holiday by a notice (35 USC 21(b), MPEP 510) ──


def test_hurricane_sandy_moves_a_period_ending_on_29_october_2012_to_31_october() -> None:
    """The USPTO's notice of 2 November 2012: Monday 29 and Tuesday 30 October 2012 (Hurricane Sandy)
    are Federal holidays within the District of Columbia (35 USC 21(b), 37 CFR 1.7(a)), so what was due
    on either day was timely on Wednesday 31 October. A first filing of Saturday 29 October 2011
    (Paris 4C(1)-(2): 12 months) ends on 29 October 2012 and runs to 31 October; a US application
    filed that day is in time. One filed on Thursday 1 November is late, and invalid: the USPTO
    restores a right of priority only from 18 December 2013 (37 CFR 1.55(c), PLTIA)."""
    assert end("2011-10-29", "US") == D("2012-10-31")
    assert end("2011-10-30", "US") == D("2012-10-31")
    valid = judge("2011-10-29", "2012-10-31", "US")
    assert valid.verdict is Verdict.VALID
    within = valid.check(CHECK_WITHIN_PRIORITY_PERIOD)
    assert within is not None and "moved from 2012-10-29" in within.message and "Hurricane Sandy" in within.message
    known = valid.check(CHECK_CLOSING_DAYS_KNOWN)
    assert known is not None and known.passed
    late = judge("2011-10-29", "2012-11-01", "US")
    assert late.verdict is Verdict.INVALID
    late_within = late.check(CHECK_WITHIN_PRIORITY_PERIOD)
    assert late_within is not None and "ended on 2012-10-31" in late_within.message


def test_the_snow_of_february_2010_chains_a_weekend_end_past_monday_and_tuesday() -> None:
    """First filing Friday 6 February 2009: 12 months end on Saturday 6 February 2010; Sunday follows,
    and the USPTO deemed Monday 8 and Tuesday 9 February 2010 (snow) Federal holidays, so the period
    runs to Wednesday 10 February 2010 (the next day open on the shipped data: no notice for 10-11
    February was found, CALENDARS.md). A first filing of Sunday 8 February 2009 runs there too."""
    assert end("2009-02-06", "US") == D("2010-02-10")
    assert end("2009-02-08", "US") == D("2010-02-10")
    assert judge("2009-02-06", "2010-02-10", "US").verdict is Verdict.VALID
    # Elsewhere the snow closed nothing: at the EPO the period ends on the Monday.
    assert end("2009-02-06", "EP") == D("2010-02-08")


def test_the_fire_of_10_october_2003_chains_with_the_weekend_and_columbus_day() -> None:
    """The USPTO's notice of 18 November 2003: the Customer Service Window was evacuated for a fire on
    Friday 10 October 2003 and the day is a Federal holiday under 35 USC 21; Saturday, Sunday and
    Columbus Day (Monday 13 October, 5 U.S.C. 6103(a)) follow, so the notice names Tuesday 14 October
    2003 as the day things were due. A period first filed on 10 October 2002 runs there."""
    assert public_holiday("US", "2003-10-13") == "Columbus Day"
    assert end("2002-10-10", "US") == D("2003-10-14")
    assert judge("2002-10-10", "2003-10-14", "US").verdict is Verdict.VALID


def test_11_september_2001_is_a_closing_day_although_the_uspto_opened_that_morning() -> None:
    """The USPTO closed at about 10:30 a.m. on 11 September 2001 by order of OPM and, as an exception
    to the rule that a partial-day closure does not count (MPEP 510), considered the day a Federal
    holiday under 35 USC 21(b): a period first filed on 11 September 2000 runs to Wednesday 12
    September 2001."""
    assert end("2000-09-11", "US") == D("2001-09-12")


def test_the_power_outage_of_december_2015_runs_a_period_to_monday_28_december() -> None:
    """The USPTO's notice of 23 December 2015: each day from Tuesday 22 to Thursday 24 December 2015 is
    a Federal holiday (the outage of the 22nd shut down filing and payment systems); Friday 25 is
    Christmas Day, then the weekend: a period first filed on 22 December 2014 runs to Monday 28
    December 2015 at the USPTO, for a PCT application received by RO/US as well (PCT Rule 80.5). The
    outage did not close the IB in Geneva: an application received there on 28 December is late."""
    assert end("2014-12-22", "US") == D("2015-12-28")
    assert end("2014-12-24", "US") == D("2015-12-28")
    assert judge("2014-12-22", "2015-12-28", "US").verdict is Verdict.VALID
    assert judge("2014-12-22", "2015-12-28", "WO", number="PCT/US2015/067001").verdict is Verdict.VALID
    assert end("2014-12-22", "IB") == D("2015-12-22")
    assert judge("2014-12-22", "2015-12-28", "WO", number="PCT/IB2015/059001").verdict is Verdict.RESTORABLE


def test_a_design_period_ending_on_21_march_2018_runs_to_22_march() -> None:
    """Paris 4C(1): 6 months for a design. First filed on 21 September 2017, the period ends on
    Wednesday 21 March 2018, a day the USPTO deemed a Federal holiday (notice, 1505 CNOG 62): a US
    design application filed on Thursday 22 March 2018 is in time."""
    assert end("2017-09-21", "US", DESIGN) == D("2018-03-22")
    assert judge("2017-09-21", "2018-03-22", "US", kind=DESIGN).verdict is Verdict.VALID


def test_a_restoration_window_ending_on_a_uspto_closure_runs_to_the_next_day() -> None:
    """First filing Sunday 5 January 2014: the period ends on Monday 5 January 2015 (the USPTO open);
    the window 2 months later (Rule 26bis.3(a), 37 CFR 1.55(c)) ends on Thursday 5 March 2015, a day
    the USPTO deemed a Federal holiday (notice, 1445 CNOG 47), so it runs to Friday 6 March 2015: a
    US application filed that day is restorable (unintentional), one filed on Monday 9 March invalid."""
    assert end("2014-01-05", "US") == D("2015-01-05")
    assert window("2014-01-05", "US") == D("2015-03-06")
    restorable = judge("2014-01-05", "2015-03-06", "US")
    assert restorable.verdict is Verdict.RESTORABLE
    assert restorable.restoration is not None and restorable.restoration.criterion == "unintentional"
    assert judge("2014-01-05", "2015-03-09", "US").verdict is Verdict.INVALID


# ── JPO: national holidays and 29 December – 3 January (JP Patent Act Art. 3(2)) ─────────────


def test_the_2019_golden_week_closed_the_jpo_for_ten_days_in_a_row() -> None:
    """27 Apr 2019 (Sat) to 6 May: weekend, Showa Day, the national holidays of 30 Apr and 2 May
    (Act on National Holidays Art. 3(3)), the Enthronement of 1 May, Constitution, Greenery and
    Children's Days and the substitute holiday of 6 May. A period first filed on 27 April 2018 runs
    to Tuesday 7 May 2019; a later application filed that day is in time."""
    for day in ("2019-04-29", "2019-04-30", "2019-05-01", "2019-05-02", "2019-05-03", "2019-05-06"):
        assert public_holiday("JP", day), day
    assert end("2018-04-27", "JP") == D("2019-05-07")
    assert judge("2018-04-27", "2019-05-07", "JP").verdict is Verdict.VALID


def test_a_period_ending_on_saturday_28_december_2024_runs_through_the_year_end_closure() -> None:
    """28 Dec 2024 is a Saturday; 29 Dec - 3 Jan are closed by the Act on Holidays of Administrative
    Organs Art. 1(1)(iii); 4-5 Jan 2025 are a weekend: Monday 6 January 2025. A JP application filed
    then is in time, and one filed later is restorable on the criterion in force since 1 April 2023
    (unintentional, JP Patent Act Art. 43bis(1))."""
    assert end("2023-12-28", "JP") == D("2025-01-06")
    assert judge("2023-12-28", "2025-01-06", "JP").verdict is Verdict.VALID
    late = judge("2023-12-28", "2025-01-07", "JP")
    assert late.verdict is Verdict.RESTORABLE
    assert late.restoration is not None and late.restoration.criterion == "unintentional"


# ── CNIPA: the State Council's schedules with their make-up working days ─────────────────────


def test_the_national_day_golden_week_2024_moves_the_period_to_8_october() -> None:
    """State Council notice for 2024: 1-7 October off, Sunday 29 September and Saturday 12 October
    worked. A period first filed on 1 October 2023 runs to Tuesday 8 October 2024."""
    assert public_holiday("CN", "2024-10-01") == "National Day"
    assert end("2023-10-01", "CN") == D("2024-10-08")


def test_a_make_up_working_saturday_is_an_open_day_at_cnipa() -> None:
    """Saturday 12 October 2024 was a working day (the 2024 notice), so a period ending that day
    is not extended; an ordinary Saturday is (Saturday 19 October → Monday 21 October)."""
    assert D("2024-10-12") in holidays.country_holidays("CN", years=2024).weekend_workdays
    assert end("2023-10-12", "CN") == D("2024-10-12")
    assert end("2023-10-19", "CN") == D("2024-10-21")


def test_the_2023_mid_autumn_and_national_day_holiday_ends_on_a_working_saturday() -> None:
    """29 September - 6 October 2023 off, Saturday 7 and Sunday 8 October worked (State Council
    notice for 2023): a period ending on Saturday 30 September 2023 runs to Saturday 7 October."""
    assert public_holiday("CN", "2023-09-29") == "Mid-Autumn Festival"
    assert end("2022-09-30", "CN") == D("2023-10-07")


def test_the_2025_spring_festival_and_its_make_up_sunday() -> None:
    """2025 notice: 28 January - 4 February off, Sunday 26 January worked. 28 Jan → 5 February;
    Sunday 26 January is not extended."""
    assert end("2024-01-28", "CN") == D("2025-02-05")
    assert end("2024-01-26", "CN") == D("2025-01-26")


# ── KIPO: public, substitute and temporary holidays, Workers' Day (Patent Act Art. 14(iv)) ───


def test_chuseok_2023_a_temporary_holiday_and_foundation_day_chain_to_4_october() -> None:
    """28-30 September 2023 Chuseok, 1 October a Sunday, 2 October the temporary public holiday,
    3 October National Foundation Day: a period first filed on 28 September 2022 runs to 4 October."""
    assert public_holiday("KR", "2023-10-02")
    assert public_holiday("KR", "2023-10-03") == "National Foundation Day"
    assert end("2022-09-28", "KR") == D("2023-10-04")


def test_seollal_2024_with_its_alternative_holiday_moves_the_period_to_13_february() -> None:
    """9 Feb 2024 the day before Seollal, 10 Feb Seollal (a Saturday), 11 Feb Sunday and 12 Feb
    the alternative holiday: Tuesday 13 February."""
    assert public_holiday("KR", "2024-02-12")
    assert end("2023-02-09", "KR") == D("2024-02-13")


def test_workers_day_closes_kipo_though_it_is_not_a_public_holiday() -> None:
    """Korean Patent Act Art. 14(iv) names Workers' Day (1 May) beside the public holidays and
    Saturdays: a period ending on Wednesday 1 May 2024 runs to Thursday 2 May."""
    assert public_holiday("KR", "2024-05-01") == ""
    assert public_holiday("KR", "2024-05-01", categories=("bank",)) == "Workers' Day"
    assert end("2023-05-01", "KR") == D("2024-05-02")


# ── EPO: Munich, The Hague and Berlin together (EPC Rule 134(1)) ─────────────────────────────


def test_womens_day_in_berlin_alone_closes_the_epo() -> None:
    """8 March 2023 is a public holiday in Berlin only (not in Bavaria nor the Netherlands); under
    EPC Rule 134(1) a day on which *any* filing office is closed extends: Thursday 9 March 2023. It
    is in the EPO's own 2023 list, a year the calendar covers."""
    assert public_holiday("DE", "2023-03-08", subdiv="BE")
    assert not public_holiday("DE", "2023-03-08", subdiv="BY") and not public_holiday("NL", "2023-03-08")
    assert end("2022-03-08", "EP") == D("2023-03-09")
    known = judge("2022-03-08", "2023-03-09", "EP").check(CHECK_CLOSING_DAYS_KNOWN)
    assert known is not None and known.passed


def test_kings_day_in_the_hague_alone_closes_the_epo() -> None:
    """27 April 2022 is King's Day in the Netherlands only: Thursday 28 April 2022. 2022's notice is
    not shipped, so the answer also warns that the end may be later (closingDaysKnown)."""
    assert public_holiday("NL", "2022-04-27")
    assert end("2021-04-27", "EP") == D("2022-04-28")
    known = judge("2021-04-27", "2022-04-28", "EP").check(CHECK_CLOSING_DAYS_KNOWN)
    assert known is not None and not known.passed


def test_a_restoration_window_ending_on_labour_day_runs_on_at_the_epo_but_not_at_the_uspto() -> None:
    """First filing 1 March 2023: the period ends Friday 1 March 2024 at both offices. The window is
    2 months from that end (Rule 26bis.3(a), EPC Rule 136(1)): Wednesday 1 May 2024, Labour Day in
    Munich and Berlin, so at the EPO it runs to 2 May; the USPTO is open on 1 May. A later
    application filed on 2 May 2024 is restorable (due care) at the EPO and invalid at the USPTO."""
    assert public_holiday("DE", "2024-05-01", subdiv="BY") and not public_holiday("US", "2024-05-01")
    assert window("2023-03-01", "EP") == D("2024-05-02")
    assert window("2023-03-01", "US") == D("2024-05-01")
    ep = judge("2023-03-01", "2024-05-02", "EP")
    assert ep.verdict is Verdict.RESTORABLE
    assert ep.restoration is not None and ep.restoration.criterion == "dueCare"
    assert ep.restoration.request_deadline == D("2024-05-02")
    assert judge("2023-03-01", "2024-05-02", "US").verdict is Verdict.INVALID
    assert judge("2023-03-01", "2024-05-03", "EP").verdict is Verdict.INVALID


def test_the_epo_was_closed_on_the_bridging_day_of_22_may_2020() -> None:
    """Decision of the President of the EPO of 27 April 2020: the filing offices in Munich, The Hague
    and Berlin are not open on Friday 22 May 2020, amending the 2020 list of OJ EPO 2019, A97. A
    period first filed on 22 May 2019 therefore ends on Monday 25 May 2020 (EPC Rule 134(1)), and a
    European application filed that day is in time, not merely restorable."""
    assert not public_holiday("DE", "2020-05-22", subdiv="BY") and not public_holiday("NL", "2020-05-22")
    assert end("2019-05-22", "EP") == D("2020-05-25")
    v = judge("2019-05-22", "2020-05-25", "EP")
    assert v.verdict is Verdict.VALID
    check = v.check(CHECK_WITHIN_PRIORITY_PERIOD)
    assert check is not None and "moved from 2020-05-22" in check.message


@pytest.mark.parametrize("priority", ["2019-12-24", "2019-12-30", "2020-01-04", "2020-01-08", "2020-01-10"])
def test_the_epo_christmas_closure_2020_lasted_until_10_january_2021(priority: str) -> None:
    """EPO, 17 December 2020: the filing offices stay closed until 10 January 2021 (they were to
    reopen on 4 January), so under EPC Rule 134(1) every time limit expiring from 24 December 2020 to
    10 January 2021 is extended to Monday 11 January 2021. A European application filed on 11 January
    2021 claiming any of these first filings is in time."""
    assert end(priority, "EP") == D("2021-01-11")
    assert judge(priority, "2021-01-11", "EP").verdict is Verdict.VALID


def test_the_2020_closure_also_extends_a_pct_application_received_by_the_epo() -> None:
    """PCT Rule 80.5 applies the receiving Office's closing days (the EPO's notice: "for PCT
    procedures this applies mutatis mutandis"); the RO/US calendar is not extended."""
    assert judge("2020-01-08", "2021-01-11", "WO", number="PCT/EP2021/050001").verdict is Verdict.VALID
    assert judge("2020-01-08", "2021-01-11", "WO", number="PCT/US2021/010001").verdict is Verdict.RESTORABLE
    assert window("2020-01-08", "EP") == D("2021-03-11")


# ── PCT Rule 80.5: the receiving Office's calendar ───────────────────────────────────────────


def test_the_jeune_genevois_closes_the_international_bureau_but_not_the_uspto() -> None:
    """Thursday 5 September 2019 was a non-working day of the IB (PCT Newsletter 12/2018); a PCT
    application received by the IB on 6 September 2019 claiming 5 September 2018 is in time, one
    received by RO/US is one day late and restorable (unintentional, RO/US)."""
    assert public_holiday("CH", "2019-09-05", subdiv="GE")
    assert judge("2018-09-05", "2019-09-06", "WO", number="PCT/IB2019/050001").verdict is Verdict.VALID
    us = judge("2018-09-05", "2019-09-06", "WO", number="PCT/US2019/050001")
    assert us.verdict is Verdict.RESTORABLE
    assert us.restoration is not None and us.restoration.criterion == "unintentional"


def test_the_ib_works_on_swiss_national_day_as_its_published_list_says() -> None:
    """1 August is a Geneva public holiday, but the IB's 2019 list of non-working days does not
    include it: the published list rules (PCT Rule 80.5 asks whether the Office is open)."""
    assert public_holiday("CH", "2019-08-01", subdiv="GE")
    assert end("2018-08-01", "IB") == D("2019-08-01")


def test_a_euro_pct_received_by_the_jpo_keeps_the_jpo_year_end_closure() -> None:
    """A PCT application received by RO/JP: the JPO's calendar applies whatever designated office the
    caller names (Rule 80.5), so 28 December 2024 still runs to 6 January 2025."""
    assert judge("2023-12-28", "2025-01-06", "EP", number="PCT/JP2024/050001").verdict is Verdict.VALID
    assert judge("2023-12-28", "2025-01-06", "EP").verdict is Verdict.RESTORABLE  # the EPO reopened on 2 Jan


# ── Restoration deadlines (PCT Rule 26bis.3, 37 CFR 1.55(c), (d)) ────────────────────────────


def test_a_restoration_window_is_computed_from_the_moved_end_and_moved_again() -> None:
    """First filing 31 December 2022: 31 Dec 2023 is a Sunday and 1 January 2024 New Year's Day, so
    the period ends Tuesday 2 January 2024; 2 months later is Saturday 2 March → Monday 4 March 2024.
    The USPTO petition is due with the claim under 37 CFR 1.55(d): the later of 16 months from the
    priority date (30 April 2024) and 4 months from the filing date 1 March 2024 (Monday 1 July)."""
    assert end("2022-12-31", "US") == D("2024-01-02")
    assert window("2022-12-31", "US") == D("2024-03-04")
    v = judge("2022-12-31", "2024-03-01", "US")
    assert v.verdict is Verdict.RESTORABLE
    assert v.restoration is not None and v.restoration.request_deadline == D("2024-07-01")


# ── First application (Paris Art. 4C(4)) and multiple priorities (Art. 4F) ───────────────────


def test_a_priority_application_that_itself_claims_an_internal_priority_is_flagged() -> None:
    """JP 10 March 2023 claims a JP application of 15 February 2023 (internal priority); a US
    application of 8 March 2024 claiming the March one is in time (10 March 2024 is a Sunday → 11
    March), but for the shared matter the first application is February's: the period would have
    ended on Thursday 15 February 2024, the window on Monday 15 April, and the petition be due by
    8 July 2024 (1.55(d): 16 months = Saturday 15 June → 17 June, 4 months from filing = 8 July)."""
    v = judge("2023-03-10", "2024-03-08", "US", earlier_office="JP", earlier_claims=("2023-02-15",))
    assert v.verdict is Verdict.VALID
    first = v.check(CHECK_FIRST_APPLICATION)
    assert first is not None and not first.passed
    assert "may have to run from 2023-02-15" in first.message
    assert "would then have ended on 2024-02-15" in first.message
    assert "restorable only on request by 2024-07-08 (the window ends 2024-04-15)" in first.message


def test_each_of_several_priorities_runs_from_its_own_date_and_the_others_from_the_earliest() -> None:
    """Paris 4F, EPC Art. 88(2): an EP application of Monday 4 March 2024 claiming JP 1 March 2023
    and US 1 June 2023. The JP period ended Friday 1 March 2024 (late, restorable); the US one ends
    Saturday 1 June → Monday 3 June 2024 (valid). The priority document is due 16 months from the
    earliest date, 1 July 2024 (PCT Rule 17.1(a)); corrections until the later of that and 4 months
    from filing, Thursday 4 July 2024 (Rule 26bis.1(a))."""
    later = LaterApplication.read("EP", D("2024-03-04"), PATENT)
    claims = [PriorityClaim("JP", "JP2023050001", D("2023-03-01")), PriorityClaim("US", "18123456", D("2023-06-01"))]
    result = check_claim_set(claims, later, CAL)
    assert [t.verdict for t in result.claims] == [Verdict.RESTORABLE, Verdict.VALID]
    assert [t.priority_period_end for t in result.claims] == [D("2024-03-01"), D("2024-06-03")]
    assert result.priority_document_deadline == D("2024-07-01")
    assert result.correction_deadline == D("2024-07-04")
    duplicate = [*claims, PriorityClaim("JP", "JP2023050001", D("2023-03-02"))]
    with pytest.raises(InvalidClaim) as info:
        check_claim_set(duplicate, later, CAL)
    assert info.value.code == "duplicateClaim"
