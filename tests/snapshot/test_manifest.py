"""`current.json` and `layout.json`: what the publisher writes is what the reader reads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from snapshot.layout import LAYOUT_MANIFEST, LayoutEntry, read_layout, write_layout
from snapshot.manifest import (
    CURRENT_MANIFEST,
    FORMAT,
    PublishedVersion,
    current_version,
    layout_folder,
    manifest_mtime,
    version_file,
    versions,
    write_current,
)


def test_the_current_version_round_trips_and_nothing_published_is_none(tmp_path: Path) -> None:
    assert current_version(tmp_path) is None and manifest_mtime(tmp_path) is None
    published = PublishedVersion(
        version=3,
        path=tmp_path / version_file(3),
        published_at=dt.datetime(2026, 11, 20, 9, 0),
        size_bytes=12_288,
        layout=tmp_path / layout_folder(3),
        certified_batches="abc",
    )
    write_current(tmp_path, published)
    assert current_version(tmp_path) == published
    assert manifest_mtime(tmp_path) is not None
    assert list(tmp_path.iterdir()) == [tmp_path / CURRENT_MANIFEST]  # no partial file left


def test_a_manifest_without_a_format_is_of_the_first(tmp_path: Path) -> None:
    (tmp_path / CURRENT_MANIFEST).write_text(
        json.dumps(
            {
                "version": 1,
                "file": "pool_v1.duckdb",
                "published_at": "2026-11-20T09:00:00",
                "size_bytes": 1,
                "layout": "layout_v1",
            }
        ),
        encoding="utf-8",
    )
    published = current_version(tmp_path)
    assert published is not None and published.format == 1 < FORMAT
    assert published.certified_batches is None


def test_versions_are_read_from_the_file_names(tmp_path: Path) -> None:
    for version in (10, 2, 1):
        (tmp_path / version_file(version)).touch()
    (tmp_path / "pool_v3.partial").touch()
    assert versions(tmp_path) == [1, 2, 10]


def test_the_layout_manifest_round_trips(tmp_path: Path) -> None:
    assert read_layout(None) == {} and read_layout(tmp_path) == {}
    entries = {"ps_population": LayoutEntry("id_number", 5, "ps_population.arrow", "[]")}
    write_layout(tmp_path, entries)
    assert read_layout(tmp_path) == entries
    written = json.loads((tmp_path / LAYOUT_MANIFEST).read_text(encoding="utf-8"))
    assert written == {
        "ps_population": {
            "key": "id_number",
            "rows": 5,
            "file": "ps_population.arrow",
            "fingerprint": "[]",
        }
    }
