"""Forecast charts (PNG or SVG) read from the analytical database, readable at a glance.

Recent history as a line, the forecast as a line with its 80% and 95% bands, official
holidays shaded, closed forecast days marked at zero, and any provisional stretch (past the
known official calendar) hatched; the title names the series and the subtitle the model and
how much better than the seasonal naive it backtested. Forecast days already past when the
chart is drawn (the data ended before today) are shaded and labelled as past, so nobody reads
them as days still to come. Titles, axis labels and the legend are in Chinese or English
(`ChartLanguage`), as the console that asks for the chart is. Drawn with matplotlib's object
API on an Agg canvas, so API threads never share pyplot's global state.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import NamedTuple

import duckdb

HISTORY_DAYS = 120  # of daily history shown before the forecast
HISTORY_WEEKS = 52
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
CJK_FILE_HINTS = ("wqy", "notosanscjk", "sourcehansans", "msyh", "simhei", "pingfang")


class ChartFormat(StrEnum):
    png = "png"
    svg = "svg"


class ChartLanguage(StrEnum):
    en = "en"
    zh = "zh"


WORDS = {  # the chart's words in Chinese; English is the key
    "official holiday": "法定节假日",
    "history": "历史",
    "95% interval": "95% 区间",
    "80% interval": "80% 区间",
    "forecast": "预测",
    "closed": "休息日",
    "provisional calendar": "日历未公布",
    "already past": "已过去",
    "cases per day": "每日件数",
    "cases per week": "每周件数",
    "daily": "按日",
    "weekly": "按周",
}


class ForecastRow(NamedTuple):
    period_start: dt.date
    closed: bool
    provisional: bool
    forecast: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float


@dataclass(frozen=True)
class SeriesChartData:
    series_id: str
    name: str
    frequency: str
    model: str
    mase: float | None
    baseline_mase: float | None
    history: list[tuple[dt.date, float]]
    forecast: list[ForecastRow]
    holidays: list[dt.date]
    today: dt.date | None = None  # forecast periods that start before it are already past

    @property
    def past(self) -> list[ForecastRow]:
        """Forecast periods already over when the chart is drawn."""
        if self.today is None:
            return []
        return [row for row in self.forecast if row.period_start < self.today]


class SeriesNotFound(LookupError):
    pass


def chart_data(
    con: duckdb.DuckDBPyConnection,
    series_id: str,
    frequency: str,
    today: dt.date | None = None,
) -> SeriesChartData:
    """What a chart of one series shows, from the analytical database."""
    model = con.execute(
        "SELECT series_name, model, mase, baseline_mase FROM forecast_models "
        "WHERE series_id = ? AND frequency = ? AND status = 'forecast'",
        [series_id, frequency],
    ).fetchall()
    if not model:
        raise SeriesNotFound(
            f"no {frequency} forecast for {series_id!r}; list them with GET /v1/analytics/forecasts"
        )
    name, chosen, mase, baseline = model[0]
    shown = HISTORY_DAYS if frequency == "daily" else HISTORY_WEEKS
    history = con.execute(
        "SELECT period_start, value FROM (SELECT period_start, value FROM demand_history "
        "WHERE series_id = ? AND frequency = ? ORDER BY period_start DESC LIMIT ?) "
        "ORDER BY period_start",
        [series_id, frequency, shown],
    ).fetchall()
    forecast = con.execute(
        "SELECT period_start, closed, provisional, forecast, lo_80, hi_80, lo_95, hi_95 "
        "FROM forecasts WHERE series_id = ? AND frequency = ? ORDER BY period_start",
        [series_id, frequency],
    ).fetchall()
    first = history[0][0] if history else forecast[0][0]
    last = forecast[-1][0] if forecast else first
    days = con.execute(
        "SELECT day, working, kind = 'holiday' FROM calendar_days WHERE day BETWEEN ? AND ? "
        "ORDER BY day",
        [first, last + dt.timedelta(days=6)],
    ).fetchall()
    return SeriesChartData(
        series_id=series_id,
        name=name,
        frequency=frequency,
        model=chosen,
        mase=mase,
        baseline_mase=baseline,
        history=[(row[0], float(row[1])) for row in history],
        forecast=[ForecastRow(*row) for row in forecast],
        holidays=_holiday_closures(days),
        today=today,
    )


def _holiday_closures(days: list[tuple[dt.date, bool, bool]]) -> list[dt.date]:
    """Closed days in a run that holds an official holiday: the weekend inside a long
    holiday is shaded with it, an ordinary weekend is not."""
    shaded: list[dt.date] = []
    run: list[dt.date] = []
    holiday_in_run = False
    for day, working, holiday in [*days, (dt.date.max, True, False)]:
        if not working:
            run.append(day)
            holiday_in_run = holiday_in_run or holiday
            continue
        if holiday_in_run:
            shaded.extend(run)
        run, holiday_in_run = [], False
    return shaded


def render(
    data: SeriesChartData, fmt: ChartFormat, lang: ChartLanguage = ChartLanguage.en
) -> bytes:
    """The chart as PNG or SVG bytes, its words in `lang` (English without a Chinese font)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    fonts = _cjk_fonts()
    chinese = lang is ChartLanguage.zh and bool(fonts)

    def _(text: str) -> str:
        return WORDS.get(text, text) if chinese else text

    figure = Figure(figsize=(11, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.xaxis_date()
    for day in date2num(data.holidays):
        axes.axvspan(day, day + 1, color="#d9d9d9", lw=0, zorder=0)
    if data.holidays:
        axes.fill_between([], [], color="#d9d9d9", label=_("official holiday"))
    if data.history:
        axes.plot(
            date2num([day for day, _ in data.history]),
            [value for _, value in data.history],
            color="#4d4d4d",
            lw=1.2,
            label=_("history"),
        )
    opened = [row for row in data.forecast if not row.closed]
    if opened:
        days = date2num([row.period_start for row in opened])
        for low, high, colour, label in (
            ([r.lo_95 for r in opened], [r.hi_95 for r in opened], "#9ecae1", "95% interval"),
            ([r.lo_80 for r in opened], [r.hi_80 for r in opened], "#4292c6", "80% interval"),
        ):
            axes.fill_between(days, low, high, color=colour, alpha=0.5, lw=0, label=_(label))
        axes.plot(
            days,
            [row.forecast for row in opened],
            color="#08519c",
            lw=1.8,
            marker="o",
            ms=2.5,
            label=_("forecast"),
        )
    closed = date2num([row.period_start for row in data.forecast if row.closed])
    if len(closed):
        axes.scatter(
            closed,
            [0] * len(closed),
            marker="x",
            color="#a50f15",
            s=14,
            zorder=3,
            label=_("closed"),
        )
    provisional = date2num([row.period_start for row in data.forecast if row.provisional])
    if len(provisional):
        axes.axvspan(
            provisional.min(),
            provisional.max() + 1,
            fill=False,
            hatch="//",
            edgecolor="#fdae6b",
            lw=0,
            label=_("provisional calendar"),
        )
    past = data.past
    if past:
        step = 1 if data.frequency == "daily" else 7
        start, end = date2num([past[0].period_start, past[-1].period_start])
        axes.axvspan(
            start,
            end + step,
            facecolor="#f0f0f0",
            hatch="..",
            edgecolor="#bdbdbd",
            lw=0,
            zorder=0,
            label=_("already past"),
        )
    unit = "cases per day" if data.frequency == "daily" else "cases per week"
    family = [*fonts, "DejaVu Sans"]
    axes.set_ylabel(_(unit), fontfamily=family)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#eeeeee")
    axes.legend(
        loc="upper left",
        bbox_to_anchor=(0, -0.08),
        ncols=8,
        frameon=False,
        prop={"family": family, "size": 8},
    )
    title = f"{data.series_id} {data.name}" if fonts else _ascii(data.series_id)
    axes.set_title(title, loc="left", fontsize=12, fontfamily=family)
    subtitle = _subtitle_zh(data) if chinese else _subtitle(data)
    figure.suptitle(subtitle, x=0.99, ha="right", fontsize=9, color="#555555", fontfamily=family)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt.value, dpi=110)
    return buffer.getvalue()


def _subtitle(data: SeriesChartData) -> str:
    if data.mase is None or data.baseline_mase is None:
        return f"{data.frequency} forecast, model {data.model}"
    change = 1 - data.mase / data.baseline_mase if data.baseline_mase else 0.0
    verdict = f"{change:.0%} lower error" if change >= 0 else f"{-change:.0%} higher error"
    return (
        f"{data.frequency} forecast, model {data.model}: backtest MASE {data.mase:.2f}, "
        f"seasonal naive {data.baseline_mase:.2f} ({verdict})"
    )


def _subtitle_zh(data: SeriesChartData) -> str:
    frequency = WORDS.get(data.frequency, data.frequency)
    if data.mase is None or data.baseline_mase is None:
        return f"{frequency}预测，模型 {data.model}"
    change = 1 - data.mase / data.baseline_mase if data.baseline_mase else 0.0
    verdict = f"误差低 {change:.0%}" if change >= 0 else f"误差高 {-change:.0%}"
    return (
        f"{frequency}预测，模型 {data.model}：回测 MASE {data.mase:.2f}，"
        f"季节朴素 {data.baseline_mase:.2f}（{verdict}）"
    )


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


@cache
def _cjk_fonts() -> tuple[str, ...]:
    """Installed fonts that can draw Chinese names; without one, titles use the series id.

    Matplotlib's font list is cached on first use, so a font installed after that (by the
    project's set-up, say) is found by asking the system's font files directly.
    """
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    if not installed.intersection(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
                font_manager.fontManager.addfont(path)
        installed = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONTS if name in installed)
