"""`onceonly demo`: one working token per role, the curl examples and the console's address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from directory.errors import AuthenticationFailed
from directory.store import Directory
from onceonly_cli.main import app
from tests.directory.fixtures import open_sample

runner = CliRunner()


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


def test_demo_prints_a_token_per_role_and_the_console(sample: Directory) -> None:
    first = runner.invoke(app, ["demo", "--base-url", "http://127.0.0.1:8123"])
    assert first.exit_code == 0, first.output
    tokens = dict(
        re.findall(r"^\s+(clerk|steward|analyst|auditor)\s.*: (oo_\S+)$", first.output, re.M)
    )
    assert sorted(tokens) == ["analyst", "auditor", "clerk", "steward"]
    for role, token in tokens.items():
        assert sample.identity.authenticate(token).role.value == role
    assert "Web console: http://127.0.0.1:8123/console/" in first.output
    assert tokens["steward"] in first.output.split("Web console:")[1]

    # Run again (as every `make run` does): new tokens, and the old ones stop working.
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    with pytest.raises(AuthenticationFailed, match="revoked"):
        sample.identity.authenticate(tokens["clerk"])


def test_demo_prints_the_port_serve_is_given(sample: Directory) -> None:
    result = runner.invoke(app, ["demo", "--host", "127.0.0.1", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Web console: http://127.0.0.1:8123/console/" in result.output
    assert "OpenAPI: http://127.0.0.1:8123/docs" in result.output
    assert ":8000" not in result.output


def test_make_run_gives_demo_and_serve_the_same_address() -> None:
    makefile = (Path(__file__).parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "demo --host $(API_HOST) --port $(API_PORT)" in makefile
    assert "serve --host $(API_HOST) --port $(API_PORT)" in makefile
