"""The layout defined once: the generated DDL makes the tables the definitions describe, and
the as-of condition picks the version valid at a moment."""

from __future__ import annotations

import datetime as dt

import duckdb

from contracts.registry import bundled_contracts
from snapshot.history import as_of_records_sql, current_records_sql
from snapshot.tables import (
    QUALITY_TABLES,
    history_columns,
    history_ddl,
    history_exists_query,
    quality_schema_ddl,
)

T1, T2, T3 = (dt.datetime(2026, 11, d, 9, 0) for d in (20, 21, 22))


def test_the_generated_ddl_makes_the_defined_tables() -> None:
    contract = bundled_contracts()["ps_population"]
    with duckdb.connect() as con:
        for ddl in quality_schema_ddl():
            con.execute(ddl)
        con.execute(history_ddl(contract))
        for table in QUALITY_TABLES:
            exists, params = table.exists_query()
            assert con.execute(exists, params).fetchall() == [(1,)]
            described = con.execute(f"DESCRIBE {table.ref()}").fetchall()
            assert [(row[0], row[1]) for row in described] == list(table.columns)
        exists, params = history_exists_query(contract.id)
        assert con.execute(exists, params).fetchall() == [(1,)]
        described = con.execute(f'DESCRIBE "{contract.id}"').fetchall()
        assert [row[0] for row in described] == list(history_columns(contract))


def test_as_of_reads_see_the_version_valid_then_and_layout_reads_the_current_one() -> None:
    contract = bundled_contracts()["ps_population"]
    key = "410102199003071235"
    with duckdb.connect() as con:
        con.execute(history_ddl(contract))
        con.execute(
            f'INSERT INTO "{contract.id}" (id_number, name, _record_hash, _valid_from, '
            "_valid_to, _row_number) "
            "VALUES (?, '张伟', 'a', ?, ?, 1), (?, '张卫', 'b', ?, NULL, 1)",
            [key, T1, T2, key, T2],
        )

        def names(sql: str, params: list[object]) -> list[object]:
            return [row[1] for row in con.execute(sql, params).fetchall()]

        as_of = as_of_records_sql(contract.id, "id_number")
        assert names(as_of, [key, T1, T1]) == ["张伟"]
        assert names(as_of, [key, T2, T2]) == names(as_of, [key, T3, T3]) == ["张卫"]
        before = T1 - dt.timedelta(days=1)
        assert names(as_of, [key, before, before]) == []
        current = con.sql(current_records_sql(contract.id, "id_number", 18)).to_arrow_table()
        assert current.column("name").to_pylist() == ["张卫"]
        assert "_valid_to" not in current.column_names
        assert "_record_hash" not in current.column_names
