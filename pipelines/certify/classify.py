"""One pass over a landed batch: typed values, broken rules, duplicates and key collisions.

Leaves the temporary table `classified` (every landed row, typed, with `_errors`,
`_warnings` and `_duplicate`) and `candidates` (the rows that may be certified), so the gate,
the history merge and the quarantine all read the batch once more at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from sqlglot import exp

from contracts.compiler import LANDED_ROW, RECORD_HASH, CompiledContract
from contracts.shards import in_shard
from pipelines.duckdb_sql import quote_identifier
from pipelines.landing.schema import landed_table

CLASSIFIED = "classified"
CANDIDATES = "candidates"


def shard_filter(compiled: CompiledContract, shard: str | None) -> exp.Expr | None:
    """The check query's condition on the landed row for `shard` (None: the whole batch)."""
    return None if shard is None else in_shard(compiled.contract, shard, LANDED_ROW)


def record_key_rule(contract_id: str) -> str:
    return f"{contract_id}.record_key_unique"


@dataclass(frozen=True)
class Classification:
    rows_landed: int
    rows_candidate: int
    rows_quarantined: int
    rows_duplicate: int
    rows_with_warnings: int


def classify(
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledContract,
    batch: str,
    shard: str | None = None,
) -> Classification:
    """Classify the rows of `batch`, or of its region `shard` only (``contracts.shards``)."""
    contract = compiled.contract
    key = ", ".join(quote_identifier(k) for k in contract.record_key)
    check = compiled.check_query(landed_table(contract), batch, where=shard_filter(compiled, shard))
    # Exact copies of an earlier row are duplicates, whatever rules they break; different rows
    # claiming one record key in one batch are ambiguous, so none of them is certified.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CLASSIFIED} AS "
        f"WITH checked AS ({check}), "
        "marked AS (SELECT *, row_number() OVER "
        f"(PARTITION BY {RECORD_HASH} ORDER BY _row_number) > 1 AS _duplicate FROM checked) "
        "SELECT * EXCLUDE (_errors), CASE WHEN NOT _duplicate AND len(_errors) = 0 AND "
        "count(*) FILTER (WHERE NOT _duplicate AND len(_errors) = 0) "
        f"OVER (PARTITION BY {key}) > 1 THEN ['{record_key_rule(contract.id)}'] "
        "ELSE _errors END AS _errors FROM marked"
    )
    # A view, not a copy: the gate, the merge and the quarantine read it once each.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {CANDIDATES} AS SELECT * EXCLUDE (_errors, _duplicate) "
        f"FROM {CLASSIFIED} WHERE NOT _duplicate AND len(_errors) = 0"
    )
    counts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT _duplicate AND len(_errors) = 0), "
        "count(*) FILTER (WHERE NOT _duplicate AND len(_errors) > 0), "
        "count(*) FILTER (WHERE _duplicate), "
        "count(*) FILTER (WHERE NOT _duplicate AND len(_errors) = 0 AND len(_warnings) > 0) "
        f"FROM {CLASSIFIED}"
    ).fetchall()[0]
    return Classification(*(int(v) for v in counts))
