"""Where one piece of pipeline work spends its time, phase by phase.

Landing a file and certifying a batch each record the seconds of their phases (reading,
key checks, rules, the gate, the history merge...) in their reports, so the asset metadata,
the ingest summary and the benches say where the time goes without a profiler. Hand-written
because it is a dictionary and a clock: profilers (py-spy, DuckDB's EXPLAIN ANALYZE) answer
the finer question, but none hands a run its own figures to keep.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


class PhaseClock:
    """Seconds per named phase, in the order the phases were first entered; a phase entered
    twice adds up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def rounded(self) -> dict[str, float]:
        """The figures as kept in metadata and records: milliseconds are enough."""
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}


def add_phases(totals: dict[str, float], phases: Mapping[str, object]) -> None:
    """Sum one report's phases into `totals` (the benches add up files and shards)."""
    for name, seconds in phases.items():
        if isinstance(seconds, int | float):
            totals[name] = totals.get(name, 0.0) + float(seconds)


def breakdown(phases: Mapping[str, float], total: float, indent: str = "  ") -> list[str]:
    """Lines of a printed breakdown: each phase's seconds and share of `total`, largest
    first, and what no phase accounts for."""
    lines = [
        f"{indent}{name:<34} {seconds:8.2f} s  {seconds / total:6.1%}"
        for name, seconds in sorted(phases.items(), key=lambda item: -item[1])
    ]
    rest = total - sum(phases.values())
    if total > 0 and abs(rest) >= 0.005:
        lines.append(f"{indent}{'(outside these phases)':<34} {rest:8.2f} s  {rest / total:6.1%}")
    return lines
