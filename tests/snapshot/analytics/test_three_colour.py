"""The three-colour warning (红黄绿): each colour, on working days, with configured thresholds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from pipelines.analytics.records import case_records, read_current_cases
from snapshot.analytics.config import WarningPolicy
from snapshot.analytics.three_colour import case_warnings, colours
from snapshot.calendar import OfficialCalendar
from tests.pipelines.analytics.support import case, write_snapshot

D = dt.date
CALENDAR = OfficialCalendar()
SPAN = CALENDAR.span(D(2026, 1, 1), D(2027, 12, 31))


def judge(deadline: dt.date, as_of: dt.date, policy: WarningPolicy | None = None) -> str:
    colour, _ = colours(
        np.array([deadline], dtype="datetime64[D]"), as_of, policy or WarningPolicy(), SPAN
    )
    return str(colour[0])


@pytest.mark.parametrize(
    ("deadline", "as_of", "expected"),
    [
        (D(2026, 11, 25), D(2026, 11, 23), "green"),  # two working days left
        (D(2026, 11, 24), D(2026, 11, 23), "yellow"),  # one working day before the deadline
        (D(2026, 11, 23), D(2026, 11, 23), "yellow"),  # the deadline day itself
        (D(2026, 11, 20), D(2026, 11, 23), "red"),  # overdue
        (D(2026, 11, 20), D(2026, 11, 21), "red"),  # overdue on a Saturday already
        # Across National Day: 8 calendar days but one working day away, so yellow ...
        (D(2026, 10, 8), D(2026, 9, 30), "yellow"),
        # ... and two working days (8 Oct, Saturday 10 Oct is worked) is still green.
        (D(2026, 10, 10), D(2026, 9, 30), "green"),
    ],
)
def test_each_colour_on_working_days(deadline: dt.date, as_of: dt.date, expected: str) -> None:
    assert judge(deadline, as_of) == expected


def test_thresholds_are_configuration() -> None:
    wider = WarningPolicy(yellow_working_days=3)
    assert judge(D(2026, 11, 25), D(2026, 11, 23), wider) == "yellow"
    assert judge(D(2026, 11, 27), D(2026, 11, 23), wider) == "green"
    grace = WarningPolicy(red_grace_working_days=1)  # red one working day after the deadline
    assert judge(D(2026, 11, 20), D(2026, 11, 23), grace) == "yellow"
    assert judge(D(2026, 11, 20), D(2026, 11, 24), grace) == "red"


def test_open_cases_get_colours_and_on_the_spot_ones_are_due_the_same_day(
    tmp_path: Path,
) -> None:
    T = dt.datetime
    cases = [
        case("late", T(2026, 11, 6, 10), None, promised=5),  # due 13 Nov
        case("soon", T(2026, 11, 20, 10), None, promised=1),  # due Mon 23 Nov
        case("fine", T(2026, 11, 16, 10), None, promised=20),  # due 14 Dec
        case("spot", T(2026, 11, 23, 9), None, case_type="即办件", promised=0),
        case("done", T(2026, 11, 2, 10), T(2026, 11, 3, 10)),
        case("next_year", T(2026, 12, 28, 10), None, promised=20),  # due in 2027
    ]
    snapshot = write_snapshot(tmp_path, cases)
    records = case_records(read_current_cases(snapshot), CALENDAR, b"k" * 32)
    judged = case_warnings(records, D(2026, 11, 23), WarningPolicy(), CALENDAR)
    monday = {r["case_no"]: r for r in judged.to_pylist()}
    assert {k: v["colour"] for k, v in monday.items()} == {
        "late": "red",
        "soon": "yellow",
        "fine": "green",
        "spot": "yellow",
        "next_year": "green",
    }
    assert monday["late"]["working_days_left"] == -6
    assert monday["next_year"]["provisional"] and not monday["fine"]["provisional"]
    tuesday = case_warnings(records, D(2026, 11, 24), WarningPolicy(), CALENDAR).to_pylist()
    assert {r["case_no"]: r["colour"] for r in tuesday}["spot"] == "red"
