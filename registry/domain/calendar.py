"""Which days an office is closed, so that a period ending on such a day runs on (Paris Art. 4C(3)).

Paris Convention Art. 4C(3): "If the last day of the period is an official holiday, or a day when
the Office is not open for the filing of applications in the country where protection is claimed,
the period shall be extended until the first following working day." PCT Rule 80.5 says the same for
every PCT period, EPC Rule 134(1) for the EPO (a day on which *any* of its filing offices — Munich,
The Hague, Berlin — is closed extends the period), 35 USC 21(b) and 37 CFR 1.7(a) for the USPTO
(Saturdays, Sundays and Federal holidays within the District of Columbia), JP Patent Act Art. 3(2)
with the Act on Holidays of Administrative Organs Art. 1 for the JPO (national holidays and 29
December to 3 January). Whose calendar applies is the verdict engine's business
(:mod:`registry.domain.rules`, docs/spec/priority-rules.md#end-of-the-period): the office where the later application
was filed, or for a PCT application its receiving office.

An office's calendar (docs/spec/priority-rules.md#closing-days) is built from three parts, shipped in
``registry/domain/data/calendars.json`` with the source of every entry (``registry/domain/data/CALENDARS.md``):

- **weekends**: Saturdays and Sundays, except the make-up working days an office is open on
  (China's adjusted working Saturdays and Sundays are *open* days: CNIPA works on them);
- **public holidays** of the places where the office sits, from the `holidays` package, by
  subdivision (the EPO: the union of Bavaria, the Netherlands and Berlin; the IB: Geneva; the
  EUIPO: the Valencian Community), optionally restricted to named holidays (``only``) or without
  some (``except``: the USPTO's half-day closings);
- **the office's own published closures** (OJ EPO closing-day notices, the EPO's Christmas
  closures, the PCT Newsletter's IB closing days, the JPO's statutory year-end closure, the USPTO's
  notices deeming a weather or outage closure a Federal holiday (MPEP 510), …) and the
  **coverage**: the years whose closing days the office has published (or its law fixes) and the file
  ships. For a year marked ``complete`` the published list *is* the list (the EPO's notice says "the
  other closing days … are listed below"), so public holidays of the package are not added: the IB,
  for one, is open on some Geneva holidays.

:meth:`OfficeCalendar.covers` tells whether a year is covered; the verification reports it as the
``closingDaysKnown`` check (docs/spec/priority-rules.md#closing-days): public holidays alone are applied but do not pass
it. An office without a calendar in the file gets its country's public holidays from the package when the
package knows the country (``generic`` calendars), and is never covered.

A malformed file is refused with :class:`~registry.errors.InvalidInput` naming the key at fault: a
calendar that silently drops a closing day would move a deadline by a day, which is exactly the error
this module exists to prevent. The older flat form ``{"EP": ["2025-12-25", …]}`` (extra closing days
per office, nothing else) is still read, for local configurations.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays as _holidays

from registry.domain.types import parse_date
from registry.errors import InvalidDate, InvalidInput

__all__ = [
    "DEFAULT_CALENDAR_PATH",
    "Coverage",
    "HolidaySeat",
    "OfficeCalendar",
    "OfficeRules",
    "calendar_office",
    "default_calendar",
]

_HOLIDAYS_VERSION = importlib.metadata.version("holidays")
DEFAULT_CALENDAR_PATH = Path(__file__).with_name("data") / "calendars.json"

# Saturday and Sunday (date.weekday() numbering): closed for every configured office
# (docs/spec/priority-rules.md#closing-days).
_WEEKEND = frozenset({5, 6})
_OFFICE_KEY = re.compile(r"[A-Z]{2}")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
# No office closes for a whole year; a longer run of closed days means the configuration is wrong,
# and looping on would hide that (and could never end on a calendar closed every day).
_MAX_CLOSED_RUN = 366
# The International Bureau keeps the calendar of PCT applications it receives (PCT Rule 80.5); a
# record office "WO" without a receiving office is judged on it too (docs/api.md#verifying-a-claim).
_ALIASES = MappingProxyType({"WO": "IB"})


def calendar_office(office: str) -> str:
    """The key of the calendar that ``office`` keeps: ``WO`` (the PCT record office) → ``IB``."""
    return _ALIASES.get(office, office)


@dataclass(frozen=True)
class HolidaySeat:
    """A place whose public holidays close the office (``holidays`` package country + subdivision).

    ``only`` keeps the named holidays of that place and no others (the District of Columbia's
    Inauguration Day for the USPTO, Korea's Workers' Day for KIPO); ``workdays`` takes the package's
    make-up working days of that country as days the office is open (China).
    """

    country: str
    subdiv: str | None = None
    categories: tuple[str, ...] = ("public",)
    only: frozenset[str] | None = None
    workdays: bool = False
    label: str = ""
    # Names containing one of these are dropped: a half-day closing is no closed day (the USPTO
    # extends a period only when it is closed for the entire day, MPEP 510).
    excluding: tuple[str, ...] = ()

    def closed_days(self, year: int) -> Mapping[_dt.date, str]:
        """The public holidays of this seat in ``year`` (date → name), filtered by ``only``."""
        return _seat_days(self, year)[0]

    def open_days(self, year: int) -> frozenset[_dt.date]:
        """Weekend days this seat works on in ``year`` (make-up working days), when ``workdays``."""
        return _seat_days(self, year)[1] if self.workdays else frozenset()


@lru_cache(maxsize=4096)
def _seat_days(seat: HolidaySeat, year: int) -> tuple[Mapping[_dt.date, str], frozenset[_dt.date]]:
    # One holidays object per (seat, year): building one costs a millisecond, a verification needs a
    # few, so they are cached (the package is deterministic for a given version).
    table = _holidays.country_holidays(seat.country, subdiv=seat.subdiv, years=year, categories=seat.categories)
    days: dict[_dt.date, str] = {}
    for day, name in table.items():
        if day.year != year:
            continue
        names = [n.strip() for n in str(name).split(";")]
        if seat.only is not None:
            names = [n for n in names if n in seat.only]
        names = [n for n in names if not any(x in n for x in seat.excluding)]
        if not names:
            continue
        days[day] = "; ".join(names)
    workdays = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return MappingProxyType(days), workdays


@dataclass(frozen=True)
class Coverage:
    """Years whose closing days the office published (or its law fixes) and the calendar ships."""

    first: int
    last: int
    source: str
    complete: bool = False

    def __contains__(self, year: object) -> bool:
        return isinstance(year, int) and self.first <= year <= self.last


@dataclass(frozen=True)
class _Annual:
    first: int
    last: int
    start: tuple[int, int]
    end: tuple[int, int]
    name: str
    source: str

    def covers(self, day: _dt.date) -> bool:
        return self.first <= day.year <= self.last and self.start <= (day.month, day.day) <= self.end


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class OfficeRules:
    """One office's calendar: seats, own closures, make-up working days and coverage (module docstring)."""

    code: str
    name: str = ""
    law: str = ""
    seats: tuple[HolidaySeat, ...] = ()
    closures: Mapping[_dt.date, tuple[str, str]] = field(default_factory=_empty, hash=False)
    annual: tuple[_Annual, ...] = ()
    open_days: Mapping[_dt.date, str] = field(default_factory=_empty, hash=False)
    coverage: tuple[Coverage, ...] = ()
    weekend: frozenset[int] = _WEEKEND

    def coverage_of(self, year: int) -> Coverage | None:
        """The coverage entry for ``year``, or ``None`` when the year's closures are not shipped."""
        return next((c for c in self.coverage if year in c), None)

    def closed_because(self, day: _dt.date) -> str | None:
        """Why the office is closed on ``day`` ("Saturday", a holiday's name, …), or ``None`` if open."""
        if day in self.open_days or any(day in s.open_days(day.year) for s in self.seats):
            return None
        if day.weekday() in self.weekend:
            return day.strftime("%A")
        own = self.closures.get(day)
        if own is not None:
            return own[0]
        covered = self.coverage_of(day.year)
        if covered is not None and covered.complete:
            return None
        for rule in self.annual:
            if rule.covers(day):
                return rule.name
        # "Whit Monday in Munich, The Hague, Berlin": one name, the places it closes.
        places: dict[str, list[str]] = {}
        for seat in self.seats:
            name = seat.closed_days(day.year).get(day)
            if name is not None:
                places.setdefault(name, []).extend([seat.label] if seat.label else [])
        if not places:
            return None
        return "; ".join(f"{name} in {', '.join(where)}" if where else name for name, where in places.items())


