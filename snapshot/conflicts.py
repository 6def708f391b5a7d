"""Reads of the recorded disagreements with an item's authoritative source (一数一源).

Certification records a conflict (`snapshot.tables.CONFLICTS`) when a resource holds a value
of a shared item that differs from the authoritative resource's, naming the batch that was
being certified. A steward chasing it needs both sides: both values and the batch each came
from. The batch of each side is found here, in the history tables, as the newest version of
the subject's record that holds the value recorded, so the writers (DuckDB and Spark alike)
need not record more than they do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.model import Contract
from snapshot.sql import quote_identifier
from snapshot.tables import CONFLICTS, history_table, subject_column

_C = CONFLICTS.ref()

# Conflicts per non-authoritative resource (as `other_resource`, `n`).
CONFLICT_COUNTS = f"SELECT other_resource, count(*) AS n FROM {_C} GROUP BY other_resource"
# The resource pairs and items conflicts are recorded for.
CONFLICT_PAIRS = f"SELECT DISTINCT authoritative_resource, other_resource, item FROM {_C}"
# What names each conflict against some resources, without the values (a steward's inbox
# counts them; `directory.conflict_resolutions.ConflictRef` names them). Parameter: the list of
# the non-authoritative resources' ids.
CONFLICT_REFS = (
    f"SELECT item, subject_key, authoritative_resource, other_resource, batch, detected_at "
    f"FROM {_C} WHERE list_contains(?, other_resource) ORDER BY detected_at"
)


@dataclass(frozen=True)
class Conflict:
    """One recorded disagreement, with the batch each side's value came from."""

    item: str
    subject_key: str
    authoritative_resource: str
    authoritative_value: str | None
    authoritative_batch: str | None
    other_resource: str
    other_value: str | None
    other_batch: str | None
    batch: str  # the batch whose certification found it
    detected_at: dt.datetime


def item_column(contract: Contract, item: str) -> str | None:
    """The column of `contract` that carries the shared item, if any."""
    return next((c.name for c in contract.columns if c.item == item), None)


def pair_query(authority: Contract, other: Contract, item: str) -> str | None:
    """The conflicts of one (authority, other, item) with each side's batch; None when a
    contract no longer carries the item or has no subject column. Parameters: the two
    resource ids and the item."""
    a_subject, o_subject = subject_column(authority), subject_column(other)
    a_column, o_column = item_column(authority, item), item_column(other, item)
    if a_subject is None or o_subject is None or a_column is None or o_column is None:
        return None
    q = quote_identifier

    def batch_of(table: str, subject: str, column: str, value: str) -> str:
        return (
            f"(SELECT h._batch FROM {table} AS h WHERE h.{q(subject)} = c.subject_key "
            f"AND CAST(h.{q(column)} AS VARCHAR) IS NOT DISTINCT FROM c.{value} "
            "ORDER BY h._valid_from DESC LIMIT 1)"
        )

    authority_batch = batch_of(
        history_table(authority.id), a_subject.name, a_column, "authoritative_value"
    )
    other_batch = batch_of(history_table(other.id), o_subject.name, o_column, "other_value")
    return (
        "SELECT c.item, c.subject_key, c.authoritative_resource, c.authoritative_value, "
        f"{authority_batch} AS authoritative_batch, c.other_resource, c.other_value, "
        f"{other_batch} AS other_batch, c.batch, c.detected_at FROM {_C} AS c "
        "WHERE c.authoritative_resource = ? AND c.other_resource = ? AND c.item = ? "
        "ORDER BY c.detected_at, c.subject_key"
    )


def as_conflict(record: Mapping[str, Any]) -> Conflict:
    """A row of :func:`pair_query` as a :class:`Conflict`."""
    return Conflict(**{name: record[name] for name in Conflict.__dataclass_fields__})


Query = Callable[[str, list[object]], list[dict[str, Any]]]


def read_conflicts(
    query: Query, contracts: Mapping[str, Contract], other_resources: Collection[str]
) -> list[Conflict]:
    """Every conflict recorded against `other_resources`, oldest first, with both batches.

    `query` runs SQL on a snapshot and returns records (`Snapshot.query_records`).
    """
    exists, params = CONFLICTS.exists_query()
    if not next(iter(query(exists, params)[0].values())):
        return []  # published before anything was certified
    found: list[Conflict] = []
    for pair in query(CONFLICT_PAIRS, []):
        authority = contracts.get(pair["authoritative_resource"])
        other = contracts.get(pair["other_resource"])
        if authority is None or other is None or other.id not in other_resources:
            continue
        sql = pair_query(authority, other, pair["item"])
        if sql is not None:
            found += map(as_conflict, query(sql, [authority.id, other.id, pair["item"]]))
    return sorted(found, key=lambda c: (c.detected_at, c.other_resource, c.subject_key))
