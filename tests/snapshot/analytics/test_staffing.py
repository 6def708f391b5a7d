"""Erlang C against figures worked by hand and published, and the plan's edge cases."""

from __future__ import annotations

import itertools
import math

import pytest

from snapshot.analytics.staffing import (
    Queue,
    service_level,
    wait_probability,
    windows_needed,
)


def _erlang_c_by_factorials(windows: int, load: float) -> float:
    top = load**windows / math.factorial(windows) * windows / (windows - load)
    return top / (sum(load**k / math.factorial(k) for k in range(windows)) + top)


@pytest.mark.parametrize(("windows", "load"), [(1, 0.5), (3, 2.0), (11, 10.0), (25, 20.5)])
def test_the_recursion_matches_the_textbook_formula(windows: int, load: float) -> None:
    assert wait_probability(windows, load) == pytest.approx(
        _erlang_c_by_factorials(windows, load), rel=1e-9
    )


def test_a_single_window_is_the_m_m_1_queue() -> None:
    # M/M/1: the chance to wait is the utilisation
    assert wait_probability(1, 0.7) == pytest.approx(0.7)


def test_the_classic_call_centre_example() -> None:
    # 360 calls in 30 minutes, 4 minutes each: 48 Erlangs; with 55 agents 23.9% wait and
    # 86.7% are answered within 20 s (the worked example Erlang C calculators reproduce).
    queue = Queue(arrivals=360, minutes=30, handling_minutes=4)
    assert queue.load == pytest.approx(48)
    assert wait_probability(55, queue.load) == pytest.approx(0.2387, abs=5e-5)
    assert service_level(55, queue, 20) == pytest.approx(0.8668, abs=5e-5)
    assert windows_needed(queue, 0.8, 20) == 54
    assert service_level(53, queue, 20) < 0.8 <= service_level(54, queue, 20)


def test_more_windows_serve_better_and_edge_cases_are_plain() -> None:
    queue = Queue(arrivals=120, minutes=240, handling_minutes=12)  # 6 Erlangs
    levels = [service_level(n, queue, 900) for n in range(6, 12)]
    assert levels[0] == 0.0 and all(a < b for a, b in itertools.pairwise(levels))
    assert windows_needed(Queue(0, 240, 12), 0.8, 900) == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        windows_needed(queue, 80, 900)
    with pytest.raises(ValueError, match="check the forecast"):
        windows_needed(Queue(10**7, 240, 12), 0.8, 900)
