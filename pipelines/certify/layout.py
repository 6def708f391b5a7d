"""Building the serving layout: per resource, current certified rows sorted by subject key.

What the layout is (files, manifest, key width) is `snapshot.layout`; this builds it at
publish time. DuckDB needs an index (which nearly triples the file) to answer key lookups in
under a millisecond; the sorted Arrow file costs one sort here instead, and DuckDB stays the
engine for history and analytics.

A publish usually follows one batch of one resource, so a resource whose history has not
changed since the previous layout is hard-linked from it rather than sorted again: at 10 M
persons that spares the population's sort when, say, a tax batch is published.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from contracts.model import Contract
from pipelines.certify.schema import certified_table_exists, history_table
from pipelines.resources import CERTIFIED
from snapshot.history import current_records_sql
from snapshot.layout import (
    KEY_WIDTH,
    LayoutEntry,
    data_file,
    keys_file,
    read_layout,
    write_layout,
)
from snapshot.tables import subject_column

BATCH_ROWS = 1_000_000


def build_layout(
    con: duckdb.DuckDBPyConnection,
    contracts: dict[str, Contract],
    target: Path,
    previous: Path | None = None,
) -> dict[str, LayoutEntry]:
    """Write `<target>/<resource>.arrow` and `.keys.npy` for every resource with a subject,
    linking those unchanged since the layout in `previous`."""
    target.mkdir(parents=True, exist_ok=True)
    before = read_layout(previous)
    written: dict[str, LayoutEntry] = {}
    for contract in contracts.values():
        subject = subject_column(contract)
        if subject is None or not certified_table_exists(con, contract.id):
            continue
        fingerprint = _fingerprint(con, contract)
        kept = before.get(contract.id)
        if previous is not None and kept and kept.fingerprint == fingerprint:
            for name in (kept.file, keys_file(contract.id)):
                os.link(previous / name, target / name)
            written[contract.id] = kept
            continue
        query = current_records_sql(contract.id, subject.name, KEY_WIDTH, CERTIFIED)
        reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
        assert reader is not None
        data_path = target / data_file(contract.id)
        rows = 0
        keys: list[np.ndarray] = []
        with pa.OSFile(str(data_path), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as out:
            for batch in reader:
                out.write_batch(batch)
                rows += batch.num_rows
                keys.append(_fixed_width(batch.column(subject.name)))
        np.save(
            target / keys_file(contract.id),
            np.concatenate(keys) if keys else np.empty(0, dtype=f"S{KEY_WIDTH}"),
        )
        written[contract.id] = LayoutEntry(
            key=subject.name, rows=rows, file=data_path.name, fingerprint=fingerprint
        )
    write_layout(target, written)
    return written


def _fingerprint(con: duckdb.DuckDBPyConnection, contract: Contract) -> str:
    """Changes whenever a batch adds, closes or removes a version of the resource's history."""
    rows = con.execute(
        f"SELECT count(*), max(_valid_from), max(_valid_to) FROM {history_table(contract)}"
    ).fetchall()
    return json.dumps([str(value) for value in rows[0]])


def _fixed_width(column: pa.Array) -> np.ndarray:
    """The keys as one contiguous `S18` array, straight from the Arrow data buffer."""
    values = column.cast(pa.string())
    if values.null_count or pc.any(pc.not_equal(pc.utf8_length(values), KEY_WIDTH)).as_py():
        raise ValueError("subject keys must all be 18 characters in the serving layout")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset :]
    start = int(offsets[0])
    data = values.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8)[start : start + KEY_WIDTH * len(values)]
    return raw.view(f"S{KEY_WIDTH}").copy()
