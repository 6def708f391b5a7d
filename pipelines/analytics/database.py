"""Publishing the analytical database: every view written into a new file, switched in
atomically like a snapshot. What it holds, where, and how readers open it is
`snapshot.analytics.database`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from snapshot.analytics.database import DATABASE_FILE, VIEWS, write_manifest


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
    write_manifest(serving, tables["build_info"].to_pylist()[0])
    return target
