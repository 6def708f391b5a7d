"""Bounds on the integers and days a request may carry, so none reaches a database it cannot
fit in, nor makes the working-day calendar build centuries.

Python's int has no limit, but the directory's keys and offsets are 64-bit signed integers
(SQLite and PostgreSQL alike) and so are DuckDB's: a larger number sent to them raises an
overflow inside the driver, which answered 500. Declared on the parameter, the bound turns
such a request into the usual 422 naming the field, and the OpenAPI description shows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

DATABASE_INT_MAX = 2**63 - 1

RowId = Annotated[
    int,
    Path(ge=1, le=DATABASE_INT_MAX, description="A positive 64-bit id, as listed by the API"),
]
VersionNumber = Annotated[
    int,
    Path(ge=1, le=DATABASE_INT_MAX, description="A version number from the entry's history"),
]
Offset = Annotated[int, Query(ge=0, le=DATABASE_INT_MAX, description="Rows to skip")]

# Days asked about ("on", "as of", "the week of") are counted in working days, and the
# calendar builds every day of the years between today and the day asked: a request for
# 9999-12-31 took seconds and hundreds of megabytes, on every route that counts deadlines.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)
DAY_RANGE = f"between {EARLIEST_DAY} and {LATEST_DAY}"


def within_calendar(day: dt.date | None) -> dt.date | None:
    """`day` unchanged when the calendar counts it (or none was given), else a ValueError
    that FastAPI turns into a 422 naming the field."""
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(
            f"{day} is outside {EARLIEST_DAY}..{LATEST_DAY}, the years the working-day "
            "calendar counts; ask about a day in that range"
        )
    return day


CalendarDay = Annotated[dt.date | None, AfterValidator(within_calendar)]
