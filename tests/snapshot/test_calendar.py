"""The official calendar: holidays, adjusted working weekends (调休), the centre's own file,
and dates past the known schedule marked provisional."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import holidays
import numpy as np
import pytest

from snapshot.calendar import (
    CalendarFileError,
    DayKind,
    OfficialCalendar,
    load_schedules,
    official_calendar,
    package_schedule_years,
)

D = dt.date
CALENDAR_2027 = """\
years:
  2027:
    notice: 国务院办公厅关于2027年部分节假日安排的通知（测试用）
    holidays:
      - {name: 元旦, dates: [2027-01-01]}
      - {name: 春节, from: 2027-02-05, to: 2027-02-11}
    working_days: [2027-02-13]
"""


def test_national_day_2026_with_its_adjusted_weekends() -> None:
    calendar = OfficialCalendar()
    # 2026: Sunday 20 September and Saturday 10 October are worked for the 1-7 October break.
    assert calendar.day(D(2026, 9, 20)).kind is DayKind.adjusted_workday
    assert calendar.day(D(2026, 10, 10)).kind is DayKind.adjusted_workday
    assert calendar.day(D(2026, 10, 1)).kind is DayKind.holiday
    assert calendar.day(D(2026, 10, 1)).name == "国庆节"
    assert not calendar.is_working_day(D(2026, 10, 7))  # a Wednesday off
    assert calendar.day(D(2026, 10, 4)).kind is DayKind.weekend
    # Friday 18 Sep -> Sunday 20 (worked) -> Monday 21 ... Wednesday 30, then Thursday 8 Oct.
    assert calendar.working_days_between(D(2026, 9, 18), D(2026, 9, 21)) == 2
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)  # the Saturday
    assert calendar.add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert calendar.add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 10, 9), 0) == D(2026, 10, 9)


def test_spring_festival_2026_nine_days_off_between_two_worked_saturdays() -> None:
    calendar = OfficialCalendar()
    assert calendar.is_working_day(D(2026, 2, 14)) and calendar.is_working_day(D(2026, 2, 28))
    closed = [D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)]
    assert not any(calendar.is_working_day(day) for day in closed)
    assert calendar.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6  # 14, 24-27, 28


def test_agrees_with_the_holidays_package_wherever_it_knows_the_schedule() -> None:
    """The scalar semantics workdays.py has today (holidays.China), on random dates."""
    calendar = OfficialCalendar()
    package = holidays.China()
    rng = random.Random(7)
    for _ in range(400):
        start = D(2004, 1, 1) + dt.timedelta(days=rng.randrange(365 * 22))
        end = start + dt.timedelta(days=rng.randrange(-20, 80))
        n = rng.randrange(-25, 26)
        assert calendar.is_working_day(start) == package.is_working_day(start)
        assert calendar.add_working_days(start, n) == package.get_nth_working_day(start, n)
        expected = (
            package.get_working_days_count(start + dt.timedelta(days=1), end) if end > start else 0
        )
        assert calendar.working_days_between(start, end) == expected


def test_vectorised_span_matches_the_scalar_answers() -> None:
    calendar = OfficialCalendar()
    starts = [D(2025, 9, 26), D(2026, 2, 13), D(2026, 9, 30), D(2024, 12, 31)]
    counts = [10, 2, 3, 20]
    span = calendar.span(D(2024, 1, 1), D(2026, 12, 31))
    days = np.array(starts, dtype="datetime64[D]")
    found = span.add_working_days(days, np.array(counts))
    assert [str(d) for d in found] == [
        str(calendar.add_working_days(s, n)) for s, n in zip(starts, counts, strict=True)
    ]
    ends = found + 5
    assert list(span.working_days_between(days, ends)) == [
        calendar.working_days_between(s, dt.date.fromisoformat(str(e)))
        for s, e in zip(starts, ends, strict=True)
    ]


def test_dates_past_the_known_schedule_are_provisional() -> None:
    calendar = OfficialCalendar()
    last = package_schedule_years()[-1]
    assert calendar.known_through == last
    assert not calendar.day(D(last, 12, 31)).provisional
    later = calendar.day(D(last + 1, 2, 9))
    assert later.provisional
    span = calendar.span(D(last, 12, 1), D(last + 1, 1, 31))
    dec, jan = np.datetime64(D(last, 12, 20)), np.datetime64(D(last + 1, 1, 5))
    assert list(span.any_provisional(np.array([dec, dec]), np.array([dec + 5, jan]))) == [
        False,
        True,
    ]


def test_the_centre_file_replaces_a_year_and_makes_it_known(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    calendar = OfficialCalendar(load_schedules(path))
    assert 2027 in calendar.known_years and calendar.known_through == 2027
    assert not calendar.day(D(2027, 2, 9)).provisional
    assert calendar.day(D(2027, 2, 8)).name == "春节"
    assert calendar.day(D(2027, 2, 13)).kind is DayKind.adjusted_workday
    # The package's rule-based guess for 2027 (Labour Day off) is gone: the file is the year.
    assert calendar.is_working_day(D(2027, 5, 3))
    assert not OfficialCalendar().is_working_day(D(2027, 5, 3))
    assert calendar.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 12)


def test_official_calendar_follows_the_file_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "calendar.yaml"
    monkeypatch.setenv("ONCEONLY_CALENDAR", str(path))
    assert official_calendar().day(D(2027, 2, 9)).provisional
    path.write_text(CALENDAR_2027, encoding="utf-8")
    assert not official_calendar().day(D(2027, 2, 9)).provisional


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("years:\n  2027:\n    working_days: [2027-02-10]\n", "is a weekday"),
        ("years:\n  2027:\n    working_days: [2028-01-08]\n", "listed under 2027"),
        ("years:\n  2027:\n    holidays: [{name: x}]\n", "either `dates` or `from`"),
        ("years:\n  2027:\n    holidays: [{name: x, from: 2027-02-05}]\n", "both `from`"),
        (
            "years:\n  2027:\n    holidays: [{name: x, dates: [2027-02-13]}]\n"
            "    working_days: [2027-02-13]\n",
            "both as a holiday",
        ),
        ("years:\n  2027:\n    holliday: []\n", "not valid"),
        ("years: [", "cannot read"),
    ],
)
def test_a_wrong_calendar_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError, match=message):
        load_schedules(path)


def test_the_calendar_command_shows_a_year_and_what_is_provisional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from onceonly_cli.main import app

    monkeypatch.setenv("ONCEONLY_CALENDAR", str(tmp_path / "calendar.yaml"))
    known = CliRunner().invoke(app, ["analytics", "calendar", "--year", "2026"])
    assert known.exit_code == 0, known.output
    assert "2026-09-20" in known.output and "adjusted_workday" in known.output
    assert "provisional" not in known.output
    later = CliRunner().invoke(app, ["analytics", "calendar", "--year", "2027"])
    assert "2027 is provisional" in " ".join(later.output.split())