def _empty_offices() -> Mapping[str, OfficeRules]:
    return MappingProxyType({})


@dataclass(frozen=True)
class OfficeCalendar:
    """The closing days of every office (module docstring): weekends, public holidays, own closures.

    ``OfficeCalendar()`` is the weekend-only calendar (no holidays anywhere, nothing covered); use
    :meth:`load` for the shipped or a configured file. ``generic`` gives offices without rules of their
    own their country's public holidays from the package. Instances are immutable and safe to share.
    """

    # Left out of the hash (a mapping is not hashable) but not out of equality, so a calendar can be
    # a cache key (functools.cache) while equal calendars still compare equal.
    offices: Mapping[str, OfficeRules] = field(default_factory=_empty_offices, hash=False)
    sources: Mapping[str, str] = field(default_factory=_empty, hash=False, compare=False)
    generic: bool = False
    data_id: str = "weekends"

    # ── building ──────────────────────────────────────────────────────────────────────────

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str = "calendar configuration", data_id: str | None = None
    ) -> OfficeCalendar:
        """Build a calendar from the file format of the module docstring (or the flat legacy form).

        Raises :class:`InvalidInput` (code ``invalidCalendar``) or :class:`InvalidDate` naming the key
        at fault. Keys starting with ``_`` are documentation and ignored.
        """
        if not isinstance(data, Mapping):
            raise _bad(f"{source} must be a JSON object")
        ident = data_id or _digest(json.dumps(data, sort_keys=True, default=str).encode())
        if "offices" not in data:
            return cls._from_flat(data, source, ident)
        sources = data.get("sources", {})
        offices_raw = data["offices"]
        if not isinstance(sources, Mapping) or not all(isinstance(v, str) for v in sources.values()):
            raise _bad(f"{source}: 'sources' must map source keys to descriptions")
        if not isinstance(offices_raw, Mapping):
            raise _bad(f"{source}: 'offices' must map office codes to calendars")
        offices: dict[str, OfficeRules] = {}
        for office, raw in offices_raw.items():
            if isinstance(office, str) and office.startswith("_"):
                continue
            code = _office_key(office, source)
            offices[code] = _office_rules(code, raw, sources, f"{source}: offices.{code}")
        return cls(MappingProxyType(offices), MappingProxyType(dict(sources)), generic=True, data_id=ident)

    @classmethod
    def _from_flat(cls, data: Mapping[str, Any], source: str, ident: str) -> OfficeCalendar:
        offices: dict[str, OfficeRules] = {}
        for office, days in data.items():
            if isinstance(office, str) and office.startswith("_"):
                continue
            code = _office_key(office, source)
            if isinstance(days, str) or not isinstance(days, Iterable):
                raise _bad(f"{source}: the value for {code} must be a list of ISO dates (YYYY-MM-DD)", code)
            closures: dict[_dt.date, tuple[str, str]] = {}
            for i, value in enumerate(days):
                closures[_date(value, f"{code}[{i}]", source)] = ("configured closing day", source)
            offices[code] = OfficeRules(code, closures=MappingProxyType(closures))
        return cls(MappingProxyType(offices), data_id=ident)

    @classmethod
    def load(cls, path: str | Path | None = None) -> OfficeCalendar:
        """Read a calendar file (JSON, module docstring); ``None`` reads the shipped one.

        A missing, unreadable or malformed file raises :class:`InvalidInput` naming the file.
        """
        file = DEFAULT_CALENDAR_PATH if path is None else Path(path)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise _bad(f"cannot read the calendar configuration {file}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise _bad(f"the calendar configuration {file} is not valid JSON{where}") from exc
        # The id names the data a verdict was computed with (docs/api.md#evidence, rulesVersion): the file's
        # bytes and the holidays package version, which supplies the public holidays.
        ident = f"{_digest(raw)}.holidays-{_HOLIDAYS_VERSION}"
        return cls.from_mapping(data, source=f"calendar configuration {file}", data_id=ident)

    # ── questions ─────────────────────────────────────────────────────────────────────────

    def rules_of(self, office: str) -> OfficeRules | None:
        """The configured calendar of ``office`` (``WO`` reads the IB's), or ``None``."""
        return self.offices.get(calendar_office(office))

    def holidays_of(self, office: str) -> frozenset[_dt.date]:
        """The office's own configured closing days (not weekends, not public holidays)."""
        rules = self.rules_of(office)
        return frozenset(rules.closures) if rules is not None else frozenset()

    def closed_because(self, office: str, day: _dt.date) -> str | None:
        """Why ``office`` is closed for filing on ``day``, or ``None`` when it is open (Paris 4C(3))."""
        return _closed_days(self, office, day.year).get(day)

    def _compute_closed_because(self, office: str, day: _dt.date) -> str | None:
        rules = self.rules_of(office)
        if rules is None:
            rules = _generic_rules(office) if self.generic else None
            if rules is None:
                return day.strftime("%A") if day.weekday() in _WEEKEND else None
        return rules.closed_because(day)

    def is_closed(self, office: str, day: _dt.date) -> bool:
        """Whether ``office`` is closed for filing on ``day`` (Paris Art. 4C(3), PCT Rule 80.5)."""
        return self.closed_because(office, day) is not None

    def covers(self, office: str, year: int) -> bool:
        """Whether the office's own closing days of ``year`` are shipped (docs/spec/priority-rules.md#closing-days)."""
        rules = self.rules_of(office)
        return rules is not None and rules.coverage_of(year) is not None

    def covered_years(self, office: str) -> tuple[int, ...]:
        """Every year whose closing days are shipped for ``office``, ascending."""
        rules = self.rules_of(office)
        if rules is None:
            return ()
        return tuple(sorted({y for c in rules.coverage for y in range(c.first, c.last + 1)}))

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
        raise _bad(
            f"office {office} is configured closed on every day from {day.isoformat()} for over a year;"
            " check the calendar configuration"
        )


@lru_cache(maxsize=2048)
def _closed_days(calendar: OfficeCalendar, office: str, year: int) -> Mapping[_dt.date, str]:
    # Every closed day of one office and year, computed once: a verification asks for a handful of
    # days, each of which would otherwise walk the seats' holiday tables (a few µs each, hundreds of
    # µs a verification). The calendar is immutable, so the table never goes stale.
    day = _dt.date(year, 1, 1)
    closed: dict[_dt.date, str] = {}
    while day.year == year:
        why = calendar._compute_closed_because(office, day)
        if why is not None:
            closed[day] = why
        if day == _dt.date.max:
            break
        day += _dt.timedelta(days=1)
    return MappingProxyType(closed)


@cache
def default_calendar() -> OfficeCalendar:
    """The shipped calendar (``registry/domain/data/calendars.json`` with the holidays package), read once."""
    return OfficeCalendar.load(None)


# ── parsing helpers ─────────────────────────────────────────────────────────────────────────


@lru_cache(maxsize=512)
def _generic_rules(office: str) -> OfficeRules | None:
    # An office without rules of its own: its country's public holidays, when the package has the
    # country (ST.3 codes of states are ISO 3166-1 codes), with that country's weekend. Never covered.
    if office not in _holidays.list_supported_countries():
        return None
    table = _holidays.country_holidays(office)
    weekend = frozenset(getattr(table, "weekend", _WEEKEND)) or _WEEKEND
    return OfficeRules(office, seats=(HolidaySeat(office, label=office),), weekend=weekend)


def _bad(message: str, target: str | None = None) -> InvalidInput:
    return InvalidInput(message, code="invalidCalendar", target=target)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]


