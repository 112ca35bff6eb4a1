"""Which days an office is closed, so that a period ending on such a day runs on (Paris Art. 4C(3)).

Paris Convention Art. 4C(3): "If the last day of the period is an official holiday, or a day when
the Office is not open for the filing of applications in the country where protection is claimed,
the period shall be extended until the first following working day." PCT Rule 80.5 says the same for
every PCT period. The office that matters is the **second** office, the one where the later
application is filed (SPEC.md §5).

The default calendar (SPEC.md §5): every office is closed on Saturdays and Sundays; each office's
further closing days come from a JSON configuration file::

    {"_comment": "keys starting with '_' are documentation and are ignored",
     "EP": ["2025-12-25", "2025-12-26"], "US": ["2025-07-04"]}

The shipped file is ``registry/data/holidays.json``; ``registry/data/HOLIDAYS.md`` names the
source of every date in it. A malformed file is refused with :class:`~registry.errors.InvalidInput`
naming the key and position at fault: a calendar that silently drops a holiday would move a
deadline by a day, which is exactly the error this module exists to prevent.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from registry.errors import InvalidDate, InvalidInput
from registry.types import parse_date

__all__ = ["DEFAULT_HOLIDAYS_PATH", "OfficeCalendar", "default_calendar"]

DEFAULT_HOLIDAYS_PATH = Path(__file__).with_name("data") / "holidays.json"

# Saturday and Sunday (date.weekday() numbering): closed for every office (SPEC.md §5).
_WEEKEND = frozenset({5, 6})
_OFFICE_KEY = re.compile(r"[A-Z]{2}")
# No office closes for a whole year; a longer run of closed days means the configuration is wrong,
# and looping on would hide that (and could never end on a calendar closed every day).
_MAX_CLOSED_RUN = 366


def _empty_holidays() -> Mapping[str, frozenset[_dt.date]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class OfficeCalendar:
    """The closing days of every office: weekends for all, plus configured holidays per ST.3 code.

    ``OfficeCalendar()`` is the weekend-only calendar (no holidays anywhere); use :meth:`load` for
    the shipped or a configured holiday file. Instances are immutable and safe to share.
    """

    # Left out of the hash (a mapping is not hashable) but not out of equality, so a calendar can be
    # a cache key (functools.cache) while equal calendars still compare equal.
    holidays: Mapping[str, frozenset[_dt.date]] = field(default_factory=_empty_holidays, hash=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "holiday configuration") -> OfficeCalendar:
        """Build a calendar from ``{"EP": ["2025-12-25", …], …}`` (Paris Art. 4C(3), PCT Rule 80.5).

        Keys starting with ``_`` are documentation and ignored; every other key must be a two-letter
        ST.3 code and its value a list of ISO dates. Raises :class:`InvalidInput` otherwise.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(
                f"{source} must be a JSON object mapping office codes to lists of ISO dates",
                code="invalidCalendar",
            )
        holidays: dict[str, frozenset[_dt.date]] = {}
        for office, days in data.items():
            if not isinstance(office, str):
                raise InvalidInput(f"{source}: key {office!r} is not an office code", code="invalidCalendar")
            if office.startswith("_"):
                continue
            if not _OFFICE_KEY.fullmatch(office):
                raise InvalidInput(
                    f"{source}: key {office!r} is not a two-letter uppercase ST.3 office code",
                    code="invalidCalendar",
                    target=office,
                )
            if isinstance(days, str) or not isinstance(days, Iterable):
                raise InvalidInput(
                    f"{source}: the value for {office} must be a list of ISO dates (YYYY-MM-DD)",
                    code="invalidCalendar",
                    target=office,
                )
            parsed: set[_dt.date] = set()
            for i, value in enumerate(days):
                if not isinstance(value, str):
                    raise InvalidDate(
                        f"{source}: {office}[{i}] = {value!r} is not an ISO date string (YYYY-MM-DD)",
                        target=f"{office}[{i}]",
                    )
                try:
                    parsed.add(parse_date(value))
                except InvalidDate as exc:
                    raise InvalidDate(f"{source}: {office}[{i}]: {exc.message}", target=f"{office}[{i}]") from None
            holidays[office] = frozenset(parsed)
        return cls(MappingProxyType(holidays))

    @classmethod
    def load(cls, path: str | Path | None = None) -> OfficeCalendar:
        """Read a holiday file (JSON, see the module docstring); ``None`` reads the shipped one.

        The holidays extend periods under Paris Art. 4C(3) and PCT Rule 80.5. A missing, unreadable
        or malformed file raises :class:`InvalidInput` naming the file.
        """
        file = DEFAULT_HOLIDAYS_PATH if path is None else Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(
                f"cannot read the holiday configuration {file}: {exc.strerror or exc}", code="invalidCalendar"
            ) from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"the holiday configuration {file} is not valid JSON (line {exc.lineno}, column {exc.colno})",
                code="invalidCalendar",
            ) from exc
        return cls.from_mapping(data, source=f"holiday configuration {file}")

    def holidays_of(self, office: str) -> frozenset[_dt.date]:
        """The configured holidays of ``office`` (weekends not included; Paris Art. 4C(3))."""
        return self.holidays.get(office, frozenset())

    def is_closed(self, office: str, day: _dt.date) -> bool:
        """Whether ``office`` is closed for filing on ``day``: a weekend or a configured holiday.

        This is the test of Paris Art. 4C(3) and PCT Rule 80.5 ("not open for the filing of
        applications"), applied to the office where the later application is filed.
        """
        return day.weekday() in _WEEKEND or day in self.holidays_of(office)

    def next_working_day(self, office: str, day: _dt.date) -> _dt.date:
        """``day`` itself when ``office`` is open on it, else the first following day it is open.

        Paris Art. 4C(3), PCT Rule 80.5: a period whose last day falls on a closed day runs to the
        first following working day. Raises :class:`InvalidInput` if the office is configured
        closed for more than a year in a row (a configuration error, not a calendar).
        """
        current = day
        for _ in range(_MAX_CLOSED_RUN + 1):
            if not self.is_closed(office, current):
                return current
            try:
                current += _dt.timedelta(days=1)
            except OverflowError:
                break
        raise InvalidInput(
            f"office {office} is configured closed on every day from {day.isoformat()} for over a year;"
            " check the holiday configuration",
            code="invalidCalendar",
        )


@cache
def default_calendar() -> OfficeCalendar:
    """The shipped calendar (weekends plus ``registry/data/holidays.json``), read once.

    SPEC.md §5: the default calendar closes every office on weekends, holidays from the shipped file.
    """
    return OfficeCalendar.load(None)
