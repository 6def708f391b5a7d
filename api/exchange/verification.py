"""Bulk verification: for up to 1,000 keys, whether each is valid and held in certified data.

A clerk's batch check answers "exists" per resource, never the record itself, and only for
the resources the service item may read; up to 1,000 keys take tens of milliseconds, so the
route runs this in a worker thread.
"""

from __future__ import annotations

from api.models_exchange import VerifyResult
from api.serving import Snapshot
from contracts.keys import check_subject_key


def verify_keys(snapshot: Snapshot, readable: list[str], subjects: list[str]) -> list[VerifyResult]:
    """Per subject as given: whether it is a valid key, and which of the `readable` resources
    hold a current record of it."""
    results = []
    for raw in subjects:
        checked = check_subject_key(raw)
        if checked.value is None:
            results.append(
                VerifyResult(
                    subject=raw,
                    normalised=None,
                    valid_key=False,
                    problem=checked.problem.value if checked.problem else None,
                    found_in=[],
                )
            )
            continue
        found = [c for c in readable if snapshot.rows(c, checked.value)]
        results.append(
            VerifyResult(subject=raw, normalised=checked.value, valid_key=True, found_in=found)
        )
    return results
