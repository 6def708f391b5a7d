"""Quality score per resource and batch: the share of rows passing, per dimension."""

from __future__ import annotations

import datetime as dt

import duckdb

from contracts.compiler import CompiledContract
from contracts.rules import Dimension
from pipelines.certify.classify import CLASSIFIED, record_key_rule
from pipelines.certify.schema import quality_table
from pipelines.duckdb_sql import quote_literal
from snapshot.tables import SCORES


def record_scores(
    con: duckdb.DuckDBPyConnection, compiled: CompiledContract, batch: str, now: dt.datetime
) -> dict[str, float]:
    """Score each dimension that has rules; duplicates are not scored (they are not records)."""
    by_dimension: dict[Dimension, list[str]] = {}
    for rule in compiled.rules:
        by_dimension.setdefault(rule.rule.dimension, []).append(rule.rule.id)
    by_dimension.setdefault(Dimension.uniqueness, []).append(record_key_rule(compiled.contract.id))
    dimensions = sorted(by_dimension)
    filters = ", ".join(
        "count(*) FILTER (WHERE NOT list_has_any(list_concat(_errors, _warnings), "
        f"[{', '.join(quote_literal(r) for r in by_dimension[d])}]))"
        for d in dimensions
    )
    row = con.execute(
        f"SELECT count(*), {filters} FROM {CLASSIFIED} WHERE NOT _duplicate"
    ).fetchall()[0]
    checked = int(row[0])
    scores: dict[str, float] = {}
    for dimension, passing in zip(dimensions, row[1:], strict=True):
        score = passing / checked if checked else 1.0
        scores[dimension.value] = score
        con.execute(
            f"INSERT INTO {quality_table(SCORES)} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [compiled.contract.id, batch, dimension.value, checked, int(passing), score, now],
        )
    return scores
