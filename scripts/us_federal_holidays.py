"""Write the USPTO closing days of ``registry/data/holidays.json`` from the rules of 5 U.S.C. 6103.

35 U.S.C. 21(b) and 37 CFR 1.7(a): an action due on a Saturday, Sunday or a Federal holiday within
the District of Columbia may be taken on the next business day. The Federal holidays are those of
5 U.S.C. 6103(a), moved by 6103(b) (Saturday → the preceding Friday, Sunday → the following
Monday); Inauguration Day (20 January every fourth year since 1965, the 21st when the 20th is a
Sunday, 6103(c)) is a holiday within the District of Columbia. Juneteenth from 2021 (Pub. L.
117-17). Ad-hoc closures by executive order are not rules and are not generated.

Usage: ``.venv/bin/python scripts/us_federal_holidays.py 1995 2035`` rewrites the ``US`` list.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "registry" / "data" / "holidays.json"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def us_federal_holidays(year: int) -> list[dt.date]:
    """The Federal holidays within the District of Columbia in ``year``, as observed."""
    mon, thu = 0, 3
    fixed = [dt.date(year, 1, 1), dt.date(year, 7, 4), dt.date(year, 11, 11), dt.date(year, 12, 25)]
    if year >= 2021:
        fixed.append(dt.date(year, 6, 19))
    days = [_observed(d) for d in fixed]
    # 1 January of the next year on a Saturday is observed on 31 December of this one.
    if dt.date(year + 1, 1, 1).weekday() == 5:
        days.append(dt.date(year, 12, 31))
    days = [d for d in days if d.year == year]
    days += [
        _nth_weekday(year, 1, mon, 3),  # Birthday of Martin Luther King, Jr. (since 1986)
        _nth_weekday(year, 2, mon, 3),  # Washington's Birthday
        _last_weekday(year, 5, mon),  # Memorial Day
        _nth_weekday(year, 9, mon, 1),  # Labor Day
        _nth_weekday(year, 10, mon, 2),  # Columbus Day
        _nth_weekday(year, 11, thu, 4),  # Thanksgiving Day
    ]
    if (year - 1965) % 4 == 0:
        inauguration = dt.date(year, 1, 20)
        day = inauguration + dt.timedelta(days=1) if inauguration.weekday() == 6 else inauguration
        if day.weekday() < 5:  # on a Saturday it is not moved (6103(c)), and Saturday is closed anyway
            days.append(day)
    return sorted(set(days))


def main() -> None:
    first, last = (int(a) for a in sys.argv[1:3]) if len(sys.argv) >= 3 else (1995, 2035)
    data = json.loads(DATA.read_text(encoding="utf-8"))
    data["US"] = [d.isoformat() for y in range(first, last + 1) for d in us_federal_holidays(y)]
    text = json.dumps(data, indent=2, ensure_ascii=False)
    DATA.write_text(text + "\n", encoding="utf-8")
    print(f"{len(data['US'])} US closing days {first}–{last} written to {DATA}")


if __name__ == "__main__":
    main()
