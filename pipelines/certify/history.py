"""Certified history: a correction supersedes, never overwrites.

Each certified record version carries `_valid_from` / `_valid_to` (knowledge time: when the
exchange certified it) and the batch that certified it, so "what did we know about this
subject on date D" is `snapshot.history.as_of_condition`. The merge here writes that history;
what the columns mean for readers is the snapshot's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from contracts.model import Contract
from pipelines.certify.classify import CANDIDATES
from pipelines.certify.schema import history_table
from pipelines.duckdb_sql import quote_identifier, scalar


@dataclass(frozen=True)
class MergeCounts:
    new_versions: int
    unchanged: int


def merge_history(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch: str, now: dt.datetime
) -> MergeCounts:
    table = history_table(contract)
    names = [quote_identifier(c.name) for c in contract.columns]
    same_key = " AND ".join(
        f"h.{quote_identifier(k)} IS NOT DISTINCT FROM i.{quote_identifier(k)}"
        for k in contract.record_key
    )
    con.execute(
        f"UPDATE {table} AS h SET _valid_to = ? FROM {CANDIDATES} AS i "
        f"WHERE h._valid_to IS NULL AND {same_key} AND h._record_hash <> i._record_hash",
        [now],
    )
    columns = ", ".join(f"i.{n}" for n in names)
    inserted = con.execute(
        f"INSERT INTO {table} SELECT {columns}, i._record_hash, ?, NULL, ?, i._row_number, "
        f"i._file_name, i._department, i._warnings FROM {CANDIDATES} AS i WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} AS h WHERE h._valid_to IS NULL AND {same_key})",
        [now, batch],
    ).fetchall()
    incoming = int(scalar(con, f"SELECT count(*) FROM {CANDIDATES}"))
    new_versions = int(inserted[0][0])
    return MergeCounts(new_versions=new_versions, unchanged=incoming - new_versions)
