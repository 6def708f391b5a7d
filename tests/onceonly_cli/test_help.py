"""Every command explains itself."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from onceonly_cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [[], ["generate"], ["ingest"], ["status"], ["serve"], ["share"], ["share", "request"]],
)
def test_help_everywhere(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
