"""Landing one delivered file into the pool, all or nothing.

The whole file lands in one DuckDB transaction: parsed rows with normalised keys and lineage,
unparseable rows with their reason, and the file's registry entry. A failure anywhere rolls
all of it back, so a file is either fully landed (once) or not at all.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.keys.vectorised import (
    KeyColumns,
    SubjectKeyColumns,
    check_credit_codes,
    check_id_numbers,
    check_subject_keys,
)
from contracts.model import Contract, KeyRole
from pipelines.duckdb_sql import first_row, quote_identifier, scalar
from pipelines.landing.files import LandingFile, content_hash, partition_key
from pipelines.landing.filetype import check_accepted, detect_format
from pipelines.landing.readers import READERS
from pipelines.landing.schema import SCHEMA, ensure_landing_schema, landed_table
from pipelines.landing.staging import STAGE, STAGE_REJECTS, StageResult, row_numbers
from pipelines.phases import PhaseClock

KEY_BATCH_ROWS = 1_000_000
# Rows joined to their keys per INSERT: a range's hash table (about 100 bytes a row) stays well
# inside the pool's memory limit, where one join over a 31-million-row delivery spilled 9.7 GB.
JOIN_RANGE_ROWS = 4_000_000


@dataclass(frozen=True)
class KeyFile:
    """The staged rows' keys, written to Parquet: how many rows have a key problem, and the
    range of `_ordinal` they cover (None: no rows)."""

    problems: int
    ordinals: tuple[int, int] | None


@dataclass(frozen=True)
class LandingReport:
    """What happened to one file; `rows_read == rows_landed + rows_rejected` always."""

    file_name: str
    contract_id: str
    file_hash: str
    already_landed: bool
    rows_read: int
    rows_landed: int
    rows_rejected: int
    rows_with_key_problems: int
    encoding: str | None
    notes: tuple[str, ...]
    seconds: float
    # Seconds per phase (``pipelines.phases``): where the file's time went.
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def partition_key(self) -> str:
        return partition_key(self.file_hash)


def land_file(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    contract: Contract,
    scratch: Path,
    *,
    file_hash: str | None = None,
    run_id: str | None = None,
) -> LandingReport:
    started = time.perf_counter()
    clock = PhaseClock()
    with clock.phase("hash and registry look-up"):
        file_hash = file_hash or content_hash(file.path)
        ensure_landing_schema(con, contract)
        previous = first_row(
            con,
            f"SELECT rows_read, rows_landed, rows_rejected, rows_with_key_problems, encoding "
            f"FROM {SCHEMA}.files WHERE file_hash = ?",
            [file_hash],
        )
    if previous is not None:
        read, landed, rejected, key_problems, encoding = previous
        return LandingReport(
            file_name=file.path.name,
            contract_id=contract.id,
            file_hash=file_hash,
            already_landed=True,
            rows_read=read,
            rows_landed=landed,
            rows_rejected=rejected,
            rows_with_key_problems=key_problems,
            encoding=encoding,
            notes=("identical content already landed; nothing to do",),
            seconds=time.perf_counter() - started,
            phases=clock.rounded(),
        )
    with clock.phase("file type check"):
        detected = detect_format(file.path)
        check_accepted(file.path, detected, contract.source.formats)
    con.execute("BEGIN TRANSACTION")
    try:
        with clock.phase("read and stage"):
            staged = READERS[detected.format](con, file.path, contract, scratch)
        key_problems = _insert_landed(con, file, contract, file_hash, staged, scratch, clock)
        with clock.phase("rejects, registry and commit"):
            rows_landed = scalar(con, f"SELECT count(*) FROM {STAGE}")
            rows_rejected = scalar(con, f"SELECT count(*) FROM {STAGE_REJECTS}")
            con.execute(
                f"INSERT INTO {SCHEMA}.rejects SELECT ?, ?, _row_number, raw, reason "
                f"FROM {STAGE_REJECTS}",
                [file_hash, contract.id],
            )
            seconds = time.perf_counter() - started
            con.execute(
                f"INSERT INTO {SCHEMA}.files VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    file_hash,
                    partition_key(file_hash),
                    contract.id,
                    contract.version,
                    file.department,
                    file.path.name,
                    str(file.path),
                    file.path.stat().st_size,
                    detected.format.value,
                    staged.encoding,
                    rows_landed + rows_rejected,
                    rows_landed,
                    rows_rejected,
                    key_problems,
                    "; ".join(staged.notes) or None,
                    run_id,
                    seconds,
                    dt.datetime.now(),
                ],
            )
            for statement in (*staged.cleanup, f"DROP TABLE {STAGE_REJECTS}"):
                con.execute(statement)
            con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return LandingReport(
        file.path.name,
        contract.id,
        file_hash,
        False,
        rows_landed + rows_rejected,
        rows_landed,
        rows_rejected,
        key_problems,
        staged.encoding,
        staged.notes,
        seconds,
        clock.rounded(),
    )


def _write_keys(
    con: duckdb.DuckDBPyConnection, contract: Contract, staged: StageResult, path: Path
) -> KeyFile:
    """Row identity, file line and normalised keys of every staged row, computed in Arrow and
    written to a Parquet file at `path`, in the stage's order.

    Streamed in batches, and to disk rather than memory: the key kernels build per-row
    matrices, and a 30-million-row delivery's keys held in Python would sit beside DuckDB's
    own memory; from a file, DuckDB's join reads them within its limit.
    """
    names = ", ".join(quote_identifier(c.name) for c in contract.key_columns)
    reader = con.sql(
        f"SELECT _ordinal, _row_number{', ' + names if names else ''} FROM {STAGE}"
    ).to_arrow_reader(KEY_BATCH_ROWS)
    assert reader is not None
    problems = 0
    low: int | None = None
    high: int | None = None
    writer: pq.ParquetWriter | None = None
    try:
        for batch in reader:
            keys = _keys_of(batch, contract, staged)
            if writer is None:
                writer = pq.ParquetWriter(path, keys.schema, compression="snappy")
            writer.write_batch(keys.cast(writer.schema))
            problems += _rows_with_key_problems(keys, contract)
            if batch.num_rows:
                bounds = pc.min_max(batch.column("_ordinal"))
                first, last = bounds["min"].as_py(), bounds["max"].as_py()
                low = first if low is None else min(low, first)
                high = last if high is None else max(high, last)
        if writer is None:  # an empty delivery still needs the key file's columns
            empty = _keys_of(pa.RecordBatch.from_pylist([], schema=reader.schema), contract, staged)
            writer = pq.ParquetWriter(path, empty.schema)
            writer.write_batch(empty)
    finally:
        if writer is not None:
            writer.close()
    return KeyFile(problems, None if low is None or high is None else (low, high))


def _keys_of(batch: pa.RecordBatch, contract: Contract, staged: StageResult) -> pa.RecordBatch:
    ordinals = batch.column("_ordinal")
    if staged.reject_lines is not None:
        numbers = pa.array(
            row_numbers(ordinals.to_numpy(zero_copy_only=False), staged.reject_lines),
            pa.int64(),
        )
    else:
        numbers = batch.column("_row_number")
    arrays: dict[str, pa.Array | pa.ChunkedArray] = {"_ordinal": ordinals, "_row_number": numbers}
    for column in contract.key_columns:
        values = batch.column(column.name)
        checked: KeyColumns | SubjectKeyColumns
        if column.key_role is KeyRole.id_number:
            checked = check_id_numbers(values)
        elif column.key_role is KeyRole.credit_code:
            checked = check_credit_codes(values)
        else:
            subject = check_subject_keys(values)
            arrays[f"{column.name}__kind"] = subject.kind
            checked = subject
        problem = checked.problem
        if not column.required:  # an optional key left empty is absent, not wrong
            problem = pc.if_else(pc.is_null(values), pa.scalar(None, pa.string()), problem)
        arrays[column.name] = checked.value
        arrays[f"{column.name}__problem"] = problem
    return pa.RecordBatch.from_pydict(
        {k: v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v for k, v in arrays.items()}
    )


def _insert_landed(
    con: duckdb.DuckDBPyConnection,
    file: LandingFile,
    contract: Contract,
    file_hash: str,
    staged: StageResult,
    scratch: Path,
    clock: PhaseClock,
) -> int:
    """Insert the staged rows with their keys; returns how many rows have a key problem."""
    scratch.mkdir(parents=True, exist_ok=True)
    key_file = scratch / f"{file_hash}.keys.parquet"
    with clock.phase("key checks"):
        keys = _write_keys(con, contract, staged, key_file)
    select: list[str] = []
    targets: list[str] = []
    for column in contract.columns:
        name = quote_identifier(column.name)
        if column.key_role is None:
            targets.append(name)
            select.append(f"s.{name}")
            continue
        for target, expression in _key_select(column.name, column.key_role):
            targets.append(quote_identifier(target))
            select.append(expression)
    targets += ["_department", "_file_name", "_file_hash", "_row_number", "_loaded_at"]
    select += ["?", "?", "?", "k._row_number", "current_localtimestamp()"]
    named = [file.department, file.path.name, file_hash, str(key_file)]  # lineage, key file
    insert = (
        f"INSERT INTO {landed_table(contract)} ({', '.join(targets)}) "
        f"SELECT {', '.join(select)} FROM {STAGE} AS s "
        "JOIN read_parquet(?) AS k ON k._ordinal = s._ordinal "
        "WHERE s._ordinal BETWEEN ? AND ? AND k._ordinal BETWEEN ? AND ?"
    )
    try:
        # A hash join on the row identity (parallel, unlike a positional join), one range of
        # ordinals at a time: both sides are filtered to the range where they are read (the
        # stage's scan, the key file's row groups), so each hash table fits in memory.
        with clock.phase("insert with keys and lineage"):
            for low, high in _ranges(keys.ordinals, JOIN_RANGE_ROWS):
                con.execute(insert, [*named, low, high, low, high])
    finally:
        key_file.unlink(missing_ok=True)
    return keys.problems


def _ranges(ordinals: tuple[int, int] | None, size: int) -> list[tuple[int, int]]:
    """`ordinals` (first and last, inclusive) cut into ranges of at most `size` ordinals."""
    if ordinals is None:
        return []
    first, last = ordinals
    return [(low, min(low + size - 1, last)) for low in range(first, last + 1, size)]


def _key_select(name: str, role: KeyRole) -> list[tuple[str, str]]:
    q = quote_identifier
    pairs = [
        (name, f"k.{q(name)}"),
        (f"{name}__raw", f"s.{q(name)}"),
        (f"{name}__problem", f"k.{q(name + '__problem')}"),
    ]
    if role is KeyRole.subject:
        pairs.append((f"{name}__kind", f"k.{q(name + '__kind')}"))
    return pairs


def _rows_with_key_problems(keys: pa.RecordBatch, contract: Contract) -> int:
    flagged = pa.array(np.zeros(keys.num_rows, dtype=bool))
    for column in contract.key_columns:
        flagged = pc.or_(flagged, pc.is_valid(keys.column(f"{column.name}__problem")))
    return int(pc.sum(flagged).as_py() or 0)
