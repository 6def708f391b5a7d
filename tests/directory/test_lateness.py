"""Late deliveries: judged against the catalogue entry's update cycle, at a given moment."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.registry import bundled_contracts
from directory import lateness
from directory.figures import Freshness
from directory.model import UpdateCycle
from directory.store import Directory

CERTIFIED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def judged(sample: Directory, at: dt.datetime) -> dict[str, lateness.Delivery]:
    contracts = bundled_contracts()
    last = {resource: CERTIFIED for resource in contracts}
    last["ca_subsidy"] = None  # never delivered
    found = lateness.deliveries(sample.entries, contracts.values(), last, at)
    return {d.resource: d for d in found}


def test_a_daily_resource_is_late_after_a_day_and_a_half_a_monthly_one_is_not(
    sample: Directory,
) -> None:
    day_two = judged(sample, CERTIFIED + dt.timedelta(days=2))
    population = day_two["ps_population"]
    assert population.update_cycle is UpdateCycle.daily and population.late
    assert population.freshness is Freshness.late
    assert population.due_by == CERTIFIED + dt.timedelta(days=1, hours=12)
    assert population.code is not None and population.department == "ps"
    funds = day_two["hpf_account"]
    assert funds.update_cycle is UpdateCycle.monthly and not funds.late
    assert not day_two["ca_subsidy"].late and day_two["ca_subsidy"].due_by is None
    assert day_two["ca_subsidy"].freshness is Freshness.unknown

    on_time = judged(sample, CERTIFIED + dt.timedelta(hours=20))
    assert not any(d.late for d in on_time.values())
    much_later = judged(sample, CERTIFIED + dt.timedelta(days=40))
    assert much_later["ps_population"].freshness is Freshness.stale
    assert much_later["ps_population"].late and much_later["hpf_account"].late


def test_without_a_moment_the_replaceable_clock_decides(
    sample: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lateness, "clock", lambda: CERTIFIED + dt.timedelta(days=2))
    found = lateness.deliveries(
        sample.entries, [bundled_contracts()["ps_population"]], {"ps_population": CERTIFIED}
    )
    assert [d.late for d in found] == [True]


def test_freshness_over_time_judges_each_arrival_against_the_last_certified_batch() -> None:
    day = dt.timedelta(days=1)
    batches = [
        (CERTIFIED, True),
        (CERTIFIED + day, True),  # a day later: on time for a daily resource
        (CERTIFIED + 2 * day, False),  # the gate failed: it serves nothing
        (CERTIFIED + 4 * day, True),  # three days after the last certified one: late
        (CERTIFIED + 8 * day, True),  # four days: beyond twice the allowance, stale
    ]
    found = lateness.arrivals(UpdateCycle.daily, batches)
    assert [a.freshness for a in found] == [
        Freshness.unknown,
        Freshness.fresh,
        Freshness.fresh,
        Freshness.late,
        Freshness.stale,
    ]
    assert [a.age for a in found] == [None, day, day, 3 * day, 4 * day]
    assert lateness.arrivals(UpdateCycle.irregular, batches[:2])[1].freshness is Freshness.unknown
