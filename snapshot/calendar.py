"""The official working-day calendar of mainland China, as the service centre must apply it.

Deadlines (承诺时限), case statistics and demand forecasts all count working days: weekday
public holidays do not count, weekends made working days to bridge a holiday (调休) do. The
State Council publishes each year's schedule in November or December, and `holidays.China`
carries it only once the package is released with it; past its last schedule it silently
returns rule-based holidays without any 调休. So this module:

- takes the package's calendar for the years whose official schedule it carries (2001 to
  the last year in its static table);
- lets the centre load a schedule itself: a YAML file (`ONCEONLY_CALENDAR`, default
  `$ONCEONLY_HOME/calendar.yaml`) whose years replace the package's year by year, so a newly
  published schedule applies before any package upgrade, and a wrong day can be corrected;
- marks every other date *provisional*: it is still answered (from the package's rules,
  weekends off) but flagged, so every deadline, statistic and forecast built on it can say so.

Scalar questions (`is_working_day`, `working_days_between`, `add_working_days`) and the same
questions over numpy arrays of dates (`CalendarSpan`) are answered from one table of days, so
the API, the pipelines and the analytics can never disagree. That is why it sits in the
snapshot package, which all of them may import: the deadlines the pipelines publish and the
colours the API recomputes for any day must be counted on the same calendar.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import holidays
import numpy as np
import numpy.typing as npt
import yaml
from holidays.countries.china import ChinaStaticHolidays
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import settings

FIRST_CHECKED_YEAR = 2001  # the package checks its China calendar against notices from 2001
ADJUSTED_WORKDAY_NAME = "调休上班"
Days = npt.NDArray[np.datetime64]


class CalendarFileError(ValueError):
    """The centre's calendar file cannot be used; the message says which entry and why."""


class DayKind(StrEnum):
    workday = "workday"  # an ordinary Monday to Friday
    adjusted_workday = "adjusted_workday"  # 调休: a Saturday or Sunday made a working day
    weekend = "weekend"
    holiday = "holiday"  # an official day off, on a weekday or a weekend


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    kind: DayKind
    name: str | None  # the holiday's name, or 调休上班
    provisional: bool  # past (or before) any official schedule the calendar knows

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.workday, DayKind.adjusted_workday)


# ---- the centre's calendar file ----------------------------------------------------------


class _HolidayEntry(BaseModel):
    """One named holiday: a list of dates, or a range from..to (both included)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1)
    dates: list[dt.date] = Field(default_factory=list)
    start: dt.date | None = Field(default=None, alias="from")
    end: dt.date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _one_form(self) -> _HolidayEntry:
        if bool(self.dates) == (self.start is not None or self.end is not None):
            raise ValueError(f"holiday {self.name!r}: give either `dates` or `from` and `to`")
        if (self.start is None) != (self.end is None):
            raise ValueError(f"holiday {self.name!r}: give both `from` and `to`")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"holiday {self.name!r}: `to` is before `from`")
        return self

    def days(self) -> list[dt.date]:
        if self.start is None or self.end is None:
            return list(self.dates)
        count = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=i) for i in range(count)]


class _YearEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice: str = Field(default="", description="the State Council notice it comes from")
    holidays: list[_HolidayEntry] = Field(default_factory=list)
    working_days: list[dt.date] = Field(default_factory=list)


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    years: dict[int, _YearEntry]


@dataclass(frozen=True)
class YearSchedule:
    """A year's official schedule: its days off and its weekends made working days."""

    year: int
    notice: str
    holidays: Mapping[dt.date, str]
    working_days: frozenset[dt.date]


