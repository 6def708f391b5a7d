"""`current.json`: which published version is in service, and the names of its files.

The serving folder holds immutable versions (`pool_vN.duckdb`, the certified database's copy,
and `layout_vN/`, its key-lookup layout), `current.duckdb` (a hard link to the version in
service) and the manifest naming both. The publisher writes the manifest last and replaces it
atomically, so a reader that reads it finds a whole version; the watcher notices a switch by
the manifest's modification time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

CURRENT_MANIFEST = "current.json"
CURRENT_FILE = "current.duckdb"
VERSION_FILE = re.compile(r"^pool_v(\d+)\.duckdb$")
# What a version's tables look like; a version of an older format is published again.
# 1: the first; 2: quarantined rows carry their normalised `subject_key`.
FORMAT = 2


@dataclass(frozen=True)
class PublishedVersion:
    """One published version, as its manifest names it."""

    version: int
    path: Path  # the version's DuckDB file
    published_at: dt.datetime
    size_bytes: int
    layout: Path  # folder of the key-lookup layout built from this version
    # Fingerprint of the certified batches it holds: publishing nothing new writes nothing.
    certified_batches: str | None = None
    format: int = FORMAT


def version_file(version: int) -> str:
    return f"pool_v{version}.duckdb"


def layout_folder(version: int) -> str:
    return f"layout_v{version}"


def versions(serving: Path) -> list[int]:
    """The versions whose DuckDB file is in `serving`, oldest first."""
    found = (VERSION_FILE.match(p.name) for p in serving.glob("pool_v*.duckdb"))
    return sorted(int(m.group(1)) for m in found if m)


def current_version(serving: Path) -> PublishedVersion | None:
    """The version `current.json` names, or None when nothing was published yet."""
    manifest = serving / CURRENT_MANIFEST
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return PublishedVersion(
        version=int(data["version"]),
        path=serving / data["file"],
        published_at=dt.datetime.fromisoformat(data["published_at"]),
        size_bytes=int(data["size_bytes"]),
        layout=serving / data["layout"],
        certified_batches=data.get("certified_batches"),
        format=int(data.get("format", 1)),
    )


def manifest_mtime(serving: Path) -> int | None:
    """When `current.json` was last replaced (nanoseconds), None when there is none."""
    try:
        return (serving / CURRENT_MANIFEST).stat().st_mtime_ns
    except FileNotFoundError:
        return None


def write_current(serving: Path, published: PublishedVersion) -> None:
    """Make `published` the version in service: the manifest is replaced in one rename."""
    text = json.dumps(
        {
            "version": published.version,
            "file": published.path.name,
            "published_at": published.published_at.isoformat(),
            "size_bytes": published.size_bytes,
            "layout": published.layout.name,
            "certified_batches": published.certified_batches,
            "format": published.format,
        }
    )
    partial = serving / f".{CURRENT_MANIFEST}.next"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, serving / CURRENT_MANIFEST)
