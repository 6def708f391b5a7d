"""Ingestion throughput: the whole landing pipeline next to DuckDB alone on the same files.

    python bench/ingest.py --persons 1000000

Generates the landing zone first (outside the timing, cached under var/bench/), then times,
each in a fresh child process so that peak memory is that phase's own:
  * pipeline: every file through the real Dagster assets (`onceonly ingest`'s code path),
    into a fresh pool: sniffing, transcoding, parsing, key normalisation, lineage, registry;
  * duckdb alone: the same files loaded with read_csv / read_json / read_parquet into tables
    (the limit on this machine). DuckDB cannot read GBK or Excel without extensions a closed
    network cannot fetch, so GBK files are given to it as UTF-8 copies made outside the timing,
    and Excel workbooks are left out of both sides of the ratio (their time is printed apart).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, help="default: persons / 10")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "ingest")
    parser.add_argument("--phase", choices=["pipeline", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    enterprises = args.enterprises or max(args.persons // 10, 100)
    base = args.work / f"p{args.persons}_e{enterprises}_s{args.seed}"
    if args.phase:
        print(json.dumps(_run_phase(args.phase, base)))
        return
    landing = _landing_zone(base, args.persons, enterprises, args.seed)
    files = [p for p in landing.rglob("*") if p.is_file()]
    rows = _count_rows(base)
    size = sum(p.stat().st_size for p in files)
    print(
        f"landing zone: {len(files)} files, {size / 2**20:,.0f} MiB, {rows['all']:,} rows "
        f"({rows['excel']:,} of them in Excel); {os.cpu_count()} cores"
    )
    duck = _child("duckdb", base)
    pipe = _child("pipeline", base)
    non_excel = rows["all"] - rows["excel"]
    pipe_non_excel = pipe["seconds"] - pipe["excel_seconds"]
    print(
        f"duckdb alone   : {duck['seconds']:8.2f} s  {non_excel / duck['seconds']:12,.0f} rows/s  "
        f"peak {duck['peak_mib']:,.0f} MiB  (csv/jsonl/parquet only)"
    )
    pipe_rate = rows["all"] / pipe["seconds"]
    print(
        f"pipeline       : {pipe['seconds']:8.2f} s  {pipe_rate:12,.0f} rows/s  "
        f"peak {pipe['peak_mib']:,.0f} MiB  (all files, {pipe['runs']} Dagster runs)"
    )
    print(f"  of which Excel: {pipe['excel_seconds']:8.2f} s for {rows['excel']:,} rows")
    ratio = pipe_non_excel / duck["seconds"]
    print(f"pipeline / duckdb on the same csv/jsonl/parquet files: {ratio:.2f}x")
    print(
        f"per-row cost: {pipe['seconds'] / rows['all'] * 1e6:.2f} us/row (pipeline), "
        f"{duck['seconds'] / non_excel * 1e6:.2f} us/row (duckdb alone)"
    )
    print("target: pipeline <= 2x duckdb alone")
    from pipelines.phases import breakdown

    phases = dict(pipe["phases"])
    # What the landing assets themselves did not spend: run creation, events, the instance.
    phases["Dagster: runs, events, instance"] = pipe["seconds"] - sum(phases.values())
    print(f"where the pipeline's {pipe['seconds']:.2f} s went (all files):")
    for line in breakdown(phases, pipe["seconds"]):
        print(line)


def _landing_zone(base: Path, persons: int, enterprises: int, seed: int) -> Path:
    landing = base / "landing"
    marker = base / "generated.json"
    if not marker.exists():
        from pipelines.samples import generate_landing_zone

        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        summary = generate_landing_zone(
            landing, persons=persons, enterprises=enterprises, seed=seed
        )
        counts = {
            "all": summary.rows,
            "excel": sum(f.rows for f in summary.files if f.format == "excel"),
        }
        marker.write_text(json.dumps(counts))
        print(f"generated in {time.perf_counter() - started:.1f} s (not timed below)")
    return landing


def _count_rows(base: Path) -> dict[str, int]:
    return json.loads((base / "generated.json").read_text())


def _child(phase: str, base: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--work", str(base.parent), *_size_args(base)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def _size_args(base: Path) -> list[str]:
    persons, enterprises, seed = (part[1:] for part in base.name.split("_"))
    return ["--persons", persons, "--enterprises", enterprises, "--seed", seed]


def _run_phase(phase: str, base: Path) -> dict[str, Any]:
    if phase == "duckdb":
        return _duckdb_alone(base)
    return _pipeline(base)


def _pipeline(base: Path) -> dict[str, Any]:
    run_home = base / "run"
    shutil.rmtree(run_home, ignore_errors=True)
    os.environ["ONCEONLY_HOME"] = str(run_home)
    os.environ["ONCEONLY_LANDING"] = str(base / "landing")
    os.environ["DAGSTER_HOME"] = str(run_home / "dagster")
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance
    from pipelines.landing.runner import land_pending

    started = time.perf_counter()
    outcomes, _ = land_pending(build_definitions(), get_instance(), certify=False)
    seconds = time.perf_counter() - started
    failed = [o.pending.file.path.name for o in outcomes if not o.success]
    if failed:
        raise SystemExit(f"landing failed for {failed}")
    from pipelines.asset_keys import PHASES_METADATA
    from pipelines.phases import add_phases

    phases: dict[str, float] = {}
    for outcome in outcomes:
        add_phases(phases, outcome.landed.get(PHASES_METADATA) or {})  # type: ignore[arg-type]
    excel = sum(
        float(o.landed.get("seconds", 0.0)) + float(o.certified.get("seconds", 0.0))  # type: ignore[arg-type]
        for o in outcomes
        if o.pending.file.path.suffix == ".xlsx"
    )
    return {
        "seconds": seconds,
        "excel_seconds": excel,
        "runs": len(outcomes),
        "phases": phases,
    }


def _duckdb_alone(base: Path) -> dict[str, float]:
    import duckdb

    from pipelines.landing.encoding import sniff_encoding, transcode_to_utf8

    work = base / "duckdb_alone"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    jobs: list[tuple[str, Path]] = []
    for path in sorted((base / "landing").rglob("*")):
        if path.suffix == ".csv":
            encoding = sniff_encoding(path)
            if encoding == "gb18030":
                copy = work / f"{path.stem}.utf8.csv"
                transcode_to_utf8(path, copy, encoding)
                path = copy
            jobs.append(("read_csv", path))
        elif path.suffix == ".jsonl":
            jobs.append(("read_json", path))
        elif path.suffix == ".parquet":
            jobs.append(("read_parquet", path))
    con = duckdb.connect(str(work / "alone.duckdb"))
    con.execute("SET threads = 2")
    started = time.perf_counter()
    for index, (reader, path) in enumerate(jobs):
        options = ", all_varchar=true" if reader == "read_csv" else ""
        con.execute(f"CREATE TABLE t{index} AS SELECT * FROM {reader}('{path}'{options})")
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds}


if __name__ == "__main__":
    main()