def _office_key(office: object, source: str) -> str:
    if not isinstance(office, str) or not _OFFICE_KEY.fullmatch(office):
        raise _bad(f"{source}: key {office!r} is not a two-letter uppercase ST.3 office code", str(office))
    return office


def _date(value: object, where: str, source: str) -> _dt.date:
    if not isinstance(value, str):
        raise InvalidDate(f"{source}: {where} = {value!r} is not an ISO date string (YYYY-MM-DD)", target=where)
    try:
        return parse_date(value)
    except InvalidDate as exc:
        raise InvalidDate(f"{source}: {where}: {exc.message}", target=where) from None


def _month_day(value: object, where: str, source: str) -> tuple[int, int]:
    match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _bad(f"{source}: {where} = {value!r} is not a month and day (MM-DD)", where)
    month, day = int(match[1]), int(match[2])
    try:
        _dt.date(2000, month, day)  # a leap year: 02-29 is a valid recurring day
    except ValueError:
        raise _bad(f"{source}: {where} = {value!r} is not a day of the year", where) from None
    return month, day


def _int(raw: Mapping[str, Any], key: str, where: str, source: str) -> int:
    value = raw.get(key)
    if type(value) is not int:
        raise _bad(f"{source}: {where}.{key} must be a year (an integer)", f"{where}.{key}")
    return value


