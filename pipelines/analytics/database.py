"""The analytical database: the only data the analysts' endpoints and SQL workbench read.

It is built beside the snapshots as a new file and switched in with `os.replace`, like a
snapshot: a reader that opened the previous one keeps reading it, the next open sees the new
one, and nobody sees half a build. It holds de-identified and aggregated data only; the raw
pool and the pseudonym key never enter it.

Every reader opens it the same way (read-only, external access disabled, configuration
locked), because DuckDB shares one database instance per file within a process and refuses
a second open with a different configuration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.analytics.settings import DATABASE_FILE, MANIFEST_FILE, WorkbenchSettings

VIEWS: dict[str, str] = {
    "cases": "De-identified case records: applicant keys replaced by a keyed pseudonym, "
    "with deadline, handling time in working days and punctuality.",
    "case_statistics": "Received, completed, completion and on-time rates, handling time per "
    "grain (day, week, month), period and dimension (centre, department, service_item).",
    "case_warnings": "Open cases with their deadline, working days left and colour "
    "(green, yellow, red) as of the build.",
    "demand_history": "Cases per open day (daily) or per week (weekly), per service item "
    "and per front window: what the forecasts were fitted on.",
    "forecasts": "Forecast cases per day or week with 80% and 95% intervals; closed days "
    "are marked closed, dates past the official calendar provisional.",
    "forecast_models": "The model chosen per series and frequency, with its backtest MASE "
    "and sMAPE and those of the seasonal naive baseline.",
    "backtest_errors": "Backtest MAE, MASE and sMAPE of every candidate model per series.",
    "catalogue_figures": "Per department resource: certified records, batches, open "
    "quarantine and quality score, from the snapshot the build used.",
    "calendar_days": "The official calendar over the data and the horizon: working days, "
    "holidays, adjusted working weekends (调休), provisional days.",
    "build_info": "When and from which snapshot this database was built.",
}


def publish_database(serving: Path, tables: Mapping[str, pa.Table]) -> Path:
    """Write every table of `VIEWS` into a new file and switch it in atomically."""
    missing = set(VIEWS) - set(tables)
    if missing:
        raise ValueError(f"cannot publish the analytics without {sorted(missing)}")
    serving.mkdir(parents=True, exist_ok=True)
    target = serving / DATABASE_FILE
    partial = serving / f".{DATABASE_FILE}.next"
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    with duckdb.connect(str(partial)) as con:
        for name in VIEWS:
            con.register("incoming", tables[name])
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
            con.unregister("incoming")
            con.execute(f"COMMENT ON TABLE {name} IS '{VIEWS[name]}'")
        con.execute("CHECKPOINT")
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    info = tables["build_info"].to_pylist()[0]
    manifest = serving / f".{MANIFEST_FILE}.next"
    manifest.write_text(json.dumps(info, default=str, ensure_ascii=False), encoding="utf-8")
    os.replace(manifest, serving / MANIFEST_FILE)
    return target


def read_manifest(serving: Path) -> dict[str, Any] | None:
    """What the current analytical database was built from, without opening it."""
    path = serving / MANIFEST_FILE
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def open_analytics(path: Path, limits: WorkbenchSettings) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot reach files, the network or its own settings."""
    if not path.exists():
        raise FileNotFoundError(
            f"no analytical database at {path}: run `onceonly analytics build` after "
            "`onceonly ingest`"
        )
    return duckdb.connect(
        str(path),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "memory_limit": limits.memory_limit,
            "threads": limits.threads,
            "lock_configuration": True,
        },
    )
