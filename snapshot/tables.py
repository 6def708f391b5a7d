"""The snapshot's tables, their columns and types: the layout, defined once.

A published snapshot is a copy of the certified database. It holds one history table per
resource, named by its contract id (the contract's columns, then `HISTORY_COLUMNS`), and the
quality records in schema `quality` (`QUALITY_TABLES`). The pipelines create and write these
tables and the API and the command line read them; both take names, columns and DDL from
here, so an engine that writes the pool has one place saying what it must write.

The writer attaches the certified database under a catalog name, so every reference takes an
optional `catalog`; a reader opens a snapshot file on its own and leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.model import SQL_TYPES, Column, Contract
from snapshot.sql import quote_identifier

QUALITY_SCHEMA = "quality"
# The history columns a certified record carries beside the contract's own, in table order.
HISTORY_COLUMNS = {
    "_record_hash": "VARCHAR",
    "_valid_from": "TIMESTAMP",  # when the exchange certified this version
    "_valid_to": "TIMESTAMP",  # when a correction superseded it; NULL while current
    "_batch": "VARCHAR",
    "_row_number": "BIGINT",
    "_file_name": "VARCHAR",
    "_department": "VARCHAR",
    "_warnings": "VARCHAR[]",
}
# Kept for the writer's merge only: a reader is never served them.
NOT_SERVED = ("_record_hash", "_valid_to")


@dataclass(frozen=True)
class Table:
    """One table of the `quality` schema: name, columns with their types in table order (the
    writer's INSERTs are positional), and primary key."""

    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...] = ()
    schema: str = QUALITY_SCHEMA

    def ref(self, catalog: str | None = None) -> str:
        """The table's name in SQL, e.g. `quality.batches` or `certified.quality.batches`."""
        return ".".join(part for part in (catalog, self.schema, self.name) if part)

    def ddl(self, catalog: str | None = None) -> str:
        parts = [f"{name} {sql_type}" for name, sql_type in self.columns]
        if self.primary_key:
            parts.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.ref(catalog)} ({', '.join(parts)})"

    def exists_query(self, catalog: str | None = None) -> tuple[str, list[object]]:
        """A count that is 1 when the table exists (a snapshot published before anything was
        certified has none), with its parameters."""
        sql = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?"
        params: list[object] = [self.schema, self.name]
        if catalog:
            sql += " AND database_name = ?"
            params.append(catalog)
        return sql, params


def _columns(text: str) -> tuple[tuple[str, str], ...]:
    """'name TYPE, name TYPE' as pairs: the definitions below read like the DDL they make."""
    pairs = (part.split() for part in text.split(","))
    return tuple((name, sql_type) for name, sql_type in pairs)


BATCHES = Table(
    "batches",
    _columns(
        "contract_id VARCHAR, batch VARCHAR, contract_version VARCHAR, file_name VARCHAR, "
        "department VARCHAR, status VARCHAR, rows_landed BIGINT, rows_certified BIGINT, "
        "rows_new_versions BIGINT, rows_unchanged BIGINT, rows_quarantined BIGINT, "
        "rows_duplicate BIGINT, rows_with_warnings BIGINT, gate_success BOOLEAN, "
        "gate_failures VARCHAR[], skipped_rules VARCHAR[], certified_at TIMESTAMP, "
        "seconds DOUBLE"
    ),
    primary_key=("contract_id", "batch"),
)
# `subject_key` is the subject's key as the pipelines normalised it (NULL when the delivered
# value is not a valid key), so readers never normalise again; it comes last because older
# certified databases gain it with ALTER TABLE, which appends.
QUARANTINE = Table(
    "quarantine",
    _columns(
        "contract_id VARCHAR, department VARCHAR, batch VARCHAR, file_name VARCHAR, "
        "row_number BIGINT, record_key VARCHAR, rule_ids VARCHAR[], reasons VARCHAR[], "
        "raw JSON, status VARCHAR, resolved_by_batch VARCHAR, quarantined_at TIMESTAMP, "
        "resolved_at TIMESTAMP, subject_key VARCHAR"
    ),
)
# One row per region shard of a delivery (``contracts.shards``): each shard is gated and
# committed on its own, and its delivery's row in `batches` is the sum of its shards.
SHARDS = Table(
    "shards",
    _columns(
        "contract_id VARCHAR, batch VARCHAR, shard VARCHAR, status VARCHAR, rows_landed BIGINT, "
        "rows_certified BIGINT, rows_new_versions BIGINT, rows_unchanged BIGINT, "
        "rows_quarantined BIGINT, rows_duplicate BIGINT, rows_with_warnings BIGINT, "
        "gate_success BOOLEAN, gate_failures VARCHAR[], certified_at TIMESTAMP, seconds DOUBLE"
    ),
    primary_key=("contract_id", "batch", "shard"),
)
VALIDATIONS = Table(
    "validations",
    _columns(
        "contract_id VARCHAR, batch VARCHAR, rule_id VARCHAR, expectation VARCHAR, "
        "severity VARCHAR, success BOOLEAN, observed VARCHAR, unexpected_count BIGINT, "
        "examples VARCHAR, error VARCHAR, validated_at TIMESTAMP"
    ),
)
SCORES = Table(
    "scores",
    _columns(
        "contract_id VARCHAR, batch VARCHAR, dimension VARCHAR, rows_checked BIGINT, "
        "rows_passing BIGINT, score DOUBLE, computed_at TIMESTAMP"
    ),
)
CONFLICTS = Table(
    "conflicts",
    _columns(
        "item VARCHAR, subject_key VARCHAR, authoritative_resource VARCHAR, "
        "authoritative_value VARCHAR, other_resource VARCHAR, other_value VARCHAR, "
        "batch VARCHAR, detected_at TIMESTAMP"
    ),
)
QUALITY_TABLES = (BATCHES, SHARDS, QUARANTINE, VALIDATIONS, SCORES, CONFLICTS)


def quality_schema_ddl(catalog: str | None = None) -> list[str]:
    """Statements creating the quality schema and every table of it, where missing."""
    schema = ".".join(part for part in (catalog, QUALITY_SCHEMA) if part)
    return [f"CREATE SCHEMA IF NOT EXISTS {schema}", *(t.ddl(catalog) for t in QUALITY_TABLES)]


def history_table(contract_id: str, catalog: str | None = None) -> str:
    """A resource's history table in SQL: its contract id, quoted."""
    name = quote_identifier(contract_id)
    return f"{catalog}.{name}" if catalog else name


def history_columns(contract: Contract) -> dict[str, str]:
    """The history table's columns and types: the contract's, then `HISTORY_COLUMNS`."""
    columns = {c.name: SQL_TYPES[c.type] for c in contract.columns}
    columns.update(HISTORY_COLUMNS)
    return columns


def history_ddl(contract: Contract, catalog: str | None = None) -> str:
    definition = ", ".join(
        f"{quote_identifier(n)} {t}" for n, t in history_columns(contract).items()
    )
    return f"CREATE TABLE IF NOT EXISTS {history_table(contract.id, catalog)} ({definition})"


def history_exists_query(contract_id: str, catalog: str | None = None) -> tuple[str, list[object]]:
    """Like `Table.exists_query`, for a resource's history table."""
    return Table(contract_id, (), schema="main").exists_query(catalog)


def subject_column(contract: Contract) -> Column | None:
    """The column holding the subject (person or organisation) a record is about: what the
    key-lookup layout is sorted by and what a quarantined row's `subject_key` normalises."""
    for name in contract.record_key:
        column = contract.column(name)
        if column.key_role is not None:
            return column
    return next(iter(contract.key_columns), None)
