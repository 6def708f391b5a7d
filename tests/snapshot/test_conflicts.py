"""Reading recorded conflicts: both values, and the batch each side's value came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from contracts.registry import bundled_contracts
from snapshot.conflicts import read_conflicts
from tests.snapshot.small import PERSON, SmallSnapshot, write_small_snapshot


def test_each_side_names_the_newest_batch_holding_its_value(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.duckdb"
    write_small_snapshot(path)
    query = SmallSnapshot(path).query_records
    (conflict,) = read_conflicts(query, bundled_contracts(), {"hrss_insurance"})
    assert read_conflicts(query, bundled_contracts(), {"ps_population"}) == []
    assert (conflict.authoritative_value, conflict.authoritative_batch) == ("张伟", "ps-b1")
    assert (conflict.other_value, conflict.other_batch) == ("张玮", "hrss-b2")
    assert (conflict.item, conflict.subject_key, conflict.batch) == (
        "person.name",
        PERSON,
        "hrss-b2",
    )


def test_a_snapshot_with_nothing_certified_has_no_conflicts(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:

        def query(sql: str, params: list[object]) -> list[dict[str, Any]]:
            cursor = con.execute(sql, params)
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        assert read_conflicts(query, bundled_contracts(), {"hrss_insurance"}) == []
