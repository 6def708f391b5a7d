"""Which subjects have a record waiting in open quarantine, and which rules those records broke.

A prefill asks this for every resource that has no record of the applicant, which is most
resources for most applicants, and a DuckDB query each time (~0.8 ms, under a lock) cost more
than all the rest of the answer; so it is read once per snapshot into sorted key arrays. The
rules go into the answer, so the clerk can tell the applicant what the provider is correcting.

The subject of a quarantined row is its `subject_key`, which the pipelines store normalised
when they quarantine it: nothing here normalises a key again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from snapshot.sorted_keys import span
from snapshot.tables import QUARANTINE

Query = Callable[[str, list[object]], list[tuple[Any, ...]]]

HAS_SUBJECT_KEYS = (
    "SELECT count(*) FROM duckdb_columns() "
    "WHERE schema_name = ? AND table_name = ? AND column_name = 'subject_key'"
)

# Per resource and subject, the rules its open records broke, as "rule (reason); ...". Every
# quarantined row names the rules it broke; should one name none, its subject still counts.
OPEN_RULES_BY_SUBJECT = f"""
SELECT contract_id, subject_key, string_agg(DISTINCT why, '; ' ORDER BY why) FROM (
    SELECT contract_id, subject_key, unnest(CASE WHEN len(rule_ids) = 0 THEN ['']
        ELSE list_transform(range(1, len(rule_ids) + 1),
                            lambda i: rule_ids[i] || ' (' || coalesce(reasons[i], '') || ')')
        END) AS why
    FROM {QUARANTINE.ref()} WHERE status = 'open'
) WHERE subject_key IS NOT NULL AND subject_key <> '' GROUP BY ALL
"""


@dataclass(frozen=True)
class Quarantined:
    """One resource's subjects with a record in open quarantine: sorted keys (UTF-8, each
    once) and, beside each, the rules its records broke."""

    keys: np.ndarray
    rules: tuple[str, ...]

    def rules_of(self, key: str) -> str | None:
        start, stop = span(self.keys, key)
        return self.rules[start] if start != stop else None


def quarantine_index(query: Query) -> dict[str, Quarantined]:
    """Per resource, the subjects with a record in open quarantine and the rules broken,
    read through `query` (a read on the snapshot's DuckDB file)."""
    # A snapshot published before anything was certified has no quarantine table, and one
    # published before subject keys were stored has no such column: then nothing is known to
    # wait in quarantine until the pipelines publish again (they republish such a version).
    if not query(HAS_SUBJECT_KEYS, [QUARANTINE.schema, QUARANTINE.name])[0][0]:
        return {}
    broken: dict[str, dict[str, str]] = {}
    for resource, subject, why in query(OPEN_RULES_BY_SUBJECT, []):
        broken.setdefault(resource, {})[subject] = why
    index = {}
    for resource, subjects in broken.items():
        keys = sorted(subjects)
        index[resource] = Quarantined(
            np.array([k.encode("utf-8") for k in keys], dtype=bytes),
            tuple(subjects[k] for k in keys),
        )
    return index
