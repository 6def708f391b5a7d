"""How many windows to open: Erlang C, the queue of applicants waiting for any free window.

Applicants arrive at random (a Poisson stream of `arrivals` over `minutes`), each takes
`handling_minutes` on average at a window, and waits in one queue for the first free one of
`windows`. Erlang C gives the chance an applicant waits at all, and from it the service level:
the share called within `target_seconds`. `windows_needed` is the fewest windows that reach
the analyst's service level. The formula is small, so it is here rather than a dependency
(the maintained queueing packages bring an optimiser with them); it is computed through the
Erlang B recursion, which stays exact for hundreds of windows where factorials overflow.

The staffing plan takes the arrivals from the demand forecast (the upper interval on peak
days) and the handling time from the case records; this module is only the queue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_WINDOWS = 1000  # no service centre opens more; beyond it the demand figure is wrong


@dataclass(frozen=True)
class Queue:
    arrivals: float  # applicants over the period
    minutes: float  # length of the period the windows are open
    handling_minutes: float  # average time at a window per applicant

    @property
    def load(self) -> float:
        """Offered load in Erlangs: windows kept busy on average."""
        if self.minutes <= 0:
            raise ValueError("the period must be longer than 0 minutes")
        return self.arrivals / self.minutes * self.handling_minutes


def wait_probability(windows: int, load: float) -> float:
    """Erlang C: the chance an arriving applicant finds every window busy and waits."""
    if load <= 0:
        return 0.0
    if windows <= load:
        return 1.0  # the queue grows without bound
    blocking = 1.0  # Erlang B with 0 windows
    for k in range(1, windows + 1):
        blocking = load * blocking / (k + load * blocking)
    return windows * blocking / (windows - load * (1 - blocking))


def service_level(windows: int, queue: Queue, target_seconds: float) -> float:
    """Share of applicants called within `target_seconds`."""
    load = queue.load
    if load <= 0:
        return 1.0
    if windows <= load:
        return 0.0
    waits = wait_probability(windows, load)
    rate = (windows - load) / (queue.handling_minutes * 60.0)  # per second
    return 1.0 - waits * math.exp(-rate * target_seconds)


def windows_needed(queue: Queue, target_level: float, target_seconds: float) -> int:
    """The fewest windows whose service level reaches `target_level` (0 when nobody comes)."""
    if not 0 < target_level < 1:
        raise ValueError("the service level is a share between 0 and 1, e.g. 0.8")
    load = queue.load
    if load <= 0:
        return 0
    windows = max(1, math.floor(load) + 1)
    while service_level(windows, queue, target_seconds) < target_level:
        windows += 1
        if windows > MAX_WINDOWS:
            raise ValueError(
                f"more than {MAX_WINDOWS} windows for {queue.arrivals:.0f} applicants in "
                f"{queue.minutes:.0f} minutes: check the forecast and the handling time"
            )
    return windows
