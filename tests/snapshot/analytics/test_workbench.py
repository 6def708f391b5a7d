"""The SQL workbench against hostile queries: every one is refused or bounded, none reads a file.

A canary file holds a secret; many queries try to read it (or anything else) through table
functions, replacement scans, statements, comments, unicode tricks and the catalogue. The
secret must never come back, and every query must end: refused, or stopped by a limit. Then the same
file reads are tried on the connection directly, skipping the checks, to show the second line
of defence holds on its own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from snapshot.analytics.config import WorkbenchSettings
from snapshot.analytics.database import open_analytics
from snapshot.analytics.guard import QueryRefused, check_query
from snapshot.analytics.workbench import QueryFailed, QueryResult, Workbench, run_query
from tests.pipelines.analytics.support import built_serving

SECRET = "canary-5f3a91c7"
LIMITS = WorkbenchSettings(row_limit=50, seconds=1.0, memory_limit="256MB")
HOSTILE = [
    # files and the network, through table functions and replacement scans
    "SELECT * FROM read_csv('{canary}')",
    "SELECT * FROM read_csv_auto('{canary}')",
    "SELECT * FROM read_csv(['{canary}', '{canary}'])",
    "SELECT * FROM read_parquet('{canary}')",
    "SELECT * FROM read_json('{canary}')",
    "SELECT * FROM read_text('{canary}')",
    "SELECT content FROM read_blob('{canary}')",
    "SELECT * FROM '{canary}'",
    'SELECT * FROM "{canary}"',
    "SELECT * FROM glob('{folder}/*')",
    "SELECT * FROM sniff_csv('{canary}')",
    "SELECT * FROM parquet_metadata('{canary}')",
    "SELECT * FROM cases, read_csv('{canary}')",
    "SELECT * FROM cases WHERE case_no IN (SELECT * FROM read_csv('{canary}'))",
    "WITH t AS (SELECT * FROM read_csv('{canary}')) SELECT * FROM t",
    "SELECT case_no FROM cases UNION ALL SELECT * FROM read_csv('{canary}')",
    "SELECT * FROM 'https://example.com/data.csv'",
    "SELECT * FROM read_parquet('s3://bucket/cases.parquet')",
    "SELECT * FROM query('SELECT * FROM read_csv(''{canary}'')')",
    "SELECT * FROM query_table('cases')",
    "SELECT * FROM cases JOIN read_csv('{canary}') AS f ON true",
    # statements that are not a plain query
    "COPY cases TO '{folder}/out.csv'",
    "COPY (SELECT * FROM cases) TO '{folder}/out.csv'",
    "ATTACH '{folder}/other.duckdb' AS other",
    "DETACH analytics",
    "PRAGMA database_list",
    "PRAGMA version",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET VARIABLE x = 1",
    "INSTALL httpfs",
    "LOAD httpfs",
    "EXPORT DATABASE '{folder}/export'",
    "IMPORT DATABASE '{folder}/export'",
    "CREATE TABLE copy AS SELECT * FROM cases",
    "CREATE MACRO m() AS 1",
    "INSERT INTO cases SELECT * FROM cases",
    "UPDATE cases SET case_no = 'x'",
    "DELETE FROM cases",
    "DROP TABLE cases",
    "CALL pragma_version()",
    "CHECKPOINT",
    "SELECT * INTO stolen FROM cases",
    "DESCRIBE cases",
    "SUMMARIZE cases",
    "SHOW TABLES",
    "USE memory",
    "BEGIN TRANSACTION",
    "VACUUM",
    # several statements, and comments hiding them
    "SELECT 1; DROP TABLE cases",
    "SELECT 1; SELECT * FROM read_csv('{canary}')",
    "SELECT 1 /* ; COPY cases TO '{folder}/c.csv' */ ; ATTACH '{folder}/y.duckdb'",
    "SELECT 1 -- harmless\n; COPY cases TO '{folder}/c.csv'",
    "/* a comment first */ PRAGMA version",
    # unicode tricks
    "SELECT 1\u200b; DROP TABLE cases",
    "SELECT * FROM cases\u202e -- reversed",
    "SELECT '\ufeff' || case_no FROM cases",
    "SELECT 1\x00; DROP TABLE cases",
    "SELECT * FROM \uff43\uff41\uff53\uff45\uff53",  # full-width "cases"
    "SELECT * FROM c\u0430ses",  # Cyrillic a
    "S\uff25LECT 1",
    # the catalogue, settings and session
    "SELECT * FROM duckdb_tables()",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_functions()",
    "SELECT * FROM cases WHERE EXISTS (SELECT * FROM duckdb_columns())",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM pg_catalog.pg_tables",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM pragma_table_info('cases')",
    "SELECT current_setting('threads')",
    "SELECT getvariable('x')",
    "SELECT current_database()",
    "SELECT version()",
    "SELECT pg_sleep(100)",
    "SELECT nextval('seq')",
    "SELECT * FROM other_schema.cases",
    "SELECT * FROM analytics.main.cases",
    "SELECT nope FROM cases",
    # unbounded work: refused, or stopped by the time, memory or row limit
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT t.n FROM t, t AS u) SELECT * FROM t",
    "SELECT * FROM range(1000000000000)",
    "SELECT * FROM generate_series(1, 1000000000000)",
    "SELECT count(*) FROM cases a, cases b, cases c",
    "SELECT sum(a.promised_days * b.promised_days) FROM cases a CROSS JOIN cases b "
    "CROSS JOIN cases c",
    "SELECT count(*) FROM (SELECT unnest(range(10000000000)))",
    "SELECT * FROM cases a, cases b",
    "SELECT string_agg(a.case_no || b.case_no, ',') FROM cases a, cases b",
    "SELECT repeat('x', 2000000000)",
    "SELECT list_transform(range(500000000), lambda x: x + 1)",
    # CTE names shaped like file paths, used outside the scope where the CTE is visible
    'SELECT * FROM (WITH "{canary}" AS (SELECT 1 AS a) SELECT * FROM "{canary}") AS t, "{canary}"',
    'SELECT (WITH "{canary}" AS (SELECT 1 AS a) SELECT a FROM "{canary}") AS a, * FROM "{canary}"',
    'SELECT * FROM cases WHERE EXISTS (WITH "{canary}" AS (SELECT 1) SELECT 1) '
    'UNION ALL SELECT * FROM "{canary}"',
    'WITH t AS (WITH "{canary}" AS (SELECT 1 AS a) SELECT a FROM "{canary}") '
    'SELECT * FROM t, "{canary}"',
    'WITH "{folder}/other.csv" AS (SELECT 1 AS a) SELECT * FROM "{canary}"',
    "WITH \"{canary}\" AS (SELECT 1 AS a) SELECT * FROM '{canary}'",
    # more statements that only look small
    "CHECKPOINT analytics",
    "FORCE CHECKPOINT",
    "LOAD '{folder}/evil.duckdb_extension'",
    "CALL checkpoint()",
    "CALL pragma_table_info('cases')",
    "CALL load_extension('httpfs')",
]
# The same aims, written in the dialects the workbench reads.
HOSTILE_DIALECTS = [
    ("tsql", "SELECT * FROM OPENROWSET(BULK '{canary}', SINGLE_CLOB) AS f"),
    ("tsql", "SELECT TOP 1 * FROM [{canary}]"),
    ("tsql", "BULK INSERT cases FROM '{canary}'"),
    ("tsql", "EXEC xp_cmdshell 'cat {canary}'"),
    ("mysql", "SELECT LOAD_FILE('{canary}')"),
    ("mysql", "SELECT * FROM cases INTO OUTFILE '{folder}/out.txt'"),
    ("mysql", "LOAD DATA INFILE '{canary}' INTO TABLE cases"),
    ("mysql", "SELECT * FROM `{canary}`"),
    ("postgres", "SELECT pg_read_file('{canary}')"),
    ("postgres", "COPY cases FROM '{canary}'"),
    ("postgres", 'SELECT * FROM "{canary}"'),
    ("postgres", 'WITH "{canary}" AS (SELECT 1) SELECT * FROM (SELECT 1) AS s, "{canary}"'),
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_serving(tmp_path_factory.getbasetemp()) / "analytics.duckdb"


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("canary")
    path = folder / "canary.csv"
    path.write_text(f"secret\n{SECRET}\n", encoding="utf-8")
    return path


def test_the_corpus_is_large() -> None:
    assert len(HOSTILE) >= 50


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_query_is_refused_or_bounded(template: str, database: Path, canary: Path) -> None:
    sql = template.replace("{canary}", str(canary)).replace("{folder}", str(canary.parent))
    outcome: str
    try:
        result = run_query(database, sql, LIMITS)
    except QueryRefused as refused:
        outcome = f"refused {refused.code}: {refused.message}"
        assert refused.message
    except QueryFailed as failed:
        outcome = f"failed {failed.code}: {failed.message}"
        assert failed.code in {"time_limit", "memory_limit", "query_error"}
    else:
        outcome = _text(result)
        assert result.table.num_rows <= LIMITS.row_limit
    assert SECRET not in outcome
    assert sorted(p.name for p in canary.parent.iterdir()) == ["canary.csv"]  # nothing written


@pytest.mark.parametrize(("read", "template"), HOSTILE_DIALECTS)
def test_hostile_query_in_another_dialect_is_refused_or_bounded(
    read: str, template: str, database: Path, canary: Path
) -> None:
    sql = template.replace("{canary}", str(canary)).replace("{folder}", str(canary.parent))
    try:
        result = run_query(database, sql, LIMITS, read=read)
    except QueryRefused as refused:
        outcome = refused.message
    except QueryFailed as failed:
        outcome = failed.message
        assert failed.code in {"time_limit", "memory_limit", "query_error"}
    else:
        outcome = _text(result)
    assert SECRET not in outcome and "\x1b" not in outcome
    assert sorted(p.name for p in canary.parent.iterdir()) == ["canary.csv"]


def test_a_cte_name_is_trusted_only_inside_its_scope() -> None:
    views = {"cases": ["case_no"]}
    inside = 'SELECT * FROM (WITH "/etc/passwd" AS (SELECT 1 AS a) SELECT a FROM "/etc/passwd") t'
    assert check_query(inside, views).views == ()
    for outside in (
        f'{inside}, "/etc/passwd"',
        'SELECT * FROM cases WHERE case_no IN (WITH "/etc/passwd" AS (SELECT 1 AS a) '
        'SELECT a FROM "/etc/passwd") UNION ALL SELECT * FROM "/etc/passwd"',
    ):
        with pytest.raises(QueryRefused) as refused:
            check_query(outside, views)
        assert refused.value.code == "unknown_view" and "/etc/passwd" in refused.value.message
    shadowing = "WITH Per AS (SELECT case_no FROM cases) SELECT case_no AS Nums FROM per"
    assert check_query(shadowing, views).sql == shadowing  # the analyst's case is kept


def test_other_dialects_are_read_and_errors_are_plain_text() -> None:
    views = {"cases": ["case_no", "received_date"]}
    tsql = check_query("SELECT TOP 2 [case_no] FROM cases", views, read="tsql")
    assert tsql.sql == 'SELECT "case_no" FROM cases LIMIT 2'
    mysql = check_query("SELECT `case_no` FROM cases LIMIT 1", views, read="mysql")
    assert mysql.sql == 'SELECT "case_no" FROM cases LIMIT 1'
    postgres = check_query("SELECT case_no::text FROM cases", views, read="postgres")
    assert postgres.views == ("cases",)
    with pytest.raises(QueryRefused) as parse:
        check_query("SELECT * FROM WHERE", views)
    assert parse.value.code == "parse_error" and "\x1b" not in parse.value.message
    assert "line 1, column 19" in parse.value.message and "Token" not in parse.value.message
    with pytest.raises(QueryRefused) as unknown:
        check_query("SELECT 1", views, read="cobol")
    assert unknown.value.code == "unknown_dialect" and "tsql" in unknown.value.message


def test_the_workbench_keeps_its_worker_and_follows_a_new_build(
    database: Path, tmp_path: Path
) -> None:
    served = tmp_path / "analytics.duckdb"
    shutil.copy(database, served)
    with Workbench(served) as workbench:
        first = workbench.run("SELECT count(*) AS n FROM cases", LIMITS)
        worker = workbench._worker
        again = workbench.run("SELECT count(*) AS n FROM cases", LIMITS)
        assert workbench._worker is worker and again.table == first.table
        with pytest.raises(QueryFailed) as slow:
            workbench.run("SELECT count(*) FROM cases a, cases b, cases c", LIMITS)
        assert slow.value.code == "time_limit"  # interrupted (or killed, and replaced)
        assert workbench.run("SELECT 1 AS one", LIMITS).table.to_pylist() == [{"one": 1}]
        with duckdb.connect(str(tmp_path / "next.duckdb")) as con:  # a new build switched in
            con.execute(f"ATTACH '{database}' AS old (READ_ONLY)")
            con.execute("CREATE TABLE cases AS SELECT * FROM old.cases LIMIT 3")
        os.replace(tmp_path / "next.duckdb", served)
        after = workbench.run("SELECT count(*) AS n FROM cases", LIMITS)
        assert after.table.to_pylist() == [{"n": 3}]


def test_the_locked_connection_refuses_files_even_without_the_checks(
    database: Path, canary: Path
) -> None:
    with open_analytics(database, LIMITS) as con:
        for sql in (
            f"SELECT * FROM read_csv('{canary}')",
            f"SELECT * FROM '{canary}'",
            f"COPY (SELECT 1) TO '{canary.parent}/out.csv'",
            f"ATTACH '{canary.parent}/other.duckdb'",
            "SET enable_external_access = true",
            "SET memory_limit = '100GB'",
            "LOAD httpfs",
        ):
            with pytest.raises(duckdb.Error) as error:
                con.execute(sql).fetchall()
            assert SECRET not in str(error.value)
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE x AS SELECT 1")  # read-only
    assert sorted(p.name for p in canary.parent.iterdir()) == ["canary.csv"]


def test_plain_queries_run_ordered_limited_and_transpiled(database: Path) -> None:
    result = run_query(
        database,
        "WITH per_item AS (SELECT service_item_code, count(*) AS n FROM cases GROUP BY ALL) "
        "SELECT service_item_code, n FROM per_item ORDER BY n DESC, service_item_code",
        LIMITS,
        row_limit=2,
        dialect="postgres",
    )
    rows = result.table.to_pylist()
    assert len(rows) == 2 and result.truncated and result.row_limit == 2
    assert rows[0]["n"] >= rows[1]["n"]
    assert result.transpiled is not None and "per_item" in result.transpiled
    union = run_query(
        database,
        "SELECT colour FROM case_warnings UNION SELECT 'none' ORDER BY 1",
        LIMITS,
    )
    assert "none" in union.table.column("colour").to_pylist()
    lambdas = run_query(database, "SELECT list_transform([1, 2], lambda x: x * 2) AS l", LIMITS)
    assert lambdas.table.to_pylist() == [{"l": [2, 4]}]


def test_refusals_say_what_to_do() -> None:
    views = {"cases": ["case_no", "received_date"]}
    with pytest.raises(QueryRefused) as unknown:
        check_query("SELECT * FROM gsc_cases", views)
    assert unknown.value.code == "unknown_view" and "cases" in unknown.value.message
    with pytest.raises(QueryRefused) as column:
        check_query("SELECT applicant_key FROM cases", views)
    assert column.value.code == "unknown_column"
    with pytest.raises(QueryRefused) as long:
        check_query("SELECT 1" + " " * 200, views, max_chars=100)
    assert long.value.code == "query_too_long"
    checked = check_query("SELECT case_no /* note */ FROM cases -- tail", views)
    assert checked.sql == "SELECT case_no FROM cases" and checked.views == ("cases",)


def _text(result: QueryResult) -> str:
    return repr(result.table.to_pylist()) + (result.transpiled or "") + result.sql
