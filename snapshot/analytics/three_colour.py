"""The three-colour warning (红黄绿三色管理) for every open case.

Green while the case is within its promise; yellow from `yellow_working_days` working days
before the deadline (the deadline day itself included); red once the deadline day has passed
(plus `red_grace_working_days`, 0 unless the centre configures otherwise). On-the-spot cases
are due the day they were received. Colours depend on the day they are judged on, so the API
re-colours the stored deadlines for the day it is asked about.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from snapshot.analytics.config import WarningPolicy
from snapshot.calendar import CalendarSpan, OfficialCalendar, to_date

WARNING_COLUMNS = (
    "case_no",
    "service_item_code",
    "service_item_name",
    "department",
    "service_window",
    "case_type",
    "promised_days",
    "received_at",
    "deadline",
)


class Colour(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"


def colours(
    deadlines: npt.NDArray[np.datetime64],
    as_of: dt.date,
    policy: WarningPolicy,
    span: CalendarSpan,
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]]:
    """The colour of each open case due on `deadlines`, and its working days left (negative
    once overdue by whole working days)."""
    today = np.full(len(deadlines), np.datetime64(as_of, "D"))
    left = span.working_days_between(today, deadlines)
    red_from = (
        span.add_working_days(deadlines, np.full(len(deadlines), policy.red_grace_working_days))
        if policy.red_grace_working_days
        else deadlines
    )
    colour = np.where(
        today > red_from,
        Colour.red.value,
        np.where(left <= policy.yellow_working_days, Colour.yellow.value, Colour.green.value),
    )
    return colour, left


def case_warnings(
    records: pa.Table, as_of: dt.date, policy: WarningPolicy, calendar: OfficialCalendar
) -> pa.Table:
    """Every open case with its deadline, working days left, colour and provisional flag."""
    open_cases = records.filter(pc.is_null(records.column("completed_at")))
    return recolour(open_cases.select(list(WARNING_COLUMNS)), as_of, policy, calendar)


def recolour(
    cases: pa.Table, as_of: dt.date, policy: WarningPolicy, calendar: OfficialCalendar
) -> pa.Table:
    """Open cases (`WARNING_COLUMNS`) judged on `as_of`: what the API serves for any day."""
    deadlines = _days(cases.column("deadline"))
    received = _days(cases.column("received_at"))
    if len(cases):
        first = min(to_date(received.min()), as_of)
        last = max(to_date(deadlines.max()), as_of) + dt.timedelta(days=60)
        span = calendar.span(first, last)
        colour, left = colours(deadlines, as_of, policy, span)
        today = np.full(len(deadlines), np.datetime64(as_of, "D"))
        provisional = span.any_provisional(
            np.minimum(received, today), np.maximum(deadlines, today)
        )
    else:
        colour = np.zeros(0, dtype=str)
        left = np.zeros(0, dtype=np.int64)
        provisional = np.zeros(0, dtype=bool)
    return pa.table(
        {
            **{name: cases.column(name) for name in WARNING_COLUMNS},
            "working_days_left": pa.array(left, type=pa.int64()),
            "colour": pa.array(colour, type=pa.string()),
            "provisional": pa.array(provisional, type=pa.bool_()),
            "as_of": pa.array([as_of] * len(cases), type=pa.date32()),
        }
    )


def _days(column: pa.ChunkedArray) -> npt.NDArray[np.datetime64]:
    days = pc.cast(column, pa.date32()).to_numpy(zero_copy_only=False)
    return np.asarray(days, dtype="datetime64[D]")
