"""Catalogue figures for analysts: per department resource, what the snapshot certifies.

Counts and scores only - never a record - taken from the snapshot the analytics are built
from, so they agree with the statistics beside them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from contracts.registry import bundled_contracts
from snapshot.history import CURRENT
from snapshot.quality import BATCH_TOTALS, LATEST_SCORE, OPEN_QUARANTINE
from snapshot.tables import BATCHES, history_table

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


def catalogue_figures(snapshot: Path) -> pa.Table:
    contracts = bundled_contracts()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        exists, params = BATCHES.exists_query()
        has_quality = bool(con.execute(exists, params).fetchall()[0][0])
        batches = _by_contract(con, BATCH_TOTALS) if has_quality else {}
        quarantine = _by_contract(con, OPEN_QUARANTINE) if has_quality else {}
        scores = _by_contract(con, LATEST_SCORE) if has_quality else {}
        rows = []
        for contract in contracts.values():
            table = history_table(contract.id)
            current, versions = (
                con.execute(f"SELECT count_if({CURRENT}), count(*) FROM {table}").fetchall()[0]
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
