"""When the service centre is open: Chinese working days, including the adjusted weekends.

China moves working days around its public holidays (调休): a Saturday or Sunday near a long
holiday becomes a working day and the centre opens. The official calendar (the `holidays`
package's State Council schedules, overridden by the centre's calendar file) says which days
those are, the same calendar deadlines and statistics count with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from snapshot.calendar import official_calendar

LONG_CLOSURE = 3  # closed days in a row that make a holiday (a weekend is 2)
PRE_HOLIDAY_BOOST = (1.15, 1.3)  # last two open days before a holiday, in order
POST_HOLIDAY_BOOST = (1.45, 1.25, 1.1)  # first three open days after it


@dataclass(frozen=True)
class ServiceCalendar:
    days: npt.NDArray[np.datetime64]
    open: npt.NDArray[np.bool_]
    holiday_factor: npt.NDArray[np.float64]  # pre-holiday rush and post-holiday catch-up

    @property
    def open_days(self) -> npt.NDArray[np.datetime64]:
        return self.days[self.open]

    def open_day_after(
        self, day: npt.NDArray[np.datetime64], working_days: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.datetime64]:
        """The open day `working_days` open days after each (open) `day`."""
        opened = self.open_days
        position = np.searchsorted(opened, day) + working_days
        return opened[np.minimum(position, len(opened) - 1)]


def service_calendar(first: date, last: date) -> ServiceCalendar:
    count = (last - first).days + 1
    days = np.arange(np.datetime64(first, "D"), np.datetime64(first, "D") + count)
    is_open = official_calendar().span(first, last).is_working(days)
    factor = np.ones(count)
    closed_run = 0
    for d in range(count):
        if not is_open[d]:
            closed_run += 1
            continue
        if closed_run >= LONG_CLOSURE:
            _boost_open_days(factor, is_open, d, +1, POST_HOLIDAY_BOOST)
            _boost_open_days(factor, is_open, d - closed_run - 1, -1, PRE_HOLIDAY_BOOST[::-1])
        closed_run = 0
    return ServiceCalendar(days=days, open=is_open, holiday_factor=factor)


def _boost_open_days(
    factor: npt.NDArray[np.float64],
    is_open: npt.NDArray[np.bool_],
    start: int,
    step: int,
    boosts: tuple[float, ...],
) -> None:
    """Multiply the open days walking from `start` in direction `step` by `boosts`."""
    d = start
    for boost in boosts:
        while 0 <= d < len(is_open) and not is_open[d]:
            d += step
        if not 0 <= d < len(is_open):
            return
        factor[d] *= boost
        d += step
