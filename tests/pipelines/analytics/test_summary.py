"""The headline for `make run`: statistics, red and yellow counts, the busiest item's chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from onceonly_cli.main import app
from pipelines.analytics.summary import headline
from snapshot.analytics.config import AnalyticsSettings
from snapshot.calendar import OfficialCalendar
from tests.pipelines.analytics.support import AS_OF, install_serving


def test_headline_counts_colours_and_draws_the_busiest_item(
    onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    serving = install_serving(tmp_path_factory.getbasetemp(), onceonly_home)
    charts = onceonly_home / "analytics" / "charts"
    result = headline(
        serving / "analytics.duckdb", charts, AnalyticsSettings(), OfficialCalendar(), AS_OF
    )
    assert result.busiest == ("item:4101000008", "居民身份证换领")  # 9 a day, the busiest
    assert result.chart == charts / "item-4101000008-daily.png"
    assert result.chart.read_bytes().startswith(b"\x89PNG")
    assert result.received == result.on_the_spot + result.promised
    assert result.completed + result.open == result.received
    assert sum(result.colours.values()) == result.open
    text = "\n".join(result.lines())
    assert "办结率" in text and "red" in text and "yellow" in text and str(result.chart) in text


def test_the_summary_command_prints_the_headline(
    onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    install_serving(tmp_path_factory.getbasetemp(), onceonly_home)
    result = CliRunner().invoke(app, ["analytics", "summary"])  # current: no rebuild
    assert result.exit_code == 0, result.output
    assert "Case statistics" in result.output and "Open cases on" in result.output
    assert (onceonly_home / "analytics" / "charts" / "item-4101000008-daily.png").exists()


def test_without_a_snapshot_the_summary_says_to_ingest(onceonly_home: Path) -> None:
    result = CliRunner().invoke(app, ["analytics", "summary"])
    assert result.exit_code == 1 and "onceonly ingest" in result.output
