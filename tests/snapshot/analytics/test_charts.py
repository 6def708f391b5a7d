"""Forecast charts render as real PNG and SVG files, with what a reader needs on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from snapshot.analytics.charts import (
    ChartFormat,
    ChartLanguage,
    ForecastRow,
    SeriesChartData,
    SeriesNotFound,
    _cjk_fonts,
    chart_data,
    render,
)
from snapshot.analytics.config import WorkbenchSettings
from snapshot.analytics.database import open_analytics
from tests.pipelines.analytics.support import built_serving


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> SeriesChartData:
    database = built_serving(tmp_path_factory.getbasetemp()) / "analytics.duckdb"
    with open_analytics(database, WorkbenchSettings()) as con:
        return chart_data(con, "item:4101000008", "daily")


def test_chart_data_holds_history_forecast_and_holidays(data: SeriesChartData) -> None:
    assert len(data.history) == 120 and len(data.forecast) == 28
    assert data.history[-1][0] < data.forecast[0].period_start
    assert any(row.closed for row in data.forecast) and data.mase is not None
    assert dt.date(2026, 10, 4) in data.holidays  # the Sunday inside National Day
    assert dt.date(2026, 11, 14) not in data.holidays  # an ordinary Saturday


def test_png_and_svg_render(data: SeriesChartData, tmp_path: Path) -> None:
    png = render(data, ChartFormat.png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    svg = render(data, ChartFormat.svg)
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg[:2000] and len(svg) > 20_000
    assert b"backtest MASE" in svg  # the subtitle says how far to trust it
    (tmp_path / "chart.png").write_bytes(png)


def test_weekly_and_provisional_charts_render() -> None:
    rows = [
        ForecastRow(
            dt.date(2027, 1, 4) + dt.timedelta(weeks=k), k == 5, True, 50.0, 40.0, 60.0, 30.0, 70.0
        )
        for k in range(8)
    ]
    data = SeriesChartData(
        series_id="window:综合窗口4",
        name="综合窗口4",
        frequency="weekly",
        model="AutoETS",
        mase=None,
        baseline_mase=None,
        history=[(dt.date(2026, 12, 28) - dt.timedelta(weeks=k), 45.0) for k in range(10)],
        forecast=rows,
        holidays=[dt.date(2027, 2, 8)],
    )
    svg = render(data, ChartFormat.svg)
    assert b"provisional calendar" in svg and b"cases per week" in svg


def test_an_unknown_series_says_where_to_look(tmp_path_factory: pytest.TempPathFactory) -> None:
    database = built_serving(tmp_path_factory.getbasetemp()) / "analytics.duckdb"
    with (
        open_analytics(database, WorkbenchSettings()) as con,
        pytest.raises(SeriesNotFound, match="/v1/analytics/forecasts"),
    ):
        chart_data(con, "item:nope", "daily")


def test_past_days_are_marked_and_words_follow_the_language() -> None:
    first = dt.date(2026, 11, 23)
    rows = [
        ForecastRow(first + dt.timedelta(days=k), False, False, 9.0, 7.0, 11.0, 6.0, 12.0)
        for k in range(14)
    ]
    data = SeriesChartData(
        series_id="item:4101000008",
        name="居民身份证换领",
        frequency="daily",
        model="AutoETS",
        mase=0.7,
        baseline_mase=1.0,
        history=[(first - dt.timedelta(days=k), 9.0) for k in range(1, 30)],
        forecast=rows,
        holidays=[],
        today=first + dt.timedelta(days=5),
    )
    assert [row.period_start for row in data.past] == [
        first + dt.timedelta(days=k) for k in range(5)
    ]
    english = render(data, ChartFormat.svg)
    assert b"already past" in english and b"cases per day" in english
    chinese = render(data, ChartFormat.svg, ChartLanguage.zh)
    if _cjk_fonts():  # without a Chinese font the chart stays in English
        for words in ("已过去", "每日件数", "预测", "季节朴素"):
            assert words.encode() in chinese
    else:
        assert b"already past" in chinese
