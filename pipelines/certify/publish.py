"""Publishing: an immutable, versioned snapshot of the certified database, switched atomically.

DuckDB lets no other process open a file one process holds read-write, so readers never open
the certified database itself. After a certification commits, the database is checkpointed
and copied to `pool_vN.duckdb`, the key-lookup layout is built beside it (`layout_vN/`),
`current.duckdb` is re-pointed at the copy with a hard link and `os.replace`, and last the
manifest `current.json` naming both is replaced; each replace is atomic. A reader that opened
the previous snapshot keeps reading it (its inode lives on) and never sees half a batch; the
next open sees the new version.

A version is a change: publishing when no batch was certified since the current snapshot (or
none ever was) writes nothing, so an ingest that certified nothing leaves the API, the
analytics built on the snapshot and the version numbers as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from contracts.model import Contract
from contracts.registry import bundled_contracts
from pipelines.certify.layout import build_layout
from pipelines.certify.schema import QUALITY
from pipelines.resources import CERTIFIED

CURRENT = "current.duckdb"
MANIFEST = "current.json"
VERSION_FILE = re.compile(r"^pool_v(\d+)\.duckdb$")


@dataclass(frozen=True)
class Snapshot:
    version: int
    path: Path
    published_at: dt.datetime
    size_bytes: int
    layout: Path  # folder of the key-lookup layout built from this snapshot
    certified_batches: str | None = None  # fingerprint of the batches it holds, see below


def versions(serving: Path) -> list[int]:
    found = (VERSION_FILE.match(p.name) for p in serving.glob("pool_v*.duckdb"))
    return sorted(int(m.group(1)) for m in found if m)


def current_snapshot(serving: Path) -> Snapshot | None:
    manifest = serving / MANIFEST
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return Snapshot(
        version=int(data["version"]),
        path=serving / data["file"],
        published_at=dt.datetime.fromisoformat(data["published_at"]),
        size_bytes=int(data["size_bytes"]),
        layout=serving / data["layout"],
        certified_batches=data.get("certified_batches"),
    )


def certified_batches(con: duckdb.DuckDBPyConnection) -> str | None:
    """Fingerprint of every batch recorded in the certified database, None if there is none.

    Every write to the certified database (history, quarantine, scores, conflicts) commits
    together with its batch record, so the same batches mean the same content.
    """
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? "
        "AND schema_name = 'quality' AND table_name = 'batches'",
        [CERTIFIED],
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute(
        f"SELECT contract_id, batch, status FROM {QUALITY}.batches ORDER BY ALL"
    ).fetchall()
    if not rows:
        return None
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def publish_changes(
    con: duckdb.DuckDBPyConnection,
    certified_path: Path,
    serving: Path,
    contracts: dict[str, Contract] | None = None,
) -> Snapshot | None:
    """`publish`, unless there is nothing new: None, and nothing written, when no batch was
    ever certified or the current snapshot already holds every batch."""
    batches = certified_batches(con)
    previous = current_snapshot(serving)
    if batches is None or (previous is not None and previous.certified_batches == batches):
        return None
    return publish(con, certified_path, serving, contracts)


def publish(
    con: duckdb.DuckDBPyConnection,
    certified_path: Path,
    serving: Path,
    contracts: dict[str, Contract] | None = None,
    keep: int = 5,
) -> Snapshot:
    """Snapshot the certified database (attached to `con`) and make it the current one."""
    batches = certified_batches(con)
    previous = current_snapshot(serving)
    serving.mkdir(parents=True, exist_ok=True)
    version = (versions(serving) or [0])[-1] + 1
    target = serving / f"pool_v{version}.duckdb"
    partial = target.with_suffix(".partial")
    con.execute(f"CHECKPOINT {CERTIFIED}")  # the file alone now holds every committed change
    shutil.copyfile(certified_path, partial)
    _fsync(partial)
    os.replace(partial, target)
    layout = serving / f"layout_v{version}"
    shutil.rmtree(layout, ignore_errors=True)
    build_layout(
        con,
        contracts or bundled_contracts(),
        layout,
        previous.layout if previous and previous.layout.is_dir() else None,
    )
    link = serving / f".{CURRENT}.next"
    link.unlink(missing_ok=True)
    os.link(target, link)
    os.replace(link, serving / CURRENT)
    published = dt.datetime.now()
    snapshot = Snapshot(version, target, published, target.stat().st_size, layout, batches)
    _write_manifest(serving, snapshot)
    for old in versions(serving)[:-keep]:
        (serving / f"pool_v{old}.duckdb").unlink(missing_ok=True)
        shutil.rmtree(serving / f"layout_v{old}", ignore_errors=True)
    return snapshot


def _write_manifest(serving: Path, snapshot: Snapshot) -> None:
    text = json.dumps(
        {
            "version": snapshot.version,
            "file": snapshot.path.name,
            "published_at": snapshot.published_at.isoformat(),
            "size_bytes": snapshot.size_bytes,
            "layout": snapshot.layout.name,
            "certified_batches": snapshot.certified_batches,
        }
    )
    partial = serving / f".{MANIFEST}.next"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, serving / MANIFEST)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
