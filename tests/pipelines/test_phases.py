"""The phase clock the landing and certification reports (and the benches) keep."""

from __future__ import annotations

import pytest

from pipelines.phases import PhaseClock, add_phases, breakdown


def test_a_phase_entered_twice_adds_up_and_keeps_its_first_place() -> None:
    clock = PhaseClock()
    with clock.phase("read"):
        pass
    with clock.phase("keys"):
        pass
    with clock.phase("read"):
        pass
    assert list(clock.seconds) == ["read", "keys"]
    assert all(seconds >= 0 for seconds in clock.rounded().values())


def test_a_phase_that_raises_is_still_counted() -> None:
    clock = PhaseClock()
    with pytest.raises(ValueError), clock.phase("gate"):
        raise ValueError("the gate failed")
    assert "gate" in clock.seconds


def test_reports_add_up_and_the_breakdown_names_what_no_phase_covers() -> None:
    totals: dict[str, float] = {}
    add_phases(totals, {"read": 1.0, "keys": 0.5})
    add_phases(totals, {"read": 2.0, "note": "not a figure"})
    assert totals == {"read": 3.0, "keys": 0.5}
    lines = breakdown(totals, 4.0)
    assert lines[0].split()[0] == "read" and "75.0%" in lines[0]
    assert "(outside these phases)" in lines[-1] and "12.5%" in lines[-1]
