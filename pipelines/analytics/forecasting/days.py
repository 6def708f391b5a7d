"""Which days a series can have demand on, and what the models are told about each open day.

The centre is closed on weekends and official holidays, known in advance from the calendar,
so models see only open days: a closed day is forecast as closed, never as a quiet day. Each
open day carries regressors: its weekday, and whether it is one of the last two open days
before a long closure or the first three after one, when applicants rush in or catch up.

A user's own series may be open every day (a hospital's births, a railway's riders): then the
week has seven open days, and a country's public holidays (the `holidays` package) are open
days that behave differently, told to the models as a holiday and the days either side of it.
A user's own closures (`closed`) are closed days in either book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from snapshot.calendar import DayKind, OfficialCalendar

LONG_CLOSURE_DAYS = 3  # closed days in a row that make a holiday (an ordinary weekend is 2)
LOOKAHEAD_DAYS = 21  # days past a horizon to look at, to know whether a closure follows it
PRE_HOLIDAY = ("pre_holiday_2", "pre_holiday_1")  # second-to-last and last open day before
POST_HOLIDAY = ("post_holiday_1", "post_holiday_2", "post_holiday_3")
Days = npt.NDArray[np.datetime64]
Flags = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class DayBook:
    """Every calendar day from `days[0]`: open or not, an official holiday, provisional."""

    days: Days
    open: Flags
    holiday: Flags
    provisional: Flags
    weekends_open: bool = False  # every day of an ordinary week is open

    @property
    def closes(self) -> bool:
        """Whether weekends close: then weekend working days are rare, and closures matter."""
        return not self.weekends_open and not bool(self.open.all())

    @property
    def season_length(self) -> int:
        """Open days in an ordinary week: the seasonal period of the open-day series."""
        return 5 if self.closes else 7

    def index(self, first: dt.date, last: dt.date) -> npt.NDArray[np.int64]:
        """Positions of the open days from `first` to `last` (both included)."""
        low = np.datetime64(first, "D")
        high = np.datetime64(last, "D")
        return np.flatnonzero(self.open & (self.days >= low) & (self.days <= high))

    def regressors(self) -> dict[str, npt.NDArray[np.float64]]:
        """Regressors for every open day of the book, in order (Monday is the reference)."""
        weekday = (self.days[self.open].astype(np.int64) + 3) % 7  # 1970-01-01: a Thursday
        columns = {f"weekday_{d}": (weekday == d).astype(np.float64) for d in range(1, 5)}
        if self.closes:
            columns["weekend_workday"] = (weekday >= 5).astype(np.float64)
            before, after = _closed_runs(self.open)
            post = before >= LONG_CLOSURE_DAYS
            pre = after >= LONG_CLOSURE_DAYS
            for lag, name in enumerate(POST_HOLIDAY):
                columns[name] = _shift(post, lag)
            for lead, name in zip((1, 0), PRE_HOLIDAY, strict=True):
                columns[name] = _shift(pre, -lead)
        else:
            for d in (5, 6):
                columns[f"weekday_{d}"] = (weekday == d).astype(np.float64)
            holiday = self.holiday[self.open]
            if holiday.any():
                columns["holiday"] = holiday.astype(np.float64)
                columns["pre_holiday_1"] = _shift(holiday, -1) * ~holiday
                columns["post_holiday_1"] = _shift(holiday, 1) * ~holiday
            if not self.open.all():
                before, after = _closed_runs(self.open)
                columns["post_closure_1"] = (before > 0).astype(np.float64)
                columns["pre_closure_1"] = (after > 0).astype(np.float64)
        return columns


def centre_days(calendar: OfficialCalendar, first: dt.date, last: dt.date) -> DayBook:
    """The centre's days on the official calendar: open exactly on working days."""
    span = calendar.span(first, last)
    start = (first - span.first).days
    stop = (last - span.first).days + 1
    kinds = span.kinds[start:stop]
    return DayBook(
        days=np.datetime64(first, "D") + np.arange(stop - start),
        open=span.working[start:stop].copy(),
        holiday=np.array([k is DayKind.holiday for k in kinds], dtype=np.bool_),
        provisional=span.provisional[start:stop].copy(),
    )


def every_day(
    first: dt.date,
    last: dt.date,
    holidays: Collection[dt.date] = (),
    closed: Collection[dt.date] = (),
) -> DayBook:
    """A book where every day is open but `closed`, and `holidays` are flagged: for series
    that are not a service centre's."""
    days = np.datetime64(first, "D") + np.arange((last - first).days + 1)
    return DayBook(
        days=days,
        open=~_among(days, closed),
        holiday=_among(days, holidays),
        provisional=np.zeros(len(days), dtype=np.bool_),
        weekends_open=True,
    )


def weekdays(
    first: dt.date,
    last: dt.date,
    holidays: Collection[dt.date] = (),
    closed: Collection[dt.date] = (),
) -> DayBook:
    """A book open Monday to Friday except on `holidays` and `closed`: an office elsewhere."""
    days = np.datetime64(first, "D") + np.arange((last - first).days + 1)
    holiday = _among(days, holidays)
    weekend = (days.astype(np.int64) + 3) % 7 >= 5
    return DayBook(
        days=days,
        open=~(weekend | holiday | _among(days, closed)),
        holiday=holiday,
        provisional=np.zeros(len(days), dtype=np.bool_),
    )


def without(book: DayBook, closed: Collection[dt.date]) -> DayBook:
    """`book` with the days `closed` closed too: a centre's own closures."""
    return replace(book, open=book.open & ~_among(book.days, closed))


def _among(days: Days, dates: Collection[dt.date]) -> Flags:
    wanted = np.array(sorted(dates), dtype="datetime64[D]")
    return np.isin(days, wanted)


def _closed_runs(is_open: Flags) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each open day, the closed days right before it and right after it."""
    before = np.zeros(int(is_open.sum()), dtype=np.int64)
    after = np.zeros_like(before)
    run = 0
    k = -1
    for is_day_open in is_open:
        if not is_day_open:
            run += 1
            continue
        if k >= 0:
            after[k] = run
        k += 1
        before[k] = run
        run = 0
    if k >= 0:
        after[k] = run
    return before, after


def _shift(flags: npt.NDArray[np.bool_], lag: int) -> npt.NDArray[np.float64]:
    """`flags` moved `lag` open days later (earlier when negative), as 0/1."""
    out = np.zeros(len(flags), dtype=np.float64)
    if lag >= 0:
        out[lag:] = flags[: len(flags) - lag]
    else:
        out[:lag] = flags[-lag:]
    return out
