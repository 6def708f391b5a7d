"""Throughput of the one-number key checks: scalar, stdnum, vectorised, and through DuckDB.

Generates a column of resident ID numbers - mostly valid, a few percent dirty the way real
exports are (spaces, full-width digits, lower-case x, 15-digit legacy numbers, typos, bad
dates, blanks) - before any clock starts, then prints keys per second for each path.

    python bench/keys.py --n 10000000
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from contracts.keys import check_id_number, check_id_numbers, register_key_functions
from contracts.keys.checksums import id_check_chars
from contracts.keys.regions import region_lookup

SAMPLE = 200_000
# The pipeline's key checks, wall clock on every core of a 2-core machine: a 62 M-row city
# delivery must not spend more than a few seconds a million rows on its keys.
TARGET_KEYS_PER_SECOND = 20_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="keys in the column")
    parser.add_argument("--dirty", type=float, default=0.03, help="share of dirty values")
    parser.add_argument("--seed", type=int, default=20_251_121)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    column = generate_column(rng, args.n, args.dirty)
    sample = column.slice(0, min(SAMPLE, args.n)).to_pylist()
    print(f"cores: {os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})")
    print(f"keys: {args.n:,}, dirty share {args.dirty:.0%}")

    extrapolated = f"extrapolated from the first {len(sample):,}"
    _report("scalar Python check_id_number", len(sample), extrapolated, partial(_scalar, sample))
    _report("python-stdnum cn.ric.validate", len(sample), extrapolated, partial(_stdnum, sample))
    whole = "whole column, fastest of 3 runs"
    rate = _report(
        "vectorised check_id_numbers", args.n, whole, partial(check_id_numbers, column), 3
    )
    verdict = "met" if rate >= TARGET_KEYS_PER_SECOND else "NOT met"
    print(
        f"{'':30s} target >= {TARGET_KEYS_PER_SECOND:,} keys/s (wall clock, all cores): {verdict}"
    )
    _duckdb_report(column)


def generate_column(rng: np.random.Generator, n: int, dirty_share: float) -> pa.Array:
    """Valid ID numbers in bulk, then a small dirty subset rewritten in Python."""
    clean = _valid_ids(rng, n)
    dirty = np.flatnonzero(rng.random(n) < dirty_share)
    originals = clean.take(pa.array(dirty)).to_pylist()
    spoilers = list(_SPOILERS)
    picks = rng.integers(0, len(spoilers), len(dirty))
    replacements = [spoilers[p](v, rng) for p, v in zip(picks, originals, strict=True)]
    mask = np.zeros(n, dtype=np.bool_)
    mask[dirty] = True
    return pc.replace_with_mask(clean, pa.array(mask), pa.array(replacements, pa.string()))


def _valid_ids(rng: np.random.Generator, n: int) -> pa.Array:
    regions = np.flatnonzero(region_lookup())[rng.integers(0, int(region_lookup().sum()), n)]
    first, last = np.datetime64("1930-01-01"), np.datetime64("2020-12-31")
    span = int((last - first) // np.timedelta64(1, "D"))
    born = first + rng.integers(0, span, n).astype("timedelta64[D]")
    years = born.astype("datetime64[Y]").astype(np.int64) + 1970
    months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    number = ((regions * 10_000 + years) * 100 + months) * 100 + mdays
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, :14] = _digits(number, 14)
    body[:, 14:] = _digits(rng.integers(0, 1000, n), 3)
    rows = np.concatenate([body + ord("0"), id_check_chars(body)[:, None]], axis=1)
    offsets = np.arange(0, (n + 1) * 18, 18, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(rows)])


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10).astype(np.uint8)


def _spaced(v: str, rng: np.random.Generator) -> str:
    return f"{v[:6]} {v[6:14]} {v[14:]}"


def _full_width(v: str, rng: np.random.Generator) -> str:
    return v.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


def _lower_x(v: str, rng: np.random.Generator) -> str:
    return v.lower()


def _legacy(v: str, rng: np.random.Generator) -> str:
    return v[:6] + v[8:17]


def _typo(v: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(0, 17))
    return v[:i] + str((int(v[i]) + 1) % 10) + v[i + 1 :]


def _bad_date(v: str, rng: np.random.Generator) -> str:
    return v[:10] + "13" + v[12:]


def _blank(v: str, rng: np.random.Generator) -> str | None:
    return None if rng.random() < 0.5 else " "


_SPOILERS: tuple[Callable[[str, np.random.Generator], str | None], ...] = (
    _spaced,
    _full_width,
    _lower_x,
    _legacy,
    _typo,
    _bad_date,
    _blank,
)


def _scalar(values: list[str | None]) -> None:
    for value in values:
        check_id_number(value)


def _stdnum(values: list[str | None]) -> None:
    for value in values:
        _stdnum_valid(value)


def _stdnum_valid(value: str | None) -> bool:
    """stdnum raises KeyError, not ValidationError, for a province without that county."""
    try:
        return bool(ric.validate(value or ""))
    except (ValidationError, KeyError):
        return False


def _report(
    label: str, count: int, note: str, run: Callable[[], object], repeats: int = 1
) -> float:
    """One line: wall-clock keys/s, keys per CPU-second, and CPU seconds per wall second.

    The CPU figures tell a busy machine from a slow path: other processes on the cores
    lower the wall-clock rate and cpu/wall (which is above 1 when we run in parallel) but
    not keys per CPU-second.
    """
    wall, cpu = min(_timed(run) for _ in range(repeats))
    print(
        f"{label:30s} {count / wall:12,.0f} keys/s  {count / cpu:12,.0f} keys/CPU-s"
        f"  cpu/wall {cpu / wall:4.2f}  ({note})"
    )
    return count / wall


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _duckdb_report(column: pa.Array) -> None:
    con = duckdb.connect()
    register_key_functions(con)
    con.register("keys_arrow", pa.table({"k": column}))
    con.execute("CREATE TABLE keys AS SELECT k FROM keys_arrow")
    query = "SELECT count(id_number_problem(k)) FROM keys"
    _report("DuckDB id_number_problem(k)", len(column), "whole table", partial(_fetch, con, query))
    con.close()


def _fetch(con: duckdb.DuckDBPyConnection, query: str) -> None:
    con.execute(query).fetchall()


if __name__ == "__main__":
    main()
