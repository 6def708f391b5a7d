"""Catalogue figures for analysts: per department resource, what the snapshot certifies.

Counts and scores only - never a record - taken from the snapshot the analytics are built
from, so they agree with the statistics beside them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from contracts.registry import bundled_contracts
from pipelines.duckdb_sql import quote_identifier

SCHEMA = pa.schema(
    [
        ("resource_id", pa.string()),
        ("name", pa.string()),
        ("department", pa.string()),
        ("department_name", pa.string()),
        ("sharing_type", pa.string()),
        ("update_cycle", pa.string()),
        ("certified_records", pa.int64()),
        ("record_versions", pa.int64()),
        ("batches", pa.int64()),
        ("last_certified_at", pa.timestamp("us")),
        ("rows_landed", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("open_quarantine", pa.int64()),
        ("quality_score", pa.float64()),
    ]
)
_BATCHES = """
SELECT b.contract_id, count(*) AS batches, max(b.certified_at) AS last_certified_at,
       sum(b.rows_landed) AS rows_landed, sum(b.rows_quarantined) AS rows_quarantined
FROM quality.batches AS b GROUP BY b.contract_id
"""
_OPEN_QUARANTINE = """
SELECT contract_id, count(*) AS open_quarantine FROM quality.quarantine
WHERE status = 'open' GROUP BY contract_id
"""
_LATEST_SCORE = """
SELECT s.contract_id, avg(s.score) AS quality_score FROM quality.scores AS s
JOIN (SELECT contract_id, arg_max(batch, certified_at) AS batch FROM quality.batches
      GROUP BY contract_id) AS latest USING (contract_id, batch)
GROUP BY s.contract_id
"""


def catalogue_figures(snapshot: Path) -> pa.Table:
    contracts = bundled_contracts()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        has_quality = "batches" in {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'quality'"
            ).fetchall()
        }
        batches = _by_contract(con, _BATCHES) if has_quality else {}
        quarantine = _by_contract(con, _OPEN_QUARANTINE) if has_quality else {}
        scores = _by_contract(con, _LATEST_SCORE) if has_quality else {}
        rows = []
        for contract in contracts.values():
            table = quote_identifier(contract.id)
            current, versions = (
                con.execute(
                    f"SELECT count_if(_valid_to IS NULL), count(*) FROM {table}"
                ).fetchall()[0]
                if contract.id in present
                else (0, 0)
            )
            batch = batches.get(contract.id, (0, None, 0, 0))
            rows.append(
                {
                    "resource_id": contract.id,
                    "name": contract.name,
                    "department": contract.owner.department,
                    "department_name": contract.owner.department_name,
                    "sharing_type": contract.sharing.type.value,
                    "update_cycle": contract.update_cycle.value,
                    "certified_records": current,
                    "record_versions": versions,
                    "batches": batch[0],
                    "last_certified_at": batch[1],
                    "rows_landed": batch[2],
                    "rows_quarantined": batch[3],
                    "open_quarantine": quarantine.get(contract.id, (0,))[0],
                    "quality_score": scores.get(contract.id, (None,))[0],
                }
            )
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _by_contract(con: duckdb.DuckDBPyConnection, query: str) -> dict[str, tuple[object, ...]]:
    return {row[0]: tuple(row[1:]) for row in con.execute(query).fetchall()}
