"""Late deliveries: a resource whose last certified batch is older than its update cycle allows.

The catalogue promises an update cycle per resource (daily, monthly, ...); a department that
stops delivering leaves the exchange serving ever older data with nothing to show for it. The
age allowed per cycle is the catalogue's (`directory.figures.ALLOWED_AGE`); when the last
batch was certified is the published snapshot's, which the caller reads and passes in, so
this module stays a rule over the directory and a clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from contracts.model import Contract
from directory.entries import EntryStore
from directory.figures import ALLOWED_AGE, Freshness, freshness
from directory.model import UpdateCycle


def clock() -> dt.datetime:
    """Now, for lateness; tests replace it to move time without waiting."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Delivery:
    """One resource's delivery against its update cycle."""

    resource: str  # the contract id
    code: str | None  # the catalogue entry's code, when the resource has an entry
    name: str
    department: str
    update_cycle: UpdateCycle
    last_certified_at: dt.datetime | None
    freshness: Freshness

    @property
    def late(self) -> bool:
        """Older than the cycle allows (late, or stale at twice the allowance)."""
        return self.freshness in (Freshness.late, Freshness.stale)

    @property
    def due_by(self) -> dt.datetime | None:
        """When the next batch had to be certified to stay on time."""
        allowed = ALLOWED_AGE.get(self.update_cycle)
        if self.last_certified_at is None or allowed is None:
            return None
        return self.last_certified_at + allowed


def deliveries(
    entries: EntryStore,
    resources: Iterable[Contract],
    last_certified: Mapping[str, dt.datetime | None],
    at: dt.datetime | None = None,
) -> list[Delivery]:
    """Each resource's delivery, with the catalogue entry's cycle (the contract's when the
    resource has no entry yet), judged at `at` (default: :func:`clock`)."""
    when = at or clock()
    found = []
    for resource in resources:
        entry = entries.by_contract(resource.id)
        cycle = entry.document.update_cycle if entry else UpdateCycle(resource.update_cycle.value)
        last = last_certified.get(resource.id)
        found.append(
            Delivery(
                resource=resource.id,
                code=entry.code if entry else None,
                name=entry.document.name if entry else resource.name,
                department=entry.document.provider_department if entry else resource.department,
                update_cycle=cycle,
                last_certified_at=last,
                freshness=freshness(cycle, last, when),
            )
        )
    return found


@dataclass(frozen=True)
class Arrival:
    """One batch as it arrived: how old the data served until then was, and how that age
    stood against the update cycle (the freshness the resource had just before it)."""

    at: dt.datetime
    age: dt.timedelta | None  # None for the first batch: nothing was served before it
    freshness: Freshness


def arrivals(cycle: UpdateCycle, batches: Sequence[tuple[dt.datetime, bool]]) -> list[Arrival]:
    """Freshness over time: each batch `(certified_at, certified)`, oldest first, judged
    against the last batch before it that certified (a batch the gate failed serves nothing,
    so it does not make the data younger)."""
    found = []
    served: dt.datetime | None = None
    for at, certified in batches:
        found.append(Arrival(at, at - served if served else None, freshness(cycle, served, at)))
        if certified:
            served = at
    return found
