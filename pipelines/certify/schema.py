"""Tables of the certified database: history per resource, and the quality records.

All of them live in one DuckDB file (attached as `certified`), so a certification commits in
one transaction and a published snapshot is a copy of one file.
"""

from __future__ import annotations

import duckdb

from contracts.model import Contract, LogicalType
from pipelines.duckdb_sql import quote_identifier
from pipelines.resources import CERTIFIED

SQL_TYPES = {
    LogicalType.string: "VARCHAR",
    LogicalType.integer: "BIGINT",
    LogicalType.decimal: "DOUBLE",
    LogicalType.date: "DATE",
    LogicalType.timestamp: "TIMESTAMP",
    LogicalType.boolean: "BOOLEAN",
}
HISTORY_COLUMNS = {
    "_record_hash": "VARCHAR",
    "_valid_from": "TIMESTAMP",
    "_valid_to": "TIMESTAMP",
    "_batch": "VARCHAR",
    "_row_number": "BIGINT",
    "_file_name": "VARCHAR",
    "_department": "VARCHAR",
    "_warnings": "VARCHAR[]",
}
QUALITY = f"{CERTIFIED}.quality"

QUALITY_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {QUALITY}.batches (
        contract_id VARCHAR, batch VARCHAR, contract_version VARCHAR, file_name VARCHAR,
        department VARCHAR, status VARCHAR, rows_landed BIGINT, rows_certified BIGINT,
        rows_new_versions BIGINT, rows_unchanged BIGINT, rows_quarantined BIGINT,
        rows_duplicate BIGINT, rows_with_warnings BIGINT, gate_success BOOLEAN,
        gate_failures VARCHAR[], skipped_rules VARCHAR[], certified_at TIMESTAMP,
        seconds DOUBLE, PRIMARY KEY (contract_id, batch))""",
    f"""CREATE TABLE IF NOT EXISTS {QUALITY}.quarantine (
        contract_id VARCHAR, department VARCHAR, batch VARCHAR, file_name VARCHAR,
        row_number BIGINT, record_key VARCHAR, rule_ids VARCHAR[], reasons VARCHAR[],
        raw JSON, status VARCHAR, resolved_by_batch VARCHAR, quarantined_at TIMESTAMP,
        resolved_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {QUALITY}.validations (
        contract_id VARCHAR, batch VARCHAR, rule_id VARCHAR, expectation VARCHAR,
        severity VARCHAR, success BOOLEAN, observed VARCHAR, unexpected_count BIGINT,
        examples VARCHAR, error VARCHAR, validated_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {QUALITY}.scores (
        contract_id VARCHAR, batch VARCHAR, dimension VARCHAR, rows_checked BIGINT,
        rows_passing BIGINT, score DOUBLE, computed_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {QUALITY}.conflicts (
        item VARCHAR, subject_key VARCHAR, authoritative_resource VARCHAR,
        authoritative_value VARCHAR, other_resource VARCHAR, other_value VARCHAR,
        batch VARCHAR, detected_at TIMESTAMP)""",
)


def history_table(contract: Contract) -> str:
    return f"{CERTIFIED}.{quote_identifier(contract.id)}"


def history_columns(contract: Contract) -> dict[str, str]:
    columns = {c.name: SQL_TYPES[c.type] for c in contract.columns}
    columns.update(HISTORY_COLUMNS)
    return columns


def certified_table_exists(con: duckdb.DuckDBPyConnection, contract_id: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? "
        "AND schema_name = 'main' AND table_name = ?",
        [CERTIFIED, contract_id],
    ).fetchall()
    return bool(rows[0][0])


def ensure_certified_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {QUALITY}")
    for ddl in QUALITY_DDL:
        con.execute(ddl)
    definition = ", ".join(
        f"{quote_identifier(n)} {t}" for n, t in history_columns(contract).items()
    )
    con.execute(f"CREATE TABLE IF NOT EXISTS {history_table(contract)} ({definition})")
