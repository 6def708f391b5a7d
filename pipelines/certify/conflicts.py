"""One data item, one authoritative source (一数一源): disagreements recorded for stewards.

Columns that carry the same shared data item (e.g. `person.name`) in several resources are
compared, by subject key, against the item's authoritative resource; the authoritative value
is the one served, and each disagreement is recorded so a steward can chase it at the source.

What is compared with what (:func:`pairings`) and the comparison itself
(:func:`conflict_query`, one sqlglot tree rendered for each engine's dialect) are the same on
every engine; an engine only says where the two sides' open versions are (tables of the pool
on DuckDB, temporary views on Spark) and stores the rows through :func:`insert_conflicts`.
This module runs the DuckDB side (:func:`record_conflicts`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

from contracts.model import SQL_TYPES, Column, Contract, KeyRole
from contracts.portable import DUCKDB, render, value_text
from contracts.shards import shard_expression
from pipelines.certify.schema import certified_table_exists, history_table, quality_table
from pipelines.duckdb_sql import quote_literal
from snapshot.tables import CONFLICTS, subject_column

AUTHORITY, OTHER = "a", "o"  # the aliases of the two sides in the comparison


@dataclass(frozen=True)
class Pairing:
    """A column of the authoritative resource and a column of another resource carrying the
    same item, joined on their subject keys; `batch_is_authority` says which side is the batch."""

    item: str
    authority: Contract
    authority_column: Column
    authority_subject: Column
    other: Contract
    other_column: Column
    other_subject: Column
    batch_is_authority: bool


def pairings(contract: Contract, contracts: dict[str, Contract]) -> list[Pairing]:
    """Every comparison a batch of `contract` asks for: each of its shared items against the
    other side's column of that item, where both have comparable subject keys."""
    found = []
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
                    pair = _pairing(column.item, contract, column, other, other_column, True)
                else:
                    pair = _pairing(column.item, other, other_column, contract, column, False)
                if pair is not None:
                    found.append(pair)
    return found


def _pairing(
    item: str,
    authority: Contract,
    authority_column: Column,
    other: Contract,
    other_column: Column,
    batch_is_authority: bool,
) -> Pairing | None:
    authority_subject, other_subject = subject_column(authority), subject_column(other)
    if authority_subject is None or other_subject is None:
        return None
    if KeyRole.subject not in (authority_subject.key_role, other_subject.key_role) and (
        authority_subject.key_role != other_subject.key_role
    ):
        return None
    return Pairing(
        item,
        authority,
        authority_column,
        authority_subject,
        other,
        other_column,
        other_subject,
        batch_is_authority,
    )


Rows = str | exp.Query  # a table or view name, or a query of the open versions


def conflict_query(pairing: Pairing, authority_rows: Rows, other_rows: Rows, dialect: str) -> str:
    """SELECT of the disagreements (`subject_key`, `authoritative_value`, `other_value`, each
    value as DuckDB's text of it) between two sides' open versions, in `dialect`."""

    def column(name: str, side: str) -> exp.Column:
        return exp.column(name, table=side, quoted=True)

    a_subject = column(pairing.authority_subject.name, AUTHORITY)
    a_value = column(pairing.authority_column.name, AUTHORITY)
    o_value = column(pairing.other_column.name, OTHER)
    a_type, o_type = SQL_TYPES[pairing.authority_column.type], SQL_TYPES[pairing.other_column.type]
    query = (
        exp.select(
            a_subject.as_("subject_key"),
            value_text(a_value, a_type, dialect).as_("authoritative_value"),
            value_text(o_value, o_type, dialect).as_("other_value"),
        )
        .distinct()
        .from_(_relation(authority_rows, AUTHORITY))
        .join(
            _relation(other_rows, OTHER),
            on=exp.EQ(this=a_subject.copy(), expression=column(pairing.other_subject.name, OTHER)),
        )
        .where(
            exp.and_(
                exp.NullSafeNEQ(this=a_value.copy(), expression=o_value.copy()),
                exp.not_(o_value.copy().is_(exp.null())),
            )
        )
    )
    return query.sql(dialect=dialect)


def _relation(rows: Rows, alias: str) -> exp.Expr:
    if isinstance(rows, str):
        return exp.to_table(rows).as_(alias)
    return rows.subquery(alias)


def insert_conflicts(rows: str) -> str:
    """INSERT of a comparison's rows (the table or view `rows`, columns as
    :func:`conflict_query` names them) into the conflicts table; parameters: item,
    authoritative resource, other resource, batch, detection time."""
    return (
        f"INSERT INTO {quality_table(CONFLICTS)} SELECT ?, subject_key, ?, "
        f"authoritative_value, ?, other_value, ?, ? FROM {rows}"
    )


def parameters(pairing: Pairing, batch: str, now: dt.datetime) -> list[object]:
    """The parameters of :func:`insert_conflicts` for `pairing`."""
    return [pairing.item, pairing.authority.id, pairing.other.id, batch, now]


def comparable(pairing: Pairing, exists: Callable[[str], bool]) -> bool:
    """Both sides have certified history to compare."""
    return exists(pairing.authority.id) and exists(pairing.other.id)


def record_conflicts(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    contracts: dict[str, Contract],
    batch: str,
    now: dt.datetime,
    shard: str | None = None,
) -> int:
    """Compare this batch's values of shared items (of its region `shard` alone, when the
    batch certifies shard by shard: the shards committed before it were compared in their own
    turn) with the other side; returns conflicts."""
    recorded = 0
    for pairing in pairings(contract, contracts):
        if not comparable(pairing, lambda resource: certified_table_exists(con, resource)):
            continue
        mine = (batch, shard)
        authority = _open_versions(pairing.authority, mine if pairing.batch_is_authority else None)
        other = _open_versions(pairing.other, None if pairing.batch_is_authority else mine)
        query = conflict_query(pairing, authority, other, DUCKDB)
        rows = con.execute(
            insert_conflicts(f"({query})"), parameters(pairing, batch, now)
        ).fetchall()
        recorded += int(rows[0][0]) if rows else 0
    return recorded


def _open_versions(contract: Contract, batch: tuple[str, str | None] | None) -> exp.Query:
    """The open versions of `contract`'s history; when `batch` (a batch and perhaps its
    shard) is given, only those it just opened."""
    in_batch = ""
    if batch is not None:
        in_batch = f" AND _batch = {quote_literal(batch[0])}"
        if batch[1] is not None:
            region = render(shard_expression(contract), DUCKDB)
            in_batch += f" AND {region} = {quote_literal(batch[1])}"
    sql = f"SELECT * FROM {history_table(contract)} WHERE _valid_to IS NULL{in_batch}"
    query = sqlglot.parse_one(sql, dialect=DUCKDB)
    assert isinstance(query, exp.Query)
    return query
