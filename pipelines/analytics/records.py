"""Case records for analysis: the certified cases, de-identified, with their deadlines.

Everything downstream (statistics, warnings, forecasts, the workbench's `cases` view) reads
this one table, so a deadline or a handling time is computed once, on one calendar. It is read
from the published snapshot - the current version of each case - never from the pool.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.analytics.pseudonym import pseudonymise
from snapshot.calendar import OfficialCalendar, to_date
from snapshot.history import CURRENT
from snapshot.tables import history_table

CASES_TABLE = "gsc_cases"
ON_THE_SPOT = "即办件"
CURRENT_CASES_SQL = f"""
SELECT case_no, service_item_code, coalesce(service_item_name, service_item_code)
       AS service_item_name, coalesce(department, '') AS department,
       coalesce("window", '') AS service_window, applicant_kind, applicant_key, case_type,
       promised_days, received_at, completed_at
FROM {history_table(CASES_TABLE)} WHERE {CURRENT} AND received_at IS NOT NULL
ORDER BY received_at, case_no
"""
DEADLINE_REACH_DAYS = 60  # calendar days beyond the longest promise a deadline can fall


def holds_cases(snapshot: Path) -> bool:
    """Whether a published snapshot has the case register the analytics are built from."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return bool(
            con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                [CASES_TABLE],
            ).fetchall()[0][0]
        )


def read_current_cases(snapshot: Path) -> pa.Table:
    """The current version of every certified case in a published snapshot."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        present = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [CASES_TABLE]
        ).fetchall()[0][0]
        if not present:
            raise LookupError(
                f"the snapshot {snapshot} holds no {CASES_TABLE}: land and certify a case "
                "file (`onceonly ingest`) first"
            )
        return con.sql(CURRENT_CASES_SQL).to_arrow_table()


def case_records(cases: pa.Table, calendar: OfficialCalendar, key: bytes) -> pa.Table:
    """De-identify and add deadline, handling time, punctuality and the provisional flag.

    Deadline: on-the-spot cases (即办件) are due the day they are received; promised cases
    the promised number of working days after it. Handling time counts working days after
    the receipt day up to the completion day, so a case closed the same day took 0.
    """
    received = _dates(cases.column("received_at"))
    completed = _dates(cases.column("completed_at"))
    on_the_spot = pc.fill_null(pc.equal(cases.column("case_type"), ON_THE_SPOT), False)
    spot = on_the_spot.to_numpy(zero_copy_only=False).astype(bool)
    promised = pc.fill_null(cases.column("promised_days"), 0).to_numpy(zero_copy_only=False)
    promise = np.where(spot, 0, np.maximum(promised, 0)).astype(np.int64)
    if len(cases):
        latest = _latest(received, completed)
        reach = int(promise.max()) * 2 + DEADLINE_REACH_DAYS
        span = calendar.span(to_date(received.min()), to_date(latest) + dt.timedelta(days=reach))
        due = np.where(promise > 0, span.add_working_days(received, promise), received)
        done = ~np.isnat(completed)
        handled = np.where(
            done, span.working_days_between(received, np.where(done, completed, received)), 0
        )
        last_day = np.where(done & (completed > due), completed, due)
        provisional = span.any_provisional(received, last_day)
    else:
        due = received
        done = np.zeros(0, dtype=bool)
        handled = np.zeros(0, dtype=np.int64)
        provisional = np.zeros(0, dtype=bool)
    return pa.table(
        {
            "case_no": cases.column("case_no"),
            "service_item_code": cases.column("service_item_code"),
            "service_item_name": cases.column("service_item_name"),
            "department": cases.column("department"),
            "service_window": cases.column("service_window"),
            "applicant_kind": cases.column("applicant_kind"),
            "applicant_pseudonym": pseudonymise(cases.column("applicant_key"), key),
            "case_type": cases.column("case_type"),
            "on_the_spot": pa.array(spot),
            "promised_days": cases.column("promised_days"),
            "received_at": cases.column("received_at"),
            "completed_at": cases.column("completed_at"),
            "received_date": pa.array(received),
            "deadline": pa.array(due.astype("datetime64[D]")),
            "completed_date": pa.array(completed, mask=~done),
            "handling_working_days": pa.array(handled, mask=~done),
            "completed_on_time": pa.array(completed <= due, mask=~done),
            "provisional": pa.array(provisional),
        }
    )


def _dates(column: pa.ChunkedArray) -> np.ndarray:
    days = pc.cast(column, pa.date32()).to_numpy(zero_copy_only=False)
    return np.asarray(days, dtype="datetime64[D]")


def _latest(received: np.ndarray, completed: np.ndarray) -> np.datetime64:
    present = completed[~np.isnat(completed)]
    return max(received.max(), present.max()) if present.size else received.max()
