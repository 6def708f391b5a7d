"""`onceonly sql`: the workbench from the command line, with the same checks and limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onceonly_cli.main import app
from tests.pipelines.analytics.support import install_serving

runner = CliRunner()


@pytest.fixture
def built(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_serving(tmp_path_factory.getbasetemp(), onceonly_home)


def test_a_query_prints_rows_in_each_format(built: Path) -> None:
    sql = "SELECT colour, count(*) AS n FROM case_warnings GROUP BY ALL ORDER BY colour"
    table = runner.invoke(app, ["sql", sql, "--dialect", "postgres"])
    assert table.exit_code == 0, table.output
    assert "-- postgres" in table.output and "colour" in table.output and "row(s)" in table.output
    as_json = runner.invoke(app, ["sql", sql, "--format", "json"])
    rows = json.loads(as_json.output.splitlines()[0])
    assert {r["colour"] for r in rows} <= {"red", "yellow", "green"}
    as_csv = runner.invoke(
        app, ["sql", "SELECT case_no FROM cases", "--format", "csv", "--limit", "3"]
    )
    assert (
        as_csv.output.splitlines()[0] == '"case_no"' and "cut at the row limit 3" in as_csv.output
    )


def test_refused_queries_exit_2_with_the_reason(built: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT * FROM read_csv('/etc/passwd')"])
    assert result.exit_code == 2 and "table_function" in result.output
    assert "root:" not in result.output
    dropped = runner.invoke(app, ["sql", "DROP TABLE cases"])
    assert dropped.exit_code == 2 and "not_a_select" in dropped.output


def test_views_are_listed(built: Path) -> None:
    result = runner.invoke(app, ["sql", "--views"])
    assert result.exit_code == 0
    assert "case_statistics" in result.output and "applicant_pseudonym" in result.output


def test_the_query_can_come_from_stdin(built: Path) -> None:
    result = runner.invoke(app, ["sql", "-"], input="SELECT count(*) AS n FROM cases\n")
    assert result.exit_code == 0, result.output
    assert "1 row(s)" in result.output


@pytest.mark.parametrize(
    "command",
    [["sql"], ["forecast"], ["forecast", "backtest"], ["analytics"], ["analytics", "summary"]],
)
def test_the_commands_explain_themselves(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
