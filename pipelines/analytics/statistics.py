"""Case statistics (效能监察): volumes, completion and punctuality per item, department, period.

Cases are counted in the period they were received (a cohort): `completion_rate` (办结率) is
how many of that period's cases are closed, `on_time_rate` how many of the decided ones -
closed, or still open past their deadline - met it. Open cases within their promise are
neither on time nor late yet. Handling times are in working days on the official calendar.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

GRAINS = ("all", "day", "week", "month")  # "all": the whole period of the data
DIMENSIONS = {
    "centre": ("'all'", "'全中心'"),
    "department": ("department", "department"),
    "service_item": ("service_item_code", "any_value(service_item_name)"),
}

_MEASURES = """
    count(*) AS received,
    count(completed_at) AS completed,
    count(completed_at) / count(*) AS completion_rate,
    count_if(completed_on_time) AS on_time,
    count_if(NOT completed_on_time OR (completed_at IS NULL AND deadline < $as_of)) AS late,
    count_if(completed_at IS NULL) AS open,
    avg(handling_working_days) AS avg_working_days,
    quantile_cont(handling_working_days, 0.9) AS p90_working_days,
    count_if(on_the_spot) AS on_the_spot,
    count_if(NOT on_the_spot) AS promised,
    bool_or(provisional) AS provisional
"""


def case_statistics(records: pa.Table, as_of: dt.date) -> pa.Table:
    """One row per grain (all, day, week, month), period, dimension and key."""
    parts = []
    for grain in GRAINS:
        start, end = _period(grain)
        for dimension, (key, name) in DIMENSIONS.items():
            parts.append(
                f"""SELECT '{grain}' AS grain, CAST({start} AS DATE) AS period_start,
                CAST({end} AS DATE) AS period_end, '{dimension}' AS dimension, {key} AS key,
                {name} AS name, {_MEASURES}
                FROM records GROUP BY ALL"""
            )
    query = f"""
        SELECT *, on_time / nullif(on_time + late, 0) AS on_time_rate
        FROM ({" UNION ALL ".join(parts)})
        ORDER BY grain, dimension, key, period_start"""
    with duckdb.connect() as con:
        con.register("records", records)
        return con.sql(query, params={"as_of": as_of}).to_arrow_table()


def _period(grain: str) -> tuple[str, str]:
    """SQL for the first and last day of the period a case falls in."""
    if grain == "all":
        return (
            "(SELECT min(received_date) FROM records)",
            "(SELECT max(received_date) FROM records)",
        )
    if grain == "day":
        return "received_date", "received_date"
    start = f"date_trunc('{grain}', received_date)"
    return start, f"{start} + INTERVAL 1 {grain} - INTERVAL 1 day"
