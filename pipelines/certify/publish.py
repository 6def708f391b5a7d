"""Publishing: an immutable, versioned snapshot of the certified database, switched atomically.

DuckDB lets no other process open a file one process holds read-write, so readers never open
the certified database itself. After a certification commits, the database is checkpointed
and copied to `pool_vN.duckdb`, the key-lookup layout is built beside it (`layout_vN/`),
`current.duckdb` is re-pointed at the copy with a hard link and `os.replace`, and last the
manifest `current.json` naming both is replaced; each replace is atomic. A reader that opened
the previous snapshot keeps reading it (its inode lives on) and never sees half a batch; the
next open sees the new version. The files and the manifest's format are `snapshot.manifest`'s.
On the Spark path the copy's history is read from the lake's Iceberg tables, region by region
(``pipelines.certify.lake``), so the API serves what DuckDB, Spark and Trino read there.

A version is a change: publishing when no batch was certified since the current snapshot (or
none ever was) writes nothing, so an ingest that certified nothing leaves the API, the
analytics built on the snapshot and the version numbers as they were - unless the current
version was published in an older format, which readers would have to make up for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import duckdb

from contracts.model import Contract
from contracts.portable import DUCKDB, render
from contracts.registry import bundled_contracts
from contracts.shards import shard_expression
from pipelines.certify.lake import REGION, Lake, region_fingerprints
from pipelines.certify.layout import build_layout
from pipelines.certify.schema import add_subject_keys, quality_table
from pipelines.duckdb_sql import quote_identifier, quote_literal
from pipelines.resources import CERTIFIED
from snapshot.manifest import (
    CURRENT_FILE,
    FORMAT,
    PublishedVersion,
    current_version,
    layout_folder,
    version_file,
    versions,
    write_current,
)
from snapshot.tables import BATCHES, SHARDS, history_columns, history_table

log = logging.getLogger(__name__)


def certified_batches(con: duckdb.DuckDBPyConnection) -> str | None:
    """Fingerprint of every batch recorded in the certified database, None if there is none.

    Every write to the certified database (history, quarantine, scores, conflicts) commits
    together with its batch record, so the same batches mean the same content.
    """
    exists, params = BATCHES.exists_query(CERTIFIED)
    if not con.execute(exists, params).fetchall()[0][0]:
        return None
    rows = con.execute(
        f"SELECT contract_id, batch, status FROM {quality_table(BATCHES)} ORDER BY ALL"
    ).fetchall()
    # A delivery's region shards commit one by one before its batch record: each counts.
    exists, params = SHARDS.exists_query(CERTIFIED)
    if con.execute(exists, params).fetchall()[0][0]:
        rows += con.execute(
            f"SELECT contract_id, batch || '/' || shard, status FROM {quality_table(SHARDS)} "
            "ORDER BY ALL"
        ).fetchall()
    if not rows:
        return None
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def publish_changes(
    con: duckdb.DuckDBPyConnection,
    certified_path: Path,
    serving: Path,
    contracts: dict[str, Contract] | None = None,
    lake: Lake | None = None,
) -> PublishedVersion | None:
    """`publish`, unless there is nothing new: None, and nothing written, when no batch was
    ever certified or the current snapshot already holds every batch in the current format."""
    batches = certified_batches(con)
    previous = current_version(serving)
    if batches is None or (
        previous is not None and previous.certified_batches == batches and previous.format == FORMAT
    ):
        return None
    return publish(con, certified_path, serving, contracts, lake=lake)


def publish(
    con: duckdb.DuckDBPyConnection,
    certified_path: Path,
    serving: Path,
    contracts: dict[str, Contract] | None = None,
    keep: int = 5,
    lake: Lake | None = None,
) -> PublishedVersion:
    """Snapshot the certified database (attached to `con`) and make it the current one;
    each region a `lake` holds takes its history from there."""
    contracts = contracts or bundled_contracts()
    add_subject_keys(con, contracts)  # a database certified by an older version
    batches = certified_batches(con)
    previous = current_version(serving)
    serving.mkdir(parents=True, exist_ok=True)
    version = (versions(serving) or [0])[-1] + 1
    target = serving / version_file(version)
    partial = target.with_suffix(".partial")
    con.execute(f"CHECKPOINT {CERTIFIED}")  # the file alone now holds every committed change
    shutil.copyfile(certified_path, partial)
    if lake is not None:
        _history_from_lake(partial, contracts, lake)
    _fsync(partial)
    os.replace(partial, target)
    layout = serving / layout_folder(version)
    shutil.rmtree(layout, ignore_errors=True)
    build_layout(
        con,
        contracts,
        layout,
        previous.layout if previous and previous.layout.is_dir() else None,
    )
    link = serving / f".{CURRENT_FILE}.next"
    link.unlink(missing_ok=True)
    os.link(target, link)
    os.replace(link, serving / CURRENT_FILE)
    published = dt.datetime.now()
    snapshot = PublishedVersion(version, target, published, target.stat().st_size, layout, batches)
    write_current(serving, snapshot)
    for old in versions(serving)[:-keep]:
        (serving / version_file(old)).unlink(missing_ok=True)
        shutil.rmtree(serving / layout_folder(old), ignore_errors=True)
    return snapshot


def _history_from_lake(snapshot: Path, contracts: dict[str, Contract], lake: Lake) -> None:
    """In the snapshot being built, each region the lake holds of a resource is read from
    the lake's Iceberg table (its committed Parquet files), into the snapshot's own layout;
    regions it does not hold (certified before the lake existed), and regions whose last lake
    commit failed (the fingerprint it recorded is not the pool's), stay as the pool had them."""
    with duckdb.connect(str(snapshot)) as copy:
        for contract in contracts.values():
            rows = lake.read_sql(contract)
            if rows is None:
                continue
            table = history_table(contract.id)
            names = ", ".join(quote_identifier(c) for c in history_columns(contract))
            region = render(shard_expression(contract), DUCKDB)
            pool = region_fingerprints(copy, table, region)
            recorded = lake.fingerprints(contract)
            current = sorted(r for r, f in recorded.items() if pool.get(r, "") == f)
            for lagging in sorted(set(recorded) - set(current)):
                log.warning(
                    "%s region %s: the lake's last commit failed after the pool's; the "
                    "snapshot serves the region from the pool until its next certification "
                    "rewrites it in the lake",
                    contract.id,
                    lagging,
                )
            if not current:
                continue
            listed = ", ".join(quote_literal(r) for r in current)
            copy.execute("BEGIN TRANSACTION")
            copy.execute(f"CREATE TEMP TABLE lake_rows AS {rows} WHERE {REGION} IN ({listed})")
            copy.execute(f"DELETE FROM {table} WHERE {region} IN ({listed})")
            copy.execute(f"INSERT INTO {table} SELECT {names} FROM lake_rows")
            copy.execute("DROP TABLE lake_rows")
            copy.execute("COMMIT")


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
