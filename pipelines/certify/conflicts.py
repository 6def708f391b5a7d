"""One data item, one authoritative source (一数一源): disagreements recorded for stewards.

Columns that carry the same shared data item (e.g. `person.name`) in several resources are
compared, by subject key, against the item's authoritative resource; the authoritative value
is the one served, and each disagreement is recorded so a steward can chase it at the source.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from contracts.model import Column, Contract, KeyRole
from pipelines.certify.schema import certified_table_exists, history_table, quality_table
from pipelines.duckdb_sql import quote_identifier
from snapshot.tables import CONFLICTS, subject_column


def record_conflicts(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    contracts: dict[str, Contract],
    batch: str,
    now: dt.datetime,
) -> int:
    """Compare this batch's values of shared items with the other side; returns conflicts."""
    recorded = 0
    for column in contract.columns:
        if column.item is None:
            continue
        for other in contracts.values():
            if other.id == contract.id:
                continue
            for other_column in other.columns:
                if (
                    other_column.item != column.item
                    or column.authoritative == other_column.authoritative
                ):
                    continue
                if column.authoritative:
                    recorded += _compare(
                        con, contract, column, other, other_column, batch, now, True
                    )
                else:
                    recorded += _compare(
                        con, other, other_column, contract, column, batch, now, False
                    )
    return recorded


def _compare(
    con: duckdb.DuckDBPyConnection,
    authority: Contract,
    authority_column: Column,
    other: Contract,
    other_column: Column,
    batch: str,
    now: dt.datetime,
    batch_is_authority: bool,
) -> int:
    authority_subject, other_subject = subject_column(authority), subject_column(other)
    if authority_subject is None or other_subject is None:
        return 0
    if KeyRole.subject not in (authority_subject.key_role, other_subject.key_role) and (
        authority_subject.key_role != other_subject.key_role
    ):
        return 0
    if not certified_table_exists(con, authority.id) or not certified_table_exists(con, other.id):
        return 0
    q = quote_identifier
    in_batch = "a._batch = ?" if batch_is_authority else "o._batch = ?"
    rows = con.execute(
        f"INSERT INTO {quality_table(CONFLICTS)} "
        f"SELECT DISTINCT ?, a.{q(authority_subject.name)}, ?, "
        f"CAST(a.{q(authority_column.name)} AS VARCHAR), ?, "
        f"CAST(o.{q(other_column.name)} AS VARCHAR), "
        f"?, ? FROM {history_table(authority)} AS a JOIN {history_table(other)} AS o "
        f"ON a.{q(authority_subject.name)} = o.{q(other_subject.name)} "
        "WHERE a._valid_to IS NULL AND o._valid_to IS NULL AND "
        f"a.{q(authority_column.name)} IS DISTINCT FROM o.{q(other_column.name)} "
        f"AND o.{q(other_column.name)} IS NOT NULL AND {in_batch}",
        [authority_column.item, authority.id, other.id, batch, now, batch],
    ).fetchall()
    return int(rows[0][0]) if rows else 0
