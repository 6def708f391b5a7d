"""The gate run by Great Expectations on DuckDB temp tables: every expectation kind must pass on
good rows and fail on its own bad rows, so that GE silently not evaluating fails these tests.

GE takes seconds to import; the gate runs are module-scoped fixtures shared by the tests.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pytest

from contracts.expectations import build_suite
from contracts.keys.checksums import id_check_char, uscc_check_char
from contracts.model import SQL_TYPES, Contract
from contracts.registry import bundled_contracts
from pipelines.certify import gate
from pipelines.certify.gate import ExpectationOutcome, GateResult, run_gate
from tests.contracts.factory import make_contract

AS_OF = dt.datetime(2026, 11, 21, 9, 30)
RULES: list[dict[str, Any]] = [
    {"id": "t.name_present", "kind": "not_null", "column": "name"},
    {"id": "t.name_format", "kind": "regex", "column": "name", "pattern": "^[a-z]{1,8}$"},
    {"id": "t.name_length", "kind": "length", "column": "name", "max": 3},
    {"id": "t.kind_enum", "kind": "enum", "column": "kind", "values": ["a", "b"]},
    {"id": "t.amount_range", "kind": "range", "column": "amount", "min": 0, "max": 100},
    {"id": "t.born_range", "kind": "range", "column": "born", "min": "1900-01-01"},
    {"id": "t.born_past", "kind": "date_not_future", "column": "born"},
    {"id": "t.seen_past", "kind": "date_not_future", "column": "seen"},
    {
        "id": "t.gender_matches",
        "kind": "matches_id_number",
        "column": "gender",
        "id_column": "id_number",
        "derived": "gender",
    },
    {
        "id": "t.born_matches",
        "kind": "matches_id_number",
        "column": "born",
        "id_column": "id_number",
        "derived": "birth_date",
    },
    {
        "id": "t.org_registered",
        "kind": "reference",
        "column": "org",
        "resource": "mr_enterprise",
        "resource_column": "credit_code",
    },
    {
        "id": "t.note_sql",
        "kind": "sql",
        "expression": "note IS NULL OR (note <> ':bad' AND NOT regexp_matches(note, '^[0-9]{3}$'))",
    },
    {"id": "t.note_warning", "kind": "not_null", "column": "note", "severity": "warning"},
]


SCHEMA: list[dict[str, Any]] = [
    {"name": "id_number", "key_role": "id_number", "required": True},
    {"name": "org", "key_role": "credit_code"},
    {"name": "subject", "key_role": "subject"},
    {"name": "name"},
    {"name": "gender"},
    {"name": "kind"},
    {"name": "note", "unique": True},
    {"name": "amount", "type": "decimal"},
    {"name": "born", "type": "date"},
    {"name": "seen", "type": "timestamp"},
]


def contract(
    rules: Sequence[dict[str, Any]] = (), record_key: Sequence[str] = ("id_number",), **batch: Any
) -> Contract:
    return make_contract("t_gate", SCHEMA, rules, record_key=record_key, batch=batch)


def person_id(number: int, born: dt.date, male: bool = True, check: str | None = None) -> str:
    body = f"110101{born:%Y%m%d}{2 * number + (1 if male else 2):03d}"
    return body + (check or id_check_char(body))


def credit_code(number: int, letter: str = "A") -> str:
    body = f"91110108MA01{letter}2B{number % 100:02d}"
    return body + uscc_check_char(body)


def good_row(number: int, **changes: Any) -> dict[str, Any]:
    born = changes.pop("id_born", changes.get("born", dt.date(1990, 1, 1)))
    row = {
        "_row_number": number,
        "id_number": person_id(number, born),
        "org": credit_code(1 + number % 10),
        "subject": credit_code(number) if number % 2 else person_id(number + 50, born),
        "name": "ab",
        "gender": "男",
        "kind": "a",
        "note": f"n{number}",
        "amount": 10.5,
        "born": born,
        "seen": dt.datetime(2026, 11, 21, 23, 59),  # later than AS_OF on the same day: fine
    }
    return row | changes


GOOD = [good_row(n) for n in range(1, 11)]
OUTSIDE_CHARSET = credit_code(2).replace("MA01A", "MA01I")  # GB 32100 has no I
# Rule id -> the rows (numbered from 100) that break that rule and no other.
BAD = {
    "id_number.required": [good_row(100, id_number=None)],
    "id_number.key_valid": [
        good_row(101, id_number=person_id(101, dt.date(1990, 1, 1), check="x"))
    ],
    "org.key_valid": [good_row(102, org=OUTSIDE_CHARSET)],
    "subject.key_valid": [good_row(103, subject="12345")],
    "t.name_present": [good_row(104, name=None)],
    "t.name_format": [good_row(105, name="AB1")],
    "t.name_length": [good_row(106, name="abcd")],
    "t.kind_enum": [good_row(107, kind="z")],
    "t.amount_range": [good_row(108, amount=150.0)],
    "t.born_range": [good_row(109, born=dt.date(1800, 1, 1))],
    "t.born_past": [good_row(110, born=dt.date(2027, 1, 1))],
    "t.seen_past": [good_row(111, seen=dt.datetime(2026, 11, 22))],
    "t.gender_matches": [good_row(112, gender="女")],
    "t.born_matches": [good_row(113, born=dt.date(1990, 1, 2), id_born=dt.date(1990, 1, 1))],
    "t.org_registered": [good_row(114, org=credit_code(14, letter="B"))],
    "t.note_sql": [good_row(115, note=":bad"), good_row(116, note="123")],
}
REGISTERED = [*(credit_code(n) for n in range(1, 11)), OUTSIDE_CHARSET]


def create_candidates(
    con: duckdb.DuckDBPyConnection, table: str, contract_: Contract, rows: Sequence[dict[str, Any]]
) -> None:
    columns = {"_row_number": "BIGINT", "_file_hash": "VARCHAR"}
    columns |= {c.name: SQL_TYPES[c.type] for c in contract_.columns}
    definition = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({definition})")
    if rows:
        placeholders = ", ".join("?" for _ in columns)
        values = [[({"_file_hash": "f" * 64} | row).get(name) for name in columns] for row in rows]
        con.executemany(f"INSERT INTO {table} VALUES ({placeholders})", values)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A file-backed pool connection, as in the pipeline, whose TEMP tables only it can see."""
    connection = duckdb.connect(str(tmp_path_factory.mktemp("pool") / "pool.duckdb"))
    # Certified history of the referenced resource: only current versions (_valid_to NULL) count.
    connection.execute(
        "CREATE TEMP TABLE ref_orgs AS SELECT unnest(?) AS credit_code, "
        "NULL::TIMESTAMP AS _valid_to UNION ALL SELECT ?, TIMESTAMP '2026-01-01'",
        [REGISTERED, credit_code(14, letter="B")],
    )
    yield connection
    connection.close()


