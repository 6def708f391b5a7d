"""Tables of the landing layer in the pool, derived from the contracts.

Landed tables keep every delivered value as text; for key columns they keep the normalised
key, the raw text and the key problem side by side, so certification and stewards can see
both what the department sent and what the exchange made of it.
"""

from __future__ import annotations

import duckdb

from contracts.compiler import LANDED_ROW
from contracts.model import Column, Contract, KeyRole
from contracts.portable import DUCKDB, render
from contracts.shards import NO_REGION, shard_expression
from pipelines.duckdb_sql import quote_identifier

SCHEMA = "landing"
LINEAGE_COLUMNS = {
    "_department": "VARCHAR",
    "_file_name": "VARCHAR",
    "_file_hash": "VARCHAR",
    "_row_number": "BIGINT",
    "_loaded_at": "TIMESTAMP",
}

FILES_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.files (
    file_hash VARCHAR PRIMARY KEY,
    partition_key VARCHAR NOT NULL,
    contract_id VARCHAR NOT NULL,
    contract_version VARCHAR NOT NULL,
    department VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_path VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    format VARCHAR NOT NULL,
    encoding VARCHAR,
    rows_read BIGINT NOT NULL,
    rows_landed BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    rows_with_key_problems BIGINT NOT NULL,
    notes VARCHAR,
    run_id VARCHAR,
    seconds DOUBLE,
    loaded_at TIMESTAMP NOT NULL
)"""

REJECTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.rejects (
    file_hash VARCHAR NOT NULL,
    contract_id VARCHAR NOT NULL,
    row_number BIGINT,
    raw VARCHAR,
    reason VARCHAR NOT NULL
)"""


def landed_table(contract: Contract) -> str:
    return f"{SCHEMA}.{quote_identifier(contract.id)}"


def key_companions(column: Column) -> dict[str, str]:
    """Extra columns stored beside a key column: raw text, problem code (and kind)."""
    companions = {f"{column.name}__raw": "VARCHAR", f"{column.name}__problem": "VARCHAR"}
    if column.key_role is KeyRole.subject:
        companions[f"{column.name}__kind"] = "VARCHAR"
    return companions


def landed_columns(contract: Contract) -> dict[str, str]:
    columns: dict[str, str] = {}
    for column in contract.columns:
        columns[column.name] = "VARCHAR"
        if column.key_role is not None:
            columns.update(key_companions(column))
    columns.update(LINEAGE_COLUMNS)
    return columns


def ensure_landing_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the landing tables, adding columns a newer contract version introduced."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(FILES_DDL)
    con.execute(REJECTS_DDL)
    wanted = landed_columns(contract)
    definition = ", ".join(f"{quote_identifier(n)} {t}" for n, t in wanted.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {landed_table(contract)} ({definition})")
    present = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [SCHEMA, contract.id],
        ).fetchall()
    }
    table = landed_table(contract)
    for name, sql_type in wanted.items():
        if name not in present:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_identifier(name)} {sql_type}")


def landed_shards(con: duckdb.DuckDBPyConnection, contract: Contract, batch: str) -> list[str]:
    """The region shards (``contracts.shards``) the landed rows of `batch` fall into, in order:
    what certification is asked for, one run per shard. A delivery without rows is one
    shard of no region, so that it is still gated and recorded."""
    shard = render(shard_expression(contract, LANDED_ROW), DUCKDB)
    rows = con.execute(
        f"SELECT DISTINCT {shard} FROM {landed_table(contract)} AS {LANDED_ROW} "
        "WHERE _file_hash = ? ORDER BY 1",
        [batch],
    ).fetchall()
    return [str(row[0]) for row in rows] or [NO_REGION]
