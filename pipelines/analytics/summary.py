"""The headline an analyst (and `make run`) sees first: how the centre is doing, what is late,
and the forecast of its busiest service item, drawn to a file."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from snapshot.analytics.charts import ChartFormat, chart_data, render
from snapshot.analytics.config import AnalyticsSettings
from snapshot.analytics.database import open_analytics
from snapshot.analytics.three_colour import WARNING_COLUMNS, recolour
from snapshot.calendar import OfficialCalendar

TOTALS_SQL = """
SELECT period_start, period_end, received, completed, completion_rate, on_time_rate,
       avg_working_days, p90_working_days, on_the_spot, promised, open
FROM case_statistics WHERE grain = 'all' AND dimension = 'centre'
"""
BUSIEST_SQL = """
SELECT series_id, series_name FROM demand_history
WHERE frequency = 'daily' AND series_kind = 'item'
  AND series_id IN (SELECT series_id FROM forecast_models
                    WHERE frequency = 'daily' AND status = 'forecast')
GROUP BY ALL ORDER BY sum(value) DESC, series_id LIMIT 1
"""


@dataclass(frozen=True)
class Headline:
    as_of: dt.date
    snapshot_version: int
    period: tuple[dt.date, dt.date]
    received: int
    completed: int
    completion_rate: float
    on_time_rate: float | None
    avg_working_days: float | None
    p90_working_days: float | None
    on_the_spot: int
    promised: int
    open: int
    colours: dict[str, int]
    busiest: tuple[str, str] | None  # series id and name
    chart: Path | None

    def lines(self) -> list[str]:
        start, end = self.period
        lines = [
            f"Case statistics {start} to {end} (snapshot v{self.snapshot_version}):",
            f"  received {self.received:,}: 即办件 on the spot {self.on_the_spot:,}, "
            f"承诺件 promised {self.promised:,}",
            f"  completed {self.completed:,}, completion rate 办结率 {self.completion_rate:.1%}, "
            f"open {self.open:,}",
            f"  on time {_percent(self.on_time_rate)}, handling time average "
            f"{_number(self.avg_working_days)} working days, 90th percentile "
            f"{_number(self.p90_working_days)}",
            f"Open cases on {self.as_of}: red {self.colours.get('red', 0):,}, yellow "
            f"{self.colours.get('yellow', 0):,}, green {self.colours.get('green', 0):,}",
        ]
        if self.busiest and self.chart:
            lines.append(f"Forecast of the busiest item {self.busiest[1]}: {self.chart}")
        return lines


def headline(
    database: Path,
    charts: Path,
    settings: AnalyticsSettings,
    calendar: OfficialCalendar,
    as_of: dt.date,
) -> Headline:
    """Read the headline from the analytical database and write the busiest item's daily
    forecast chart (PNG) into `charts`."""
    with open_analytics(database, settings.workbench) as con:
        totals = con.execute(TOTALS_SQL).fetchall()
        if not totals:
            raise LookupError(f"{database} holds no case statistics: no cases were certified")
        version = con.execute("SELECT snapshot_version FROM build_info").fetchall()[0][0]
        columns = ", ".join(WARNING_COLUMNS)
        open_cases = con.sql(f"SELECT {columns} FROM case_warnings").to_arrow_table()
        busiest = con.execute(BUSIEST_SQL).fetchall()
        data = chart_data(con, busiest[0][0], "daily") if busiest else None
    warnings = recolour(open_cases, as_of, settings.warnings, calendar)
    chart = None
    if data is not None:
        charts.mkdir(parents=True, exist_ok=True)
        chart = charts / f"{_file_name(data.series_id)}-daily.png"
        chart.write_bytes(render(data, ChartFormat.png))
    start, end, received, completed, rate, on_time, avg, p90, spot, promised, still_open = totals[0]
    return Headline(
        as_of=as_of,
        snapshot_version=int(version),
        period=(start, end),
        received=received,
        completed=completed,
        completion_rate=rate,
        on_time_rate=on_time,
        avg_working_days=avg,
        p90_working_days=p90,
        on_the_spot=spot,
        promised=promised,
        open=still_open,
        colours=dict(Counter(warnings.column("colour").to_pylist())),
        busiest=(busiest[0][0], busiest[0][1]) if busiest else None,
        chart=chart,
    )


def _file_name(series_id: str) -> str:
    return re.sub(r"[^\w.-]+", "-", series_id)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"