def kinds_suite() -> Any:
    return build_suite(
        contract(RULES),
        previous_row_count=None,
        as_of=AS_OF,
        reference_table=lambda resource: "ref_orgs" if resource == "mr_enterprise" else None,
    )


@pytest.fixture(scope="module")
def good(con: duckdb.DuckDBPyConnection) -> GateResult:
    create_candidates(con, "good_rows", contract(RULES), GOOD)
    return run_gate(con, "good_rows", kinds_suite())


@pytest.fixture(scope="module")
def bad(con: duckdb.DuckDBPyConnection) -> GateResult:
    rows = [*GOOD, *(row for broken in BAD.values() for row in broken)]
    create_candidates(con, "bad_rows", contract(RULES), rows)
    return run_gate(con, "bad_rows", kinds_suite())


def outcome(result: GateResult, rule_id: str) -> ExpectationOutcome:
    (found,) = [o for o in result.outcomes if o.rule_id == rule_id]
    return found


def test_every_expectation_passes_on_good_rows(good: GateResult) -> None:
    assert good.success, good.failures
    assert {o.rule_id for o in good.outcomes} >= set(BAD)
    for each in good.outcomes:
        assert each.success and each.error is None, each
    assert good.seconds > 0


@pytest.mark.parametrize("rule_id", sorted(BAD))
def test_each_expectation_fails_on_its_own_bad_rows(bad: GateResult, rule_id: str) -> None:
    found = outcome(bad, rule_id)
    expected_rows = [row["_row_number"] for row in BAD[rule_id]]
    assert not found.success and found.error is None
    assert found.unexpected_count == len(expected_rows)
    assert [example["_row_number"] for example in found.examples] == expected_rows


