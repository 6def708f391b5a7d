"""The embedded Dagster instance under var/: SQLite storage, no telemetry, one pool writer."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

import settings

DAGSTER_YAML = """\
# Written by onceonly on first use; edit freely, it is not overwritten.
telemetry:
  enabled: false
# Every run's events in one SQLite file, instead of a new database (schema and all) per run:
# a file's landing is a run, and per-run databases cost about 0.2 s of each.
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config:
    base_dir:
      env: DAGSTER_HOME
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    # DuckDB allows one writing process per file: runs that write the pool take turns.
    default_limit: 1
"""


def dagster_home() -> Path:
    """DAGSTER_HOME if set, else `$ONCEONLY_HOME/dagster` (made absolute, as Dagster requires)."""
    return settings.current().dagster_home.resolve()


def ensure_dagster_home() -> Path:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> dg.DagsterInstance:
    ensure_dagster_home()
    return dg.DagsterInstance.get()