def _source_key(raw: Mapping[str, Any], where: str, sources: Mapping[str, str], source: str) -> str:
    key = raw.get("source")
    if not isinstance(key, str) or key not in sources:
        # Every closing day names where it comes from (HOLIDAYS policy): an unsourced date is refused.
        raise _bad(f"{source}: {where}.source {key!r} is not one of the keys of 'sources'", f"{where}.source")
    return key


def _list(raw: Mapping[str, Any], key: str, where: str, source: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _bad(f"{source}: {where}.{key} must be a list of objects", f"{where}.{key}")
    return value


def _office_rules(code: str, raw: object, sources: Mapping[str, str], where: str) -> OfficeRules:
    if not isinstance(raw, Mapping):
        raise _bad(f"{where} must be an object", code)
    seats = []
    for i, seat in enumerate(_list(raw, "publicHolidays", code, where)):
        country = seat.get("country")
        if not isinstance(country, str) or country not in _holidays.list_supported_countries():
            raise _bad(f"{where}.publicHolidays[{i}]: the holidays package has no country {country!r}")
        subdiv = seat.get("subdiv")
        categories = tuple(seat.get("categories", ["public"]))
        try:
            _holidays.country_holidays(country, subdiv=subdiv, years=2000, categories=categories)
        except (NotImplementedError, ValueError) as exc:
            raise _bad(f"{where}.publicHolidays[{i}]: {exc}") from None
        only = seat.get("only")
        seats.append(
            HolidaySeat(
                country,
                subdiv,
                categories,
                None if only is None else frozenset(str(n) for n in only),
                bool(seat.get("workdays", False)),
                str(seat.get("label", "")),
                tuple(str(x) for x in seat.get("except", [])),
            )
        )
    closures: dict[_dt.date, tuple[str, str]] = {}
    for i, entry in enumerate(_list(raw, "closures", code, where)):
        at = f"closures[{i}]"
        first, last = _date(entry.get("from"), at + ".from", where), _date(entry.get("to"), at + ".to", where)
        if last < first or (last - first).days > 31:
            raise _bad(f"{where}.{at}: 'to' must be on or after 'from', and within a month of it", at)
        key = _source_key(entry, at, sources, where)
        day = first
        while day <= last:
            closures[day] = (str(entry.get("name", "closing day")), key)
            day += _dt.timedelta(days=1)
    annual = []
    for i, entry in enumerate(_list(raw, "annual", code, where)):
        at = f"annual[{i}]"
        start, end = _month_day(entry.get("from"), at + ".from", where), _month_day(entry.get("to"), at + ".to", where)
        if end < start:
            raise _bad(f"{where}.{at}: a yearly closure runs within one year; split one crossing 31 December", at)
        annual.append(
            _Annual(
                _int(entry, "first", at, where),
                _int(entry, "last", at, where),
                start,
                end,
                str(entry.get("name", "closing day")),
                _source_key(entry, at, sources, where),
            )
        )
    open_days = {
        _date(entry.get("date"), f"openDays[{i}].date", where): _source_key(entry, f"openDays[{i}]", sources, where)
        for i, entry in enumerate(_list(raw, "openDays", code, where))
    }
    coverage = []
    for i, entry in enumerate(_list(raw, "coverage", code, where)):
        at = f"coverage[{i}]"
        coverage.append(
            Coverage(
                _int(entry, "first", at, where),
                _int(entry, "last", at, where),
                _source_key(entry, at, sources, where),
                bool(entry.get("complete", False)),
            )
        )
    return OfficeRules(
        code,
        str(raw.get("name", "")),
        str(raw.get("law", "")),
        tuple(seats),
        MappingProxyType(closures),
        tuple(annual),
        MappingProxyType(open_days),
        tuple(coverage),
    )
