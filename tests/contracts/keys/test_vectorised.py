from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from contracts.keys import (
    check_credit_code,
    check_credit_codes,
    check_id_number,
    check_id_numbers,
    check_subject_keys,
    register_key_functions,
    vectorised,
)

PERSON = "11010519491231002X"
ORGANISATION = "91110000600037341L"
MIXED = [
    PERSON,
    None,
    "11010519491231002x",
    " 110105 19491231 002X",
    "１１０１０５１９４９１２３１００２Ｘ",
    "110105491231002",
    "110105194912310021",
    "",
    "12345",
    ORGANISATION,
    "91110000600037341l",
    "600037341",
    "110105194913310026",
    "99010519491231002X",
    "91990000M000100Y4N",
]


def scalar_ids(values: list[str | None]) -> list[tuple[str | None, str | None]]:
    return [(c.value, c.problem) for c in map(check_id_number, values)]


def pairs(columns: vectorised.KeyColumns) -> list[tuple[str | None, str | None]]:
    return list(zip(columns.value.to_pylist(), columns.problem.to_pylist(), strict=True))


def test_matches_the_scalar_api() -> None:
    assert pairs(check_id_numbers(pa.array(MIXED))) == scalar_ids(MIXED)
    credit = [(c.value, c.problem) for c in map(check_credit_code, MIXED)]
    assert pairs(check_credit_codes(pa.array(MIXED))) == credit


def test_a_credit_code_from_an_unknown_region_is_refused_in_sql() -> None:
    con = duckdb.connect()
    register_key_functions(con)
    row = con.execute("select credit_code_problem('91990000M000100Y4N')").fetchone()
    assert row == ("unknown_region",)


def test_output_arrays_are_well_formed() -> None:
    result = check_id_numbers(pa.array(MIXED * 50))
    for array in (result.value, result.problem):
        array.validate(full=True)
        assert array.type == pa.string()
        assert len(array) == len(MIXED) * 50
    assert result.value.is_null().equals(result.problem.is_valid())


@pytest.mark.parametrize(
    "values",
    [
        pa.array(MIXED, pa.large_string()),
        pa.array(MIXED, pa.string_view()),
        pa.array(MIXED).dictionary_encode(),
        pa.chunked_array([MIXED[:5], MIXED[5:6], [], MIXED[6:]]),
        pa.array(MIXED + MIXED).slice(len(MIXED)),
    ],
    ids=["large_string", "string_view", "dictionary", "chunked", "slice"],
)
def test_accepts_arrow_string_shapes(values: pa.Array | pa.ChunkedArray) -> None:
    assert pairs(check_id_numbers(values)) == scalar_ids(MIXED)


def test_slices_with_nulls_read_the_right_bits() -> None:
    values = [None if i % 3 == 0 else PERSON for i in range(40)]
    for start in range(9):
        got = check_id_numbers(pa.array(values).slice(start)).problem.to_pylist()
        assert got == ["missing" if v is None else None for v in values[start:]]


def test_edge_inputs() -> None:
    assert len(check_id_numbers(pa.array([], pa.string())).value) == 0
    assert len(check_id_numbers(pa.chunked_array([], pa.string())).problem) == 0
    assert check_id_numbers(pa.nulls(3)).problem.to_pylist() == ["missing"] * 3
    numbers = pa.array([110105194912310021, 440304198808083217], pa.int64())
    assert check_id_numbers(numbers).problem.to_pylist() == ["bad_check_char", None]


def test_many_chunks_on_the_pool_agree_with_one(monkeypatch: pytest.MonkeyPatch) -> None:
    values = pa.array(MIXED * 300)
    whole = check_id_numbers(values)
    monkeypatch.setattr(vectorised, "CHUNK_ROWS", 64)
    assert check_id_numbers(values).value.equals(whole.value)
    assert check_id_numbers(values).problem.equals(whole.problem)


def test_aliases_in_the_column_path() -> None:
    aliases = {"60003734-1": ORGANISATION}
    result = check_credit_codes(pa.array(["600037341", "600037342", "60003734-1"]), aliases)
    assert pairs(result) == [
        (ORGANISATION, None),
        (None, "bad_check_char"),
        (ORGANISATION, None),
    ]


def test_subject_keys() -> None:
    result = check_subject_keys(pa.array([PERSON, ORGANISATION, None, "12345"]))
    assert result.kind.to_pylist() == ["person", "organisation", None, None]
    assert result.value.to_pylist() == [PERSON, ORGANISATION, None, None]
    assert result.problem.to_pylist() == [None, None, "missing", "bad_length"]


def test_duckdb_functions() -> None:
    con = duckdb.connect()
    register_key_functions(con)
    con.execute("CREATE TABLE t AS SELECT unnest($1::VARCHAR[]) AS k", [MIXED * 300])
    rows = con.execute(
        "SELECT k, id_number_normalize(k), id_number_problem(k), "
        "credit_code_normalize(k), credit_code_problem(k) FROM t"
    ).fetchall()
    con.close()
    assert len(rows) == len(MIXED) * 300
    for raw, id_value, id_problem, code_value, code_problem in rows:
        as_id, as_code = check_id_number(raw), check_credit_code(raw)
        assert (id_value, id_problem) == (as_id.value, as_id.problem)
        assert (code_value, code_problem) == (as_code.value, as_code.problem)