def test_examples_are_fetched_only_where_something_unexpected_was_found(
    con: duckdb.DuckDBPyConnection, good: GateResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every expectation is counted once; only those that found something are validated again
    for their examples (on Spark each examples query is a job)."""
    passes: list[tuple[dict[str, Any], set[str]]] = []
    validated = gate._validated

    def spy(batch: Any, name: str, configurations: list[Any], result_format: Any) -> Any:
        passes.append((result_format, {c.meta["rule_id"] for c in configurations if c.meta}))
        return validated(batch, name, configurations, result_format)

    monkeypatch.setattr(gate, "_validated", spy)
    create_candidates(con, "one_broken", contract(RULES), [*GOOD, *BAD["t.born_past"]])
    result = run_gate(con, "one_broken", kinds_suite())
    assert [f for f, _ in passes if f is not gate.QUERY_FORMAT] == [
        gate.COUNTS_FORMAT,
        gate.COLUMN_FORMAT,
    ]
    assert passes[1][1] == {"t.born_past"}
    assert [o.rule_id for o in result.failures] == ["t.born_past"]
    assert outcome(result, "t.born_past").examples == [{"_row_number": 110, "born": "2027-01-01"}]
    assert all(o.examples == [] for o in result.outcomes if o.rule_id != "t.born_past")

    passes.clear()
    assert run_gate(con, "good_rows", kinds_suite()).success  # the table `good` validated
    assert gate.COLUMN_FORMAT not in [f for f, _ in passes]


def test_bad_rows_break_nothing_else_and_block_the_batch(bad: GateResult) -> None:
    assert not bad.success
    assert {o.rule_id for o in bad.failures} == set(BAD)
    assert all(o.error is None for o in bad.outcomes)


def test_result_is_json_for_the_quality_tables(bad: GateResult) -> None:
    document = json.loads(json.dumps(bad.to_dict(), ensure_ascii=False))
    born = next(o for o in document["outcomes"] if o["rule_id"] == "t.born_past")
    assert born["examples"] == [{"_row_number": 110, "born": "2027-01-01"}]
    assert born["unexpected_percent"] == pytest.approx(100 / 27)
    assert document["outcomes"][0] == {
        "rule_id": "batch.min_rows",
        "expectation_type": "expect_table_row_count_to_be_between",
        "severity": "error",
        "success": True,
        "observed_value": 27,
        "unexpected_count": None,
        "unexpected_percent": None,
        "examples": [],
        "error": None,
    }


BATCH: dict[str, Any] = {
    "completeness": {"name": 0.75},
    "min_rows": 4,
    "row_count_change": {"min_ratio": 0.5, "max_ratio": 2.0},
    "freshness_days": 30,
    "freshness_column": "seen",
}


def test_batch_expectations_pass(con: duckdb.DuckDBPyConnection) -> None:
    compound = contract(record_key=("id_number", "kind"), **BATCH)
    # The same person twice under different kinds: unique as a compound key.
    rows = [*GOOD[:4], good_row(20, id_number=GOOD[0]["id_number"], kind="b", name=None)]
    create_candidates(con, "batch_good", compound, rows)
    result = run_gate(con, "batch_good", build_suite(compound, previous_row_count=8, as_of=AS_OF))
    assert result.success, result.failures
    assert outcome(result, "batch.row_count_change").observed_value == 5
    assert outcome(result, "batch.completeness.name").unexpected_percent == 20.0


def test_batch_expectations_fail(con: duckdb.DuckDBPyConnection) -> None:
    compound = contract(record_key=("id_number", "kind"), **BATCH)
    stale = dt.datetime(2026, 1, 1)
    rows = [
        good_row(1, seen=stale),
        good_row(2, id_number=person_id(1, dt.date(1990, 1, 1)), seen=stale, name=None),
        good_row(3, note="n1", seen=stale, name=None),
    ]
    create_candidates(con, "batch_bad", compound, rows)
    result = run_gate(con, "batch_bad", build_suite(compound, previous_row_count=7, as_of=AS_OF))
    failed = {o.rule_id: o for o in result.outcomes if not o.success}
    assert set(failed) == {
        "batch.min_rows",
        "batch.row_count_change",
        "batch.completeness.name",
        "batch.key_unique",
        "note.unique",
        "batch.freshness",
    }
    assert all(o.error is None for o in result.outcomes)
    assert failed["batch.key_unique"].examples == [
        {"id_number": rows[0]["id_number"], "kind": "a", "row_count": 2, "_row_number": 1}
    ]
    assert failed["batch.freshness"].observed_value == "2026-01-01T00:00:00"
    assert {o.rule_id for o in result.failures} == set(failed) - {"batch.freshness"}


def test_a_repeated_key_fails_and_null_keys_repeat_too(con: duckdb.DuckDBPyConnection) -> None:
    """NULL key parts match each other, as in classification and the history merge."""
    single = contract()
    again = good_row(6, id_number=GOOD[0]["id_number"], note="again")
    rows = [*GOOD[:3], good_row(4, id_number=None), good_row(5, id_number=None), again]
    create_candidates(con, "repeated", single, rows)
    result = run_gate(con, "repeated", build_suite(single, previous_row_count=None, as_of=AS_OF))
    assert [o.rule_id for o in result.failures] == ["batch.key_unique", "id_number.required"]
    repeated = outcome(result, "batch.key_unique")
    assert repeated.unexpected_count == 2
    assert sorted(repeated.examples, key=lambda e: e["_row_number"]) == [
        {"id_number": GOOD[0]["id_number"], "row_count": 2, "_row_number": 1},
        {"id_number": None, "row_count": 2, "_row_number": 4},
    ]


def test_an_empty_batch_passes_when_min_rows_allows_it(con: duckdb.DuckDBPyConnection) -> None:
    empty = contract(min_rows=0, completeness={"name": 0.9})
    create_candidates(con, "empty", empty, [])
    result = run_gate(con, "empty", build_suite(empty, previous_row_count=None, as_of=AS_OF))
    assert result.success, result.failures


def test_a_stale_batch_alone_is_a_warning(con: duckdb.DuckDBPyConnection) -> None:
    fresh = contract(freshness_days=30, freshness_column="seen")
    create_candidates(con, "stale", fresh, [good_row(1, seen=dt.datetime(2020, 1, 1))])
    result = run_gate(con, "stale", build_suite(fresh, previous_row_count=None, as_of=AS_OF))
    assert result.success
    assert not outcome(result, "batch.freshness").success


def test_an_expectation_that_raised_is_a_failure(con: duckdb.DuckDBPyConnection) -> None:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    create_candidates(con, "raising", contract(), GOOD[:3])
    suite = gx.ExpectationSuite(
        name="raising",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(
                column="no_such_column", meta={"rule_id": "r.column", "severity": "warning"}
            ),
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query="SELECT * FROM {batch} WHERE no_such_function(name)",
                meta={"rule_id": "r.query", "severity": "error"},
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="name", meta={"rule_id": "r.fine"}),
        ],
    )
    result = run_gate(con, "raising", suite)
    assert not result.success
    assert [o.rule_id for o in result.failures] == ["r.query"]
    for rule_id in ("r.column", "r.query"):
        raised = outcome(result, rule_id)
        assert not raised.success and raised.error, raised
    assert "no_such_function" in (outcome(result, "r.query").error or "")
    assert outcome(result, "r.fine").success


def test_regex_matches_anywhere_in_the_value_as_in_great_expectations(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """DuckDB's `~` must keep PostgreSQL's search semantics that the glue relies on."""
    partial = contract([{"id": "t.has_b", "kind": "regex", "column": "name", "pattern": "b"}])
    create_candidates(con, "partial", partial, [good_row(1, name="abc"), good_row(2, name="xyz")])
    result = run_gate(con, "partial", build_suite(partial, previous_row_count=None, as_of=AS_OF))
    assert outcome(result, "t.has_b").examples == [{"_row_number": 2, "name": "xyz"}]


@pytest.mark.parametrize("contract_id", sorted(bundled_contracts()))
def test_every_bundled_suite_evaluates_on_duckdb(
    con: duckdb.DuckDBPyConnection, contract_id: str
) -> None:
    """One all-NULL row: every generated expectation and query must run without raising."""
    bundled = bundled_contracts()[contract_id]
    create_candidates(con, f"bundled_{contract_id}", bundled, [{"_row_number": 1}])
    suite = build_suite(
        bundled, previous_row_count=1, as_of=AS_OF, reference_table=lambda resource: "ref_orgs"
    )
    result = run_gate(con, f"bundled_{contract_id}", suite)
    assert [o for o in result.outcomes if o.error is not None] == []
    required = {f"{c.name}.required" for c in bundled.columns if c.required}
    assert required and required <= {o.rule_id for o in result.failures}


def test_the_pipeline_connection_is_left_as_it_was(con: duckdb.DuckDBPyConnection) -> None:
    create_candidates(con, "hygiene", contract(), GOOD[:2])
    run_gate(con, "hygiene", build_suite(contract(), previous_row_count=None, as_of=AS_OF))
    gc.collect()  # GE's engine closes its connections when it is collected
    assert con.execute("SELECT count(*) FROM hygiene").fetchall() == [(2,)]
    con.execute("BEGIN")  # raises if the gate left a transaction open
    con.execute("ROLLBACK")


def test_the_table_must_be_a_plain_name(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="plain identifier"):
        run_gate(con, "good_rows; DROP TABLE x", kinds_suite())


def test_glue_refuses_an_engine_it_was_not_written_for(con: duckdb.DuckDBPyConnection) -> None:
    import sqlalchemy.dialects.sqlite as sqlite
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    from pipelines.certify.ge_duckdb import GlueOutdatedError, adapt_execution_engine, engine_kwargs

    with pytest.raises(GlueOutdatedError, match="PostgreSQL-derived"):
        adapt_execution_engine(SqlAlchemyExecutionEngine(connection_string="sqlite://"))
    engine = SqlAlchemyExecutionEngine(
        connection_string="duckdb://", create_temp_table=False, **engine_kwargs(con)
    )
    adapt_execution_engine(engine)
    adapt_execution_engine(engine)  # idempotent
    engine.dialect_module = sqlite
    with pytest.raises(GlueOutdatedError, match="dialect_module"):
        adapt_execution_engine(engine)


def test_an_expectation_without_a_result_is_a_failure() -> None:
    from pipelines.certify.gate import _numbered, _outcomes

    (missing,) = _outcomes(_numbered(kinds_suite())[:1], [])
    assert missing.rule_id == "batch.min_rows"
    assert not missing.success and missing.blocks
    assert missing.error == "Great Expectations returned no result for this expectation"
