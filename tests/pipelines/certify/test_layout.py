"""The serving layout: sorted by key, and rebuilt only for resources whose history changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines.certify.publish import publish
from snapshot.manifest import PublishedVersion
from tests.pipelines.certify.support import Pool, people, person

T1 = dt.datetime(2026, 11, 20, 9, 0)
T2 = dt.datetime(2026, 11, 21, 9, 0)


def published(pool: Pool, serving: Path) -> PublishedVersion:
    with pool.connect() as con:
        return publish(con, Path(pool.resource.certified_path), serving)


def layout_rows(snapshot: PublishedVersion) -> tuple[int, list[str], list[str]]:
    """(inode of the population file, its keys in file order, the key index)."""
    path = snapshot.layout / "ps_population.arrow"
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    index = np.load(snapshot.layout / "ps_population.keys.npy")
    return (
        path.stat().st_ino,
        table.column("id_number").to_pylist(),
        [k.decode() for k in index],
    )


def test_an_unchanged_resource_is_linked_and_a_changed_one_rebuilt(tmp_path: Path) -> None:
    pool = Pool(tmp_path)
    serving = tmp_path / "serving"
    pool.deliver(people(3), now=T1)
    first = published(pool, serving)
    inode, keys, index = layout_rows(first)
    assert keys == sorted(keys) == index and len(keys) == 3

    again = published(pool, serving)  # nothing certified in between
    assert again.version == first.version + 1
    assert layout_rows(again) == (inode, keys, index)

    moved = person(sequence="002", address="郑州市金水区花园路8号")
    pool.deliver([moved], name="人口基本信息_20261121.csv", now=T2)
    changed = published(pool, serving)
    new_inode, new_keys, new_index = layout_rows(changed)
    assert new_inode != inode and new_keys == keys == new_index
    manifest = json.loads((changed.layout / "layout.json").read_text(encoding="utf-8"))
    before = json.loads((first.layout / "layout.json").read_text(encoding="utf-8"))
    assert manifest["ps_population"]["fingerprint"] != before["ps_population"]["fingerprint"]
    with pa.memory_map(str(changed.layout / "ps_population.arrow")) as source:
        rows = pa.ipc.open_file(source).read_all().to_pylist()
    assert {r["address"] for r in rows if r["id_number"] == moved[0]} == {moved[4]}
