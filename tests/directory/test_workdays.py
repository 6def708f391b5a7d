"""Working days with China's holidays and adjusted working days (调休)."""

from __future__ import annotations

import datetime as dt

from directory.workdays import add_working_days, is_working_day, working_days_between


def test_adjusted_weekend_days_count_and_holidays_do_not() -> None:
    assert is_working_day(dt.date(2025, 9, 28))  # Sunday made a working day
    assert not is_working_day(dt.date(2025, 10, 1))  # National Day
    assert not is_working_day(dt.date(2025, 10, 12))  # an ordinary Sunday
    assert is_working_day(dt.date(2026, 2, 14))  # Saturday before the Spring Festival


def test_counting_and_adding_working_days() -> None:
    friday = dt.date(2025, 9, 26)
    assert working_days_between(friday, dt.date(2025, 10, 13)) == 7
    assert working_days_between(friday, friday) == 0
    assert add_working_days(friday, 10) == dt.date(2025, 10, 16)
    assert add_working_days(dt.date(2025, 10, 16), -10) == friday
