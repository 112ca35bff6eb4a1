"""Office calendars: weekends and configured holidays move a last day on (Paris 4C(3), PCT Rule 80.5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.calendar import DEFAULT_HOLIDAYS_PATH, OfficeCalendar, default_calendar
from registry.errors import InvalidDate, InvalidInput

SATURDAY = dt.date(2024, 3, 2)
SUNDAY = dt.date(2024, 3, 3)
MONDAY = dt.date(2024, 3, 4)


def write_config(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_every_office_is_closed_on_saturdays_and_sundays_and_open_on_weekdays() -> None:
    calendar = OfficeCalendar()
    for office in ("EP", "US", "JP", "WO"):
        assert calendar.is_closed(office, SATURDAY)
        assert calendar.is_closed(office, SUNDAY)
        assert not calendar.is_closed(office, MONDAY)


def test_next_working_day_is_the_day_itself_when_the_office_is_open() -> None:
    assert OfficeCalendar().next_working_day("EP", MONDAY) == MONDAY


def test_a_saturday_moves_to_the_following_monday() -> None:
    assert OfficeCalendar().next_working_day("EP", SATURDAY) == MONDAY
    assert OfficeCalendar().next_working_day("EP", SUNDAY) == MONDAY


def test_a_configured_holiday_closes_only_its_own_office(tmp_path: Path) -> None:
    calendar = OfficeCalendar.load(write_config(tmp_path, {"EP": ["2024-03-04"]}))
    assert calendar.is_closed("EP", MONDAY)
    assert not calendar.is_closed("US", MONDAY)
    # Saturday, Sunday, then the Monday holiday: the period runs to Tuesday.
    assert calendar.next_working_day("EP", SATURDAY) == dt.date(2024, 3, 5)
    assert calendar.next_working_day("US", SATURDAY) == MONDAY


def test_comment_keys_in_the_configuration_are_ignored(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"_comment": "sources in HOLIDAYS.md", "_sources": {"EP": "OJ"}, "EP": []})
    assert OfficeCalendar.load(path).holidays_of("EP") == frozenset()


def test_the_shipped_calendar_loads_and_every_holiday_in_it_is_a_weekday() -> None:
    # 5 U.S.C. 6103(b) moves a weekend holiday to a weekday; a weekend date in the file would mean
    # the observed day was forgotten.
    calendar = default_calendar()
    assert calendar is default_calendar()
    raw = json.loads(DEFAULT_HOLIDAYS_PATH.read_text(encoding="utf-8"))
    for office, days in raw.items():
        if office.startswith("_"):
            continue
        assert len(calendar.holidays_of(office)) == len(set(days))
        for day in calendar.holidays_of(office):
            assert day.weekday() < 5, (office, day)


def test_every_office_in_the_shipped_calendar_has_its_sources_documented() -> None:
    raw = json.loads(DEFAULT_HOLIDAYS_PATH.read_text(encoding="utf-8"))
    documented = (DEFAULT_HOLIDAYS_PATH.parent / "HOLIDAYS.md").read_text(encoding="utf-8")
    for office in raw:
        if not office.startswith("_"):
            assert f"## {office} " in documented
            assert office in raw["_sources"]


def test_the_shipped_us_calendar_moves_independence_day_2026_to_friday() -> None:
    # 4 July 2026 is a Saturday, observed on Friday 3 July (5 U.S.C. 6103(b)).
    calendar = default_calendar()
    assert calendar.is_closed("US", dt.date(2026, 7, 3))
    assert calendar.next_working_day("US", dt.date(2026, 7, 3)) == dt.date(2026, 7, 6)


def test_a_missing_configuration_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the holiday configuration") as info:
        OfficeCalendar.load(tmp_path / "nope.json")
    assert info.value.code == "invalidCalendar"


def test_a_configuration_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
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
    ],
)
def test_an_invalid_configuration_is_refused_naming_what_is_wrong(
    tmp_path: Path, data: object, error: type[InvalidInput], target: str | None
) -> None:
    with pytest.raises(error) as info:
        OfficeCalendar.load(write_config(tmp_path, data))
    assert info.value.target == target
    assert "holiday configuration" in info.value.message


def test_an_office_configured_closed_for_over_a_year_is_a_configuration_error() -> None:
    start = dt.date(2024, 1, 1)
    every_day = [(start + dt.timedelta(days=i)).isoformat() for i in range(400)]
    calendar = OfficeCalendar.from_mapping({"EP": every_day})
    with pytest.raises(InvalidInput, match="closed on every day"):
        calendar.next_working_day("EP", start)


def test_a_calendar_cannot_be_changed_after_it_is_built() -> None:
    calendar = OfficeCalendar.from_mapping({"EP": ["2025-12-25"]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        calendar.holidays = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        calendar.holidays["US"] = frozenset()  # type: ignore[index]


holiday_sets = st.sets(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), max_size=60)


@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), holidays=holiday_sets)
def test_next_working_day_is_the_first_open_day_on_or_after_the_day(day: dt.date, holidays: set[dt.date]) -> None:
    calendar = OfficeCalendar.from_mapping({"EP": [h.isoformat() for h in holidays]})
    result = calendar.next_working_day("EP", day)
    assert result >= day
    assert not calendar.is_closed("EP", result)
    between = (day + dt.timedelta(days=i) for i in range((result - day).days))
    assert all(calendar.is_closed("EP", d) for d in between)


def test_equal_calendars_are_equal_and_can_be_cache_keys() -> None:
    a = OfficeCalendar.from_mapping({"EP": ["2025-12-25"]})
    b = OfficeCalendar.from_mapping({"EP": ["2025-12-25"]})
    assert a == b
    assert hash(a) == hash(b)
    assert a != OfficeCalendar()
