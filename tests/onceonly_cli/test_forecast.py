"""`onceonly forecast`: the backtest on a user's own file, and forecasts shown and drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from onceonly_cli.main import app
from tests.pipelines.analytics.support import install_serving

runner = CliRunner()


def _user_file(folder: Path, suffix: str) -> Path:
    """Two daily series a centre might export: weekday-shaped counts, zero when closed."""
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-06-01", "2025-12-31", freq="D")
    rows = []
    for name, level in (("户口迁移", 12.0), ("出生登记", 3.0)):
        shape = np.where(days.dayofweek < 5, 1.0 + 0.1 * (4 - days.dayofweek), 0.0)
        rows.append(
            pd.DataFrame(
                {
                    "日期": days.strftime("%Y-%m-%d"),
                    "事项": name,
                    "件数": rng.poisson(level * shape),
                }
            )
        )
    frame = pd.concat(rows)
    path = folder / f"demand{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    else:
        frame.to_parquet(path)
    return path


def test_backtest_on_a_user_csv_prints_every_model(tmp_path: Path) -> None:
    path = _user_file(tmp_path, ".csv")
    result = runner.invoke(
        app,
        [
            "forecast",
            "backtest",
            "--input",
            str(path),
            "--date-col",
            "日期",
            "--value-col",
            "件数",
            "--series-col",
            "事项",
            "--horizon",
            "14",
            "--windows",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Backtest of 2 series" in out and "SeasonalNaive" in out
    for model in ("CalendarARIMA", "SES", "CrostonOptimized", "ADIDA", "IMAPA"):
        assert model in out
    assert "MASE" in out and "sMAPE" in out and "wall s" in out


def test_backtest_on_parquet_with_every_day_open(tmp_path: Path) -> None:
    path = _user_file(tmp_path, ".parquet")
    result = runner.invoke(
        app,
        [
            "forecast",
            "backtest",
            "--input",
            str(path),
            "--date-col",
            "日期",
            "--value-col",
            "件数",
            "--series-col",
            "事项",
            "--horizon",
            "14",
            "--windows",
            "2",
            "--calendar",
            "every_day",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(season 7)" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--date-col", "day"], "has no column day"),
        (["--date-col", "事项"], "is not a date"),
        (["--horizon", "200"], "no series is long enough"),
        (["--country", "US"], "--calendar every_day or weekdays"),
        (["--calendar", "every_day", "--country", "XX"], "knows no country"),
        (["--closed-days", "2025-13-01"], "is not a date"),
    ],
)
def test_backtest_errors_say_what_to_fix(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    path = _user_file(tmp_path, ".csv")
    base = {
        "--input": str(path),
        "--date-col": "日期",
        "--value-col": "件数",
        "--series-col": "事项",
        "--horizon": "14",
        "--windows": "2",
    }
    base.update(dict(zip(arguments[::2], arguments[1::2], strict=True)))
    result = runner.invoke(app, ["forecast", "backtest", *[x for kv in base.items() for x in kv]])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_backtest_with_a_country_and_closures(tmp_path: Path) -> None:
    path = _user_file(tmp_path, ".csv")
    closures = tmp_path / "closed.txt"
    closures.write_text("date\n2025-08-04\n2025-08-05\n", encoding="utf-8")
    common = ["forecast", "backtest", "--input", str(path), "--date-col", "日期"]
    result = runner.invoke(
        app,
        [
            *common,
            "--value-col",
            "件数",
            "--series-col",
            "事项",
            "--horizon",
            "14",
            "--windows",
            "2",
            "--calendar",
            "weekdays",
            "--country",
            "us",
            "--closed-days",
            str(closures),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(season 5)" in result.output and "SeasonalNaive" in result.output


def test_show_and_chart_a_forecast(
    onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    install_serving(tmp_path_factory.getbasetemp(), onceonly_home)
    shown = runner.invoke(app, ["forecast", "show", "item:4101000008"])
    assert shown.exit_code == 0, shown.output
    assert "closed" in shown.output and "seasonal naive" in shown.output
    out = tmp_path / "chart.svg"
    drawn = runner.invoke(app, ["forecast", "chart", "item:4101000008", "--out", str(out)])
    assert drawn.exit_code == 0, drawn.output
    assert out.read_bytes().lstrip().startswith(b"<?xml")
    assert runner.invoke(app, ["forecast", "show", "item:nope"]).exit_code == 1
    bad = runner.invoke(app, ["forecast", "chart", "item:4101000008", "--out", "x.gif"])
    assert bad.exit_code == 2


def test_without_analytics_the_command_says_what_to_run(onceonly_home: Path) -> None:
    result = runner.invoke(app, ["forecast", "show", "item:4101000008"])
    assert result.exit_code == 1 and "onceonly analytics build" in result.output
