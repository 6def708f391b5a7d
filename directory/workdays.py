"""Working days in mainland China, with the State Council's adjusted working days (调休).

Deadlines in the sharing rules and in case supervision count working days: a weekend that is
made a working day to bridge a holiday counts, a weekday holiday does not. `holidays.China`
carries both; this module is the one place that asks it, so the analytics reuse the same
calendar.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import holidays

CHINA = ZoneInfo("Asia/Shanghai")


@cache
def _calendar() -> holidays.HolidayBase:
    # One calendar per process; it fills in each year the first time a date in it is asked.
    return holidays.China()


def local_today() -> dt.date:
    """Today in China, which is what "today" means for deadlines and grant validity."""
    return dt.datetime.now(CHINA).date()


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA).date()


def is_working_day(day: dt.date) -> bool:
    return bool(_calendar().is_working_day(day))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    A request made on Monday has an age of 1 on Tuesday, whatever time it arrived.
    """
    if end <= start:
        return 0
    return int(_calendar().get_working_days_count(start + dt.timedelta(days=1), end))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start`: the deadline of an N-working-day limit."""
    return dt.date.fromordinal(_calendar().get_nth_working_day(start, days).toordinal())