def load_schedules(path: Path) -> dict[int, YearSchedule]:
    """Read and check the centre's calendar file; each year in it is a complete schedule."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _CalendarFile.model_validate(document)
    except (OSError, yaml.YAMLError) as error:
        raise CalendarFileError(f"cannot read the calendar file {path}: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise CalendarFileError(f"the calendar file {path} is not valid: {problems}") from error
    return {year: _schedule(path, year, entry) for year, entry in parsed.years.items()}


def _schedule(path: Path, year: int, entry: _YearEntry) -> YearSchedule:
    days_off: dict[dt.date, str] = {}
    for holiday in entry.holidays:
        for day in holiday.days():
            if day.year != year:
                raise CalendarFileError(f"{path}: {holiday.name} {day} is listed under {year}")
            days_off[day] = holiday.name
    for day in entry.working_days:
        if day.year != year:
            raise CalendarFileError(f"{path}: working day {day} is listed under {year}")
        if day.weekday() < 5:
            raise CalendarFileError(
                f"{path}: working day {day} is a weekday; list only the Saturdays and "
                "Sundays that the notice makes working days (调休上班)"
            )
        if day in days_off:
            raise CalendarFileError(f"{path}: {day} is listed both as a holiday and working")
    return YearSchedule(year, entry.notice, days_off, frozenset(entry.working_days))


def calendar_file() -> Path:
    """ONCEONLY_CALENDAR (default `$ONCEONLY_HOME/calendar.yaml`); it need not exist."""
    return settings.current().calendar


# ---- the calendar -------------------------------------------------------------------------


def package_schedule_years() -> range:
    """Years whose official schedule (with 调休) the installed `holidays` package carries.

    The package keeps each year's State Council adjustments in its static table for China;
    the last year there is the last one it knows. Later years are its rule-based guess.
    """
    return range(FIRST_CHECKED_YEAR, max(ChinaStaticHolidays.special_public_holidays) + 1)


@cache
def _package_year(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    calendar = holidays.China(years=year, language="zh_CN")
    days_off = {day: str(name) for day, name in calendar.items() if day.year == year}
    working = frozenset(d for d in calendar.weekend_workdays if d.year == year)
    return days_off, working


@dataclass(frozen=True)
class CalendarSpan:
    """Every day from `first` for `len(kinds)` days, as arrays: the vectorised calendar.

    `ordinal[i]` counts the working days up to and including day i, so working days between
    two dates are a subtraction and adding working days is a binary search.
    """

    first: dt.date
    kinds: tuple[DayKind, ...]
    names: tuple[str | None, ...]
    working: npt.NDArray[np.bool_]
    provisional: npt.NDArray[np.bool_]
    ordinal: npt.NDArray[np.int64]
    provisional_ordinal: npt.NDArray[np.int64]

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=len(self.kinds) - 1)

    @property
    def days(self) -> Days:
        return np.datetime64(self.first, "D") + np.arange(len(self.kinds))

    def position(self, days: Days) -> npt.NDArray[np.int64]:
        offset = np.asarray(days, dtype="datetime64[D]") - np.datetime64(self.first, "D")
        position = offset.astype(np.int64)
        if position.size and (position.min() < 0 or position.max() >= len(self.kinds)):
            raise ValueError(f"dates outside the calendar span {self.first}..{self.last}")
        return position

    def is_working(self, days: Days) -> npt.NDArray[np.bool_]:
        return self.working[self.position(days)]

    def working_days_between(self, start: Days, end: Days) -> npt.NDArray[np.int64]:
        """Working days after `start` up to and including `end`; negative when end < start."""
        return self.ordinal[self.position(end)] - self.ordinal[self.position(start)]

    def add_working_days(self, start: Days, count: npt.NDArray[np.int64]) -> Days:
        """The `count`-th working day after each start (before it when negative); with 0,
        the start itself if it is a working day, else the next working day."""
        count = np.asarray(count, dtype=np.int64)
        position = self.position(start)
        before = np.where(position > 0, self.ordinal[np.maximum(position - 1, 0)], 0)
        target = np.where(count > 0, self.ordinal[position] + count, before + count + 1)
        found = np.searchsorted(self.ordinal, target, side="left")
        if found.size and (found.max() >= len(self.kinds) or target.min() < 1):
            raise ValueError(f"working days run past the calendar span {self.first}..{self.last}")
        return np.datetime64(self.first, "D") + found

    def any_provisional(self, start: Days, end: Days) -> npt.NDArray[np.bool_]:
        """Whether any day from `start` to `end` (both included) is provisional."""
        first, last = self.position(start), self.position(end)
        before = np.where(first > 0, self.provisional_ordinal[np.maximum(first - 1, 0)], 0)
        return np.asarray(self.provisional_ordinal[last] - before > 0)


class OfficialCalendar:
    """The package's schedule for the years it knows, replaced year by year by the centre's."""

    SPAN_MARGIN_YEARS = 2

    def __init__(self, schedules: Mapping[int, YearSchedule] | None = None) -> None:
        self.schedules = dict(schedules or {})
        self.known_years = frozenset(package_schedule_years()) | frozenset(self.schedules)
        self._span: CalendarSpan | None = None
        self._lock = threading.Lock()

    @property
    def known_through(self) -> int:
        """The last year of the unbroken run of official schedules from 2001."""
        year = FIRST_CHECKED_YEAR
        while year + 1 in self.known_years:
            year += 1
        return year

    def is_provisional(self, day: dt.date) -> bool:
        return day.year not in self.known_years

    def day(self, day: dt.date) -> CalendarDay:
        span = self.span(day, day)
        i = (day - span.first).days
        return CalendarDay(day, span.kinds[i], span.names[i], bool(span.provisional[i]))

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start).

        A request made on Monday has an age of 1 on Tuesday, whatever time it arrived.
        """
        if end <= start:
            return 0
        span = self.span(start, end)
        ordinal = span.ordinal
        return int(ordinal[(end - span.first).days] - ordinal[(start - span.first).days])

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start`: the deadline of an N-working-day limit.

        Negative `days` count backwards; 0 gives `start` if it is a working day, else the
        next one (as `holidays`' `get_nth_working_day` does).
        """
        reach = dt.timedelta(days=3 * abs(days) + 60)  # enough for any run of holidays
        span = self.span(start - reach, start + reach)
        return to_date(span.add_working_days(_day_array(start), np.array([days]))[0])

    def span(self, first: dt.date, last: dt.date) -> CalendarSpan:
        """A span covering at least `first`..`last`; cached, and grown by whole years."""
        with self._lock:
            span = self._span
            if span is None or first < span.first or last > span.last:
                low = min(first.year, span.first.year if span else first.year)
                high = max(last.year, span.last.year if span else last.year)
                span = self._build(low - 1, high + self.SPAN_MARGIN_YEARS)
                self._span = span
            return span

    def _build(self, first_year: int, last_year: int) -> CalendarSpan:
        kinds: list[DayKind] = []
        names: list[str | None] = []
        provisional: list[bool] = []
        for year in range(first_year, last_year + 1):
            days_off, working = self._year(year)
            unknown = year not in self.known_years
            day = dt.date(year, 1, 1)
            while day.year == year:
                kind, name = _classify(day, days_off, working)
                kinds.append(kind)
                names.append(name)
                provisional.append(unknown)
                day += dt.timedelta(days=1)
        is_working = np.array(
            [k in (DayKind.workday, DayKind.adjusted_workday) for k in kinds], dtype=np.bool_
        )
        marked = np.array(provisional, dtype=np.bool_)
        return CalendarSpan(
            first=dt.date(first_year, 1, 1),
            kinds=tuple(kinds),
            names=tuple(names),
            working=is_working,
            provisional=marked,
            ordinal=np.cumsum(is_working, dtype=np.int64),
            provisional_ordinal=np.cumsum(marked, dtype=np.int64),
        )

    def _year(self, year: int) -> tuple[Mapping[dt.date, str], frozenset[dt.date]]:
        schedule = self.schedules.get(year)
        if schedule is not None:
            return schedule.holidays, schedule.working_days
        return _package_year(year)


def _classify(
    day: dt.date, days_off: Mapping[dt.date, str], working: frozenset[dt.date]
) -> tuple[DayKind, str | None]:
    if day in working:
        return DayKind.adjusted_workday, ADJUSTED_WORKDAY_NAME
    if day in days_off:
        return DayKind.holiday, days_off[day]
    return (DayKind.weekend if day.weekday() >= 5 else DayKind.workday), None


def _day_array(day: dt.date) -> Days:
    return np.array([np.datetime64(day, "D")])


def to_date(day: np.datetime64) -> dt.date:
    """A numpy day as a `datetime.date`."""
    return dt.date.fromisoformat(str(day.astype("datetime64[D]")))


_calendars: dict[tuple[str, int], OfficialCalendar] = {}
_calendars_lock = threading.Lock()


def official_calendar() -> OfficialCalendar:
    """The calendar with the centre's file applied; re-read when the file changes."""
    path = calendar_file()
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = -1
    key = (str(path), stamp)
    with _calendars_lock:
        if key not in _calendars:
            schedules = load_schedules(path) if stamp >= 0 else {}
            _calendars.clear()
            _calendars[key] = OfficialCalendar(schedules)
        return _calendars[key]
