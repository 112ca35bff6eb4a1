"""Office calendars: weekends, public holidays and each office's own closures (Paris 4C(3), PCT Rule 80.5).

Every shipped office calendar is checked against its source for at least two years (the OJ EPO
notices, the PCT Newsletter's IB closing days, the State Council's schedules, the Cabinet Office's
national holidays with the JPO's statutory year-end closure, 5 U.S.C. 6103, the public-holiday
statutes), and deadlines are run across each office's longest closures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.calendar import DEFAULT_CALENDAR_PATH, OfficeCalendar, default_calendar
from registry.errors import InvalidDate, InvalidInput

D = dt.date.fromisoformat
SATURDAY = dt.date(2024, 3, 2)
SUNDAY = dt.date(2024, 3, 3)
MONDAY = dt.date(2024, 3, 4)
CAL = default_calendar()


def write_config(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "calendars.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def closed_weekdays(office: str, year: int) -> set[str]:
    """The weekdays ``office`` is closed in ``year``, as MM-DD."""
    day, out = dt.date(year, 1, 1), set()
    while day.year == year:
        if day.weekday() < 5 and CAL.is_closed(office, day):
            out.add(day.strftime("%m-%d"))
        day += dt.timedelta(days=1)
    return out


def weekdays(year: int, days: str) -> set[str]:
    """The weekdays among ``days`` (space-separated MM-DD of ``year``)."""
    return {d for d in days.split() if D(f"{year}-{d}").weekday() < 5}


# ── the weekend-only calendar and the file format ───────────────────────────────────────────


def test_every_office_is_closed_on_saturdays_and_sundays_and_open_on_weekdays() -> None:
    calendar = OfficeCalendar()
    for office in ("EP", "US", "JP", "WO"):
        assert calendar.is_closed(office, SATURDAY)
        assert calendar.is_closed(office, SUNDAY)
        assert not calendar.is_closed(office, MONDAY)
        assert not calendar.covers(office, 2024)


def test_a_saturday_moves_to_the_following_monday() -> None:
    assert OfficeCalendar().next_working_day("EP", SATURDAY) == MONDAY
    assert OfficeCalendar().next_working_day("EP", MONDAY) == MONDAY


def test_a_configured_closing_day_closes_only_its_own_office(tmp_path: Path) -> None:
    calendar = OfficeCalendar.load(write_config(tmp_path, {"EP": ["2024-03-04"]}))
    assert calendar.is_closed("EP", MONDAY)
    assert not calendar.is_closed("US", MONDAY)
    assert calendar.next_working_day("EP", SATURDAY) == dt.date(2024, 3, 5)


def test_comment_keys_in_the_configuration_are_ignored(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"_comment": "sources in CALENDARS.md", "EP": []})
    assert OfficeCalendar.load(path).holidays_of("EP") == frozenset()


def test_a_missing_configuration_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the calendar configuration") as info:
        OfficeCalendar.load(tmp_path / "nope.json")
    assert info.value.code == "invalidCalendar"


def test_a_configuration_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "calendars.json"
    path.write_text('{"EP": ["2025-12-25",]}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        OfficeCalendar.load(path)


@pytest.mark.parametrize(
    ("data", "error", "target"),
    [
        (["2025-12-25"], InvalidInput, None),
        ({"ep": ["2025-12-25"]}, InvalidInput, "ep"),
        ({"EPO": ["2025-12-25"]}, InvalidInput, "EPO"),
        ({"EP": "2025-12-25"}, InvalidInput, "EP"),
        ({"EP": ["2025-02-30"]}, InvalidDate, "EP[0]"),
        ({"EP": ["2025-12-25", "25.12.2025"]}, InvalidDate, "EP[1]"),
        ({"EP": [20251225]}, InvalidDate, "EP[0]"),
        # The full format: every closing day names a source the file explains.
        (
            {"sources": {}, "offices": {"EP": {"closures": [{"from": "2025-12-24", "to": "2025-12-24"}]}}},
            InvalidInput,
            "closures[0].source",
        ),
        (
            {
                "sources": {"s": "x"},
                "offices": {
                    "EP": {"annual": [{"from": "12-29", "to": "01-03", "first": 2000, "last": 2030, "source": "s"}]}
                },
            },
            InvalidInput,
            "annual[0]",
        ),
        (
            {"sources": {"s": "x"}, "offices": {"EP": {"coverage": [{"first": "2020", "last": 2020, "source": "s"}]}}},
            InvalidInput,
            "coverage[0].first",
        ),
    ],
)
def test_an_invalid_configuration_is_refused_naming_what_is_wrong(
    tmp_path: Path, data: object, error: type[InvalidInput], target: str | None
) -> None:
    with pytest.raises(error) as info:
        OfficeCalendar.load(write_config(tmp_path, data))
    assert info.value.target == target
    assert "calendar configuration" in info.value.message


def test_an_unknown_holidays_country_is_refused(tmp_path: Path) -> None:
    data = {"sources": {}, "offices": {"EP": {"publicHolidays": [{"country": "QQ"}]}}}
    with pytest.raises(InvalidInput, match="no country 'QQ'"):
        OfficeCalendar.load(write_config(tmp_path, data))


def test_an_office_configured_closed_for_over_a_year_is_a_configuration_error() -> None:
    start = dt.date(2024, 1, 1)
    every_day = [(start + dt.timedelta(days=i)).isoformat() for i in range(400)]
    calendar = OfficeCalendar.from_mapping({"EP": every_day})
    with pytest.raises(InvalidInput, match="closed on every day"):
        calendar.next_working_day("EP", start)


def test_a_calendar_cannot_be_changed_after_it_is_built() -> None:
    calendar = OfficeCalendar.from_mapping({"EP": ["2025-12-25"]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        calendar.offices = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        calendar.offices["US"] = calendar.offices["EP"]  # type: ignore[index]


holiday_sets = st.sets(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), max_size=60)


@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), holidays=holiday_sets)
def test_next_working_day_is_the_first_open_day_on_or_after_the_day(day: dt.date, holidays: set[dt.date]) -> None:
    calendar = OfficeCalendar.from_mapping({"EP": [h.isoformat() for h in holidays]})
    result = calendar.next_working_day("EP", day)
    assert result >= day
    assert not calendar.is_closed("EP", result)
    between = (day + dt.timedelta(days=i) for i in range((result - day).days))
    assert all(calendar.is_closed("EP", d) for d in between)


@given(
    day=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    office=st.sampled_from(["EP", "IB", "JP", "CN", "KR", "US", "DE", "GB", "FR", "EM", "AT"]),
)
def test_the_shipped_calendar_moves_every_day_to_an_open_day(day: dt.date, office: str) -> None:
    result = CAL.next_working_day(office, day)
    assert result >= day
    assert CAL.closed_because(office, result) is None
    assert all(CAL.is_closed(office, day + dt.timedelta(days=i)) for i in range((result - day).days))


def test_equal_calendars_are_equal_and_can_be_cache_keys() -> None:
    a = OfficeCalendar.from_mapping({"EP": ["2025-12-25"]})
    b = OfficeCalendar.from_mapping({"EP": ["2025-12-25"]})
    assert a == b
    assert hash(a) == hash(b)
    assert a != OfficeCalendar()


def test_the_shipped_file_loads_once_and_names_its_data() -> None:
    assert default_calendar() is CAL
    assert CAL.data_id.endswith(".holidays-0.109")
    raw = json.loads(DEFAULT_CALENDAR_PATH.read_text(encoding="utf-8"))
    documented = (DEFAULT_CALENDAR_PATH.parent / "CALENDARS.md").read_text(encoding="utf-8")
    for office in raw["offices"]:
        assert f"| {office} |" in documented, office
    for key in raw["sources"]:
        assert key in documented, key


# ── EPO: Munich, The Hague and Berlin together (EPC Rule 134(1)) ───────────────────────────


def test_the_epo_2015_closing_days_are_those_of_oj_epo_2014_a108() -> None:
    listed = "01-01 01-02 01-06 04-03 04-06 04-27 05-01 05-05 05-14 05-25 06-04 12-24 12-25 12-28 12-29 12-30 12-31"
    assert closed_weekdays("EP", 2015) == weekdays(2015, listed)
    assert CAL.covers("EP", 2015)


def test_the_epo_2020_closing_days_are_those_of_oj_epo_2019_a97() -> None:
    # The notice's table, with 22 May 2020 added to it by the President's decision of 27 April 2020.
    listed = "01-01 01-06 04-10 04-13 04-27 05-01 05-05 05-21 05-22 06-01 06-11 12-24 12-25 12-28 12-29 12-30 12-31"
    assert closed_weekdays("EP", 2020) == weekdays(2020, listed)
    # Berlin's one-off holiday of 8 May 2020 is not in the EPO's notice: the published list rules.
    assert not CAL.is_closed("EP", D("2020-05-08"))


def test_the_epo_2023_closing_days_are_those_of_its_office_holidays_page() -> None:
    listed = (
        "01-06 03-08 04-07 04-10 04-27 05-01 05-05 05-18 05-29 06-08 08-15 10-03 11-01 12-25 12-26 12-27 12-28 12-29"
    )
    assert closed_weekdays("EP", 2023) == set(listed.split())


def test_the_epo_2003_closing_days_are_those_of_oj_epo_2002_549() -> None:
    listed = "01-01 01-06 04-18 04-21 04-30 05-01 05-05 05-29 06-09 06-19 08-15 10-03 12-24 12-25 12-26 12-31"
    assert closed_weekdays("EP", 2003) == set(listed.split())


@pytest.mark.parametrize("year", [2003, 2015, 2020, 2023])
def test_in_a_published_epo_year_the_public_holidays_of_the_three_sites_are_all_listed(year: int) -> None:
    # The union of Bavaria, the Netherlands and Berlin (the package) is what the EPO closes on, plus
    # its own days (Christmas Eve, New Year's Eve, Liberation Day, bridging days): checked against
    # each notice, the only exception being Berlin's one-off 8 May 2020, decided after the notice.
    rules = CAL.rules_of("EP")
    assert rules is not None
    day = dt.date(year, 1, 1)
    while day.year == year:
        in_package = day.weekday() < 5 and any(day in seat.closed_days(year) for seat in rules.seats)
        if in_package and day != D("2020-05-08"):
            assert CAL.is_closed("EP", day), day
        day += dt.timedelta(days=1)


def test_a_period_ending_on_the_saturday_before_easter_monday_runs_to_tuesday() -> None:
    assert CAL.next_working_day("EP", D("2024-03-30")) == D("2024-04-02")
    assert CAL.next_working_day("EP", D("2024-03-29")) == D("2024-04-02")  # Good Friday
    assert CAL.next_working_day("EP", D("2015-04-04")) == D("2015-04-07")


def test_whit_monday_and_corpus_christi_close_the_epo() -> None:
    assert CAL.next_working_day("EP", D("2026-05-23")) == D("2026-05-26")  # Whit Monday 25 May 2026
    assert CAL.next_working_day("EP", D("2020-06-11")) == D("2020-06-12")  # Corpus Christi (Munich)
    assert CAL.next_working_day("EP", D("2025-04-26")) == D("2025-04-28")  # King's Day on a Saturday


def test_the_epo_christmas_closures_run_to_the_day_the_offices_reopen() -> None:
    assert CAL.next_working_day("EP", D("2024-12-27")) == D("2025-01-02")
    assert CAL.next_working_day("EP", D("2023-12-23")) == D("2024-01-02")
    assert CAL.next_working_day("EP", D("2021-12-24")) == D("2022-01-03")
    assert CAL.next_working_day("EP", D("2020-12-24")) == D("2021-01-11")  # prolonged to 10 January 2021
    assert CAL.next_working_day("EP", D("2015-12-24")) == D("2016-01-04")
    assert CAL.next_working_day("EP", D("2025-12-24")) == D("2026-01-02")
    # A year whose notice is not shipped: Christmas Eve and New Year's Eve (every notice) still close.
    assert CAL.next_working_day("EP", D("2026-12-24")) == D("2026-12-28")
    assert not CAL.covers("EP", 2026)


# ── The International Bureau (PCT Rule 80.5), Geneva ───────────────────────────────────────


def test_the_ib_2017_and_2019_closing_days_are_those_of_the_pct_newsletter() -> None:
    assert closed_weekdays("IB", 2017) == {"01-02", "04-14", "04-17", "05-25", "06-05", "09-07", "12-25", "12-29"}
    assert closed_weekdays("IB", 2019) == {"01-01", "04-19", "04-22", "05-30", "06-10", "09-05", "12-25", "12-31"}
    # Geneva's 1 August and 26 December were working days at the IB in 2019: the list rules.
    assert not CAL.is_closed("IB", D("2019-08-01"))
    assert not CAL.is_closed("IB", D("2019-12-26"))
    assert CAL.is_closed("WO", D("2019-09-05"))  # a WO record without receiving Office reads the IB's


# ── JPO: national holidays and 29 December – 3 January ─────────────────────────────────────


def test_the_jpo_2024_and_2025_closing_days_are_the_national_holidays_and_the_year_end() -> None:
    # Cabinet Office national holidays (with substitute holidays) and the Act on Holidays of
    # Administrative Organs Art. 1(1)(iii).
    assert closed_weekdays("JP", 2024) == weekdays(
        2024,
        "01-01 01-02 01-03 01-08 02-12 02-23 03-20 04-29 05-03 05-06 07-15 08-12 09-16 09-23 10-14 11-04 12-30 12-31",
    )
    assert closed_weekdays("JP", 2025) == weekdays(
        2025,
        "01-01 01-02 01-03 01-13 02-11 02-24 03-20 04-29 05-05 05-06 07-21 08-11 09-15 09-23 10-13 11-03 11-24"
        " 12-29 12-30 12-31",
    )
    assert CAL.covers("JP", 2025) and not CAL.covers("JP", 2028)


def test_a_period_ending_in_the_jpo_year_end_closure_runs_to_the_first_working_day() -> None:
    assert CAL.next_working_day("JP", D("2025-12-29")) == D("2026-01-05")
    assert CAL.next_working_day("JP", D("2024-12-28")) == D("2025-01-06")
    assert CAL.next_working_day("JP", D("2019-12-29")) == D("2020-01-06")


# ── CNIPA: the State Council's schedules, make-up working days open ─────────────────────────


@pytest.mark.parametrize(
    ("year", "off", "makeup"),
    [
        # 国务院办公厅关于2024年部分节假日安排的通知
        (
            2024,
            "01-01 02-12 02-13 02-14 02-15 02-16 04-04 04-05 05-01 05-02 05-03 06-10 09-16 09-17 10-01 10-02"
            " 10-03 10-04 10-07",
            "02-04 02-18 04-07 04-28 05-11 09-14 09-29 10-12",
        ),
        # 2025 notice: 28 January – 4 February, 1–8 October
        (
            2025,
            "01-01 01-28 01-29 01-30 01-31 02-03 02-04 04-04 05-01 05-02 05-05 06-02 10-01 10-02 10-03 10-06"
            " 10-07 10-08",
            "01-26 02-08 04-27 09-28 10-11",
        ),
        # 2026 notice of 4 November 2025 (https://dev.to/alex_72850f66659440588625/every-holiday-api-gets-china-wrong-heres-how-i-fixed-it-506l)
        (2026, None, "01-04 02-14 02-28 05-09 09-20 10-10"),
    ],
)
def test_the_cnipa_calendar_follows_the_state_council_schedule(year: int, off: str | None, makeup: str) -> None:
    if off is not None:
        assert closed_weekdays("CN", year) == set(off.split())
    for day in makeup.split():
        assert not CAL.is_closed("CN", D(f"{year}-{day}")), day
    assert CAL.covers("CN", year)


def test_deadlines_across_the_spring_festival_and_the_national_day_golden_week() -> None:
    # 10 February 2024 (Saturday, Spring Festival) → Sunday 18 February, a make-up working day.
    assert CAL.next_working_day("CN", D("2024-02-10")) == D("2024-02-18")
    # 1 October 2025 → 9 October; Saturday 11 October is a working day again.
    assert CAL.next_working_day("CN", D("2025-10-01")) == D("2025-10-09")
    assert CAL.next_working_day("CN", D("2026-02-15")) == D("2026-02-24")


# ── KIPO: public holidays, substitute and temporary holidays, Workers' Day ─────────────────


def test_the_kipo_2024_and_2025_closing_days() -> None:
    assert closed_weekdays("KR", 2024) == weekdays(
        2024, "01-01 02-09 02-12 03-01 04-10 05-01 05-06 05-15 06-06 08-15 09-16 09-17 09-18 10-01 10-03 10-09 12-25"
    )
    assert closed_weekdays("KR", 2025) == weekdays(
        2025,
        "01-01 01-27 01-28 01-29 01-30 03-03 05-01 05-05 05-06 06-03 06-06 08-15 10-03 10-06 10-07 10-08 10-09 12-25",
    )


def test_deadlines_across_seollal_and_chuseok() -> None:
    assert CAL.next_working_day("KR", D("2025-01-25")) == D("2025-01-31")  # temporary holiday 27 Jan + Seollal
    assert CAL.next_working_day("KR", D("2025-10-03")) == D("2025-10-10")  # Foundation Day, Chuseok, Hangul Day
    assert CAL.next_working_day("KR", D("2024-09-14")) == D("2024-09-19")


# ── USPTO: 5 U.S.C. 6103 from the package, a test that it gives the statute's days ─────────


def _nth(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _observed(day: dt.date) -> dt.date:
    return (
        day - dt.timedelta(days=1) if day.weekday() == 5 else day + dt.timedelta(days=1) if day.weekday() == 6 else day
    )


def statutory_us_days(year: int) -> set[dt.date]:
    """5 U.S.C. 6103(a)-(c), computed from the statute (the former hand-written generator's rule)."""
    fixed = [dt.date(year, 1, 1), dt.date(year, 7, 4), dt.date(year, 11, 11), dt.date(year, 12, 25)]
    if year >= 2021:
        fixed.append(dt.date(year, 6, 19))
    days = {_observed(d) for d in fixed}
    if dt.date(year + 1, 1, 1).weekday() == 5:
        days.add(dt.date(year, 12, 31))
    days = {d for d in days if d.year == year}
    last_may = dt.date(year, 5, 31) - dt.timedelta(days=(dt.date(year, 5, 31).weekday()) % 7)
    days |= {
        _nth(year, 1, 0, 3),
        _nth(year, 2, 0, 3),
        last_may,
        _nth(year, 9, 0, 1),
        _nth(year, 10, 0, 2),
        _nth(year, 11, 3, 4),
    }
    if (year - 1965) % 4 == 0:
        inauguration = dt.date(year, 1, 20)
        inauguration += dt.timedelta(days=1) if inauguration.weekday() == 6 else dt.timedelta()
        if inauguration.weekday() < 5:
            days.add(inauguration)
    return days


def test_the_package_gives_every_federal_holiday_of_5_usc_6103_from_2000_to_2030() -> None:
    extra: dict[dt.date, str] = {}
    own = CAL.holidays_of("US")  # the USPTO's own closure notices (test below)
    for year in range(2000, 2031):
        statute = statutory_us_days(year)
        assert all(CAL.is_closed("US", d) for d in statute), year
        for day in closed_weekdays("US", year):
            date = D(f"{year}-{day}")
            if date not in statute and date not in own:
                extra[date] = CAL.closed_because("US", date) or ""
    # The only other closed weekdays are executive-order closures of federal departments (a
    # "Federal holiday within the District of Columbia", MPEP 510), never a half-day closing.
    assert extra, "the executive-order closures should be known"
    for date, why in extra.items():
        assert any(w in why for w in ("Christmas Eve", "Day After Christmas", "Day of Mourning")), (date, why)
        assert "half-day" not in why
    assert D("2025-01-09") in extra and D("2019-12-24") in extra
    # A half-day closing does not extend a period: the package's "Christmas Eve (half-day)" of 2015 is
    # dropped; that day is closed only by the USPTO's outage notice (uspto20151222).
    rules = CAL.rules_of("US")
    assert rules is not None
    assert not any(D("2015-12-24") in seat.closed_days(2015) for seat in rules.seats)
    assert D("2015-12-24") not in extra


# The USPTO's own closures: each day a notice deems "a Federal holiday within the District of Columbia"
# under 35 U.S.C. 21 (MPEP 510), as listed in CALENDARS.md, with the next business day the notice names.
USPTO_NOTICES = [
    ("uspto20010911", "2001-09-11", "2001-09-12"),
    ("uspto20030218", "2003-02-18", "2003-02-19"),
    ("uspto20030918", "2003-09-18 2003-09-19", "2003-09-22"),
    ("uspto20031010", "2003-10-10", "2003-10-14"),  # Monday 13 October 2003: Columbus Day
    ("uspto20100208", "2010-02-08 2010-02-09", "2010-02-10"),
    ("uspto20121029", "2012-10-29 2012-10-30", "2012-10-31"),
    ("uspto20130306", "2013-03-06", "2013-03-07"),
    ("uspto20131210", "2013-12-10", "2013-12-11"),
    ("uspto20140121", "2014-01-21", "2014-01-22"),
    ("uspto20150305", "2015-03-05", "2015-03-06"),
    ("uspto20151222", "2015-12-22 2015-12-23 2015-12-24", "2015-12-28"),  # 25 Dec, then the weekend
    ("uspto20180302", "2018-03-02", "2018-03-05"),
    ("uspto20180321", "2018-03-21", "2018-03-22"),
]


@pytest.mark.parametrize(("source", "days", "due"), USPTO_NOTICES)
def test_each_uspto_closure_notice_closes_its_days_and_the_period_runs_to_the_day_it_names(
    source: str, days: str, due: str
) -> None:
    rules = CAL.rules_of("US")
    assert rules is not None
    for day in days.split():
        assert rules.closures[D(day)][1] == source, day
        assert CAL.next_working_day("US", D(day)) == D(due), day
    assert source in CAL.sources and source in DEFAULT_CALENDAR_PATH.with_name("CALENDARS.md").read_text("utf-8")


def test_the_uspto_closures_are_exactly_the_notices_found_and_close_no_other_office() -> None:
    listed = {D(d) for _, days, _ in USPTO_NOTICES for d in days.split()}
    assert CAL.holidays_of("US") == listed
    # Every notice day was a weekday the package leaves open: the notice is what closes it.
    rules = CAL.rules_of("US")
    assert rules is not None
    for day in listed:
        assert day.weekday() < 5 and not any(day in seat.closed_days(day.year) for seat in rules.seats), day
    assert not CAL.is_closed("EP", D("2012-10-29")) and not CAL.is_closed("IB", D("2012-10-30"))
    assert CAL.covers("US", 2012) and not CAL.covers("US", 2027)


def test_days_considered_without_a_uspto_notice_are_open() -> None:
    # CALENDARS.md, "Considered and not shipped": no notice deeming the day a Federal holiday was found.
    unsourced = "2001-09-12 2010-02-10 2010-02-11 2011-01-26 2011-01-27 2014-02-13 2014-03-03 2014-03-17 2015-02-17"
    for day in (*unsourced.split(), "2017-03-14", "2022-01-03", "2024-01-16", "2025-01-06"):
        assert not CAL.is_closed("US", D(day)), day


def test_the_uspto_moves_independence_day_2026_to_friday_and_honours_inauguration_day() -> None:
    assert CAL.next_working_day("US", D("2026-07-03")) == D("2026-07-06")
    assert CAL.is_closed("US", D("2021-01-20"))
    assert not CAL.is_closed("US", D("2022-04-15"))  # DC Emancipation Day is no Federal holiday
    assert CAL.next_working_day("US", D("2025-12-24")) == D("2025-12-29")


# ── Offices with public holidays only (not covered) ────────────────────────────────────────


@pytest.mark.parametrize(
    ("office", "year", "days"),
    [
        ("DE", 2024, "01-01 03-29 04-01 05-01 05-09 05-20 05-30 08-15 10-03 11-01 12-25 12-26"),  # Bavaria
        ("DE", 2025, "01-01 01-06 04-18 04-21 05-01 05-29 06-09 06-19 08-15 10-03 12-25 12-26"),
        ("GB", 2023, "01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26"),  # England and Wales
        ("GB", 2024, "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26"),
        ("FR", 2024, "01-01 04-01 05-01 05-08 05-09 05-20 08-15 11-01 11-11 12-25"),
        ("FR", 2025, "01-01 04-21 05-01 05-08 05-29 06-09 07-14 08-15 11-11 12-25"),
        ("EM", 2024, "01-01 03-19 03-29 04-01 05-01 06-24 08-15 10-09 11-01 12-06 12-25"),  # Valencian Community
        ("EM", 2025, "01-01 01-06 03-19 04-18 04-21 05-01 06-24 08-15 10-09 12-08 12-25"),
    ],
)
def test_public_holiday_calendars_match_the_statutes_and_are_not_covered(office: str, year: int, days: str) -> None:
    assert closed_weekdays(office, year) == set(days.split())
    assert not CAL.covers(office, year)


def test_an_office_without_rules_gets_its_countrys_public_holidays() -> None:
    assert CAL.is_closed("AT", D("2024-10-28")) is False  # 26 Oct 2024 was a Saturday
    assert CAL.is_closed("AT", D("2025-10-27")) is False
    assert CAL.is_closed("AT", D("2025-12-08"))  # Immaculate Conception, Austria
    assert not CAL.covers("AT", 2025)
    assert not OfficeCalendar().is_closed("AT", D("2025-12-08"))
