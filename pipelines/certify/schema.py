"""The certified database's tables, created as the snapshot's layout defines them.

All of them live in one DuckDB file (attached as `certified`), so a certification commits in
one transaction and a published snapshot is a copy of one file. What the tables are - names,
columns, types - is `snapshot.tables`; this module creates them on the writer's connection
and brings a database written by an older version up to that layout.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from contracts.keys.vectorised import check_credit_codes, check_id_numbers, check_subject_keys
from contracts.model import Column, Contract, KeyRole
from contracts.registry import bundled_contracts
from pipelines.resources import CERTIFIED
from snapshot.tables import (
    QUARANTINE,
    Table,
    history_ddl,
    history_exists_query,
    quality_schema_ddl,
    subject_column,
)
from snapshot.tables import (
    history_table as snapshot_history_table,
)


def quality_table(table: Table) -> str:
    """A quality table on the writer's connection, e.g. `certified.quality.<table>`."""
    return table.ref(CERTIFIED)


def history_table(contract: Contract) -> str:
    return snapshot_history_table(contract.id, CERTIFIED)


def certified_table_exists(con: duckdb.DuckDBPyConnection, contract_id: str) -> bool:
    sql, params = history_exists_query(contract_id, CERTIFIED)
    return bool(con.execute(sql, params).fetchall()[0][0])


def ensure_certified_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    for ddl in quality_schema_ddl(CERTIFIED):
        con.execute(ddl)
    add_subject_keys(con, {**bundled_contracts(), contract.id: contract})
    con.execute(history_ddl(contract, CERTIFIED))


def add_subject_keys(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract]) -> None:
    """Give a quarantine table written before quarantined rows carried their subject key the
    `subject_key` column, normalised from each row's delivered subject as landing does."""
    found = con.execute(
        "SELECT count(*) FILTER (WHERE column_name = 'subject_key'), count(*) "
        "FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [CERTIFIED, QUARANTINE.schema, QUARANTINE.name],
    ).fetchall()[0]
    if found[0] or not found[1]:  # up to date, or no quarantine table yet
        return
    con.execute(f"ALTER TABLE {quality_table(QUARANTINE)} ADD COLUMN subject_key VARCHAR")
    for contract in contracts.values():
        subject = subject_column(contract)
        if subject is None:
            continue
        delivered = con.execute(
            f"SELECT DISTINCT raw ->> ? FROM {quality_table(QUARANTINE)} "
            "WHERE contract_id = ? AND raw ->> ? IS NOT NULL",
            [subject.name, contract.id, subject.name],
        ).fetchall()
        if not delivered:
            continue
        texts = pa.array([row[0] for row in delivered], pa.string())
        keys = pa.table({"delivered": texts, "subject_key": _normalised(subject, texts)})
        con.register("normalised_subjects", keys)
        try:
            con.execute(
                f"UPDATE {quality_table(QUARANTINE)} AS q SET subject_key = n.subject_key "
                "FROM normalised_subjects AS n "
                "WHERE q.contract_id = ? AND q.raw ->> ? = n.delivered",
                [contract.id, subject.name],
            )
        finally:
            con.unregister("normalised_subjects")


def _normalised(column: Column, values: pa.Array) -> pa.Array:
    """The keys as landing normalises them for `column` (NULL where not a valid key)."""
    if column.key_role is KeyRole.id_number:
        return check_id_numbers(values).value
    if column.key_role is KeyRole.credit_code:
        return check_credit_codes(values).value
    return check_subject_keys(values).value
