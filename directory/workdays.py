"""Working days in mainland China, with the State Council's adjusted working days (调休).

Deadlines in the sharing rules and in case supervision count working days: a weekend that is
made a working day to bridge a holiday counts, a weekday holiday does not. `holidays.China`
carries both; the official calendar (`snapshot.calendar`) applies the centre's own file on top,
and these scalar helpers ask it, so deadlines and analytics count the same days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from snapshot.calendar import official_calendar

CHINA = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    """Today in China, which is what "today" means for deadlines and grant validity."""
    return dt.datetime.now(CHINA).date()


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA).date()


def is_working_day(day: dt.date) -> bool:
    return official_calendar().is_working_day(day)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    A request made on Monday has an age of 1 on Tuesday, whatever time it arrived.
    """
    return official_calendar().working_days_between(start, end)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start`: the deadline of an N-working-day limit."""
    return official_calendar().add_working_days(start, days)
