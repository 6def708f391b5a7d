"""Every command that reads state works on a fresh home, and after a first delivery that
failed: an exit status, a message that says what to do next, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from onceonly_cli.main import app

runner = CliRunner()

# (command, exit status, words of the next step the command must name)
READING_COMMANDS = [
    (["status"], 1, "onceonly ingest"),
    (["ingest"], 0, "onceonly generate"),
    (["quarantine", "export", "--dept", "ps"], 1, "onceonly ingest"),
    (["audit", "list"], 1, "give --as USER, or set ONCEONLY_CLI_USER=USER"),
    (["audit", "list", "--as", "chen.audit"], 1, "onceonly token create"),
    (["audit", "verify"], 1, "give --as USER, or set ONCEONLY_CLI_USER=USER"),
    (["catalogue", "list"], 0, "onceonly catalogue sync"),
    (["token", "list"], 0, "onceonly token create"),
    (["analytics", "summary"], 1, "onceonly ingest"),
    (["analytics", "build"], 1, "onceonly ingest"),
    (["forecast", "show", "item:4101000008"], 1, "onceonly analytics build"),
    (["forecast", "chart", "item:4101000008", "--out", "chart.png"], 1, "onceonly analytics build"),
    (["sql", "SELECT 1"], 1, "onceonly analytics build"),
    (["sql", "--views"], 1, "onceonly analytics build"),
]


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def flat(text: str) -> str:
    """Output with line wrapping undone, so that a message can be found whatever the width."""
    return " ".join(text.split())


def assert_explained(result: Result, code: int, next_step: str) -> None:
    output = flat(result.output)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in output and "Exception" not in output, result.output
    assert next_step in output, result.output


@pytest.mark.parametrize(("command", "code", "next_step"), READING_COMMANDS)
def test_every_reading_command_on_an_empty_home(
    onceonly_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    code: int,
    next_step: str,
) -> None:
    monkeypatch.chdir(onceonly_home.parent)
    assert_explained(invoke(*command), code, next_step)


def test_after_a_first_delivery_that_failed(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(onceonly_home.parent)
    drop = onceonly_home / "landing" / "ps" / "ps_population"
    drop.mkdir(parents=True)
    (drop / "人口基本信息_20261120.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    failed = invoke("ingest")
    assert_explained(failed, 1, "onceonly ingest")
    assert "not found in the header row [foo, bar]" in flat(failed.output)
    assert "nothing certified yet, so no snapshot is published" in flat(failed.output)
    assert not list((onceonly_home / "serving").glob("pool_v*.duckdb"))
    for command, code, next_step in READING_COMMANDS:
        if command != ["ingest"]:
            assert_explained(invoke(*command), code, next_step)
    again = invoke("ingest")  # the same failing file, tried again
    assert_explained(again, 1, "onceonly ingest")
