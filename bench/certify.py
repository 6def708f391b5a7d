"""Certification cost at scale, on DuckDB and on Spark, next to one hand-written DuckDB query.

    python bench/certify.py --persons 1000000                 # DuckDB, as before
    python bench/certify.py --persons 1000000 --engine both   # DuckDB and Spark, side by side

Outside the timing: the sample landing zone is generated (cached under var/bench/) and the
population register's full delivery is landed into a fresh pool per engine. Then, in one
child process per engine (so that its peak memory is its own: the driver's and, on Spark,
its JVM's and Python workers', summed over the process tree with psutil), it times:
  * one-pass query: a single hand-written SELECT counting every rule's violations over the
    landed batch (the floor on this machine);
  * certification: row rules compiled from the contract, the quarantine split, the Great
    Expectations gate, the history merge and the quality records, region shard by region
    shard (`certify_delivery`), on the engine asked for (Spark: `ONCEONLY_SPARK_MASTER`,
    `local[2]` by default, its session started outside the timing);
  * publish: checkpoint and snapshot copy (`publish`).
The per-row cost (certification time / landed rows) is what the README's projection for a
province on N executors starts from; run 1 M and 10 M persons to see whether it stays flat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ONE_PASS = """
SELECT count(*),
  count(*) FILTER (WHERE id_number__problem IS NOT NULL),
  count(*) FILTER (WHERE NULLIF(TRIM(name), '') IS NULL),
  count(*) FILTER (WHERE gender IS NOT NULL AND gender NOT IN ('男', '女')),
  count(*) FILTER (WHERE length(id_number) = 18 AND gender IS DISTINCT FROM
      CASE WHEN TRY_CAST(SUBSTRING(id_number, 17, 1) AS INT) % 2 = 1 THEN '男' ELSE '女' END),
  count(*) FILTER (WHERE TRY_CAST(TRY_STRPTIME(birth_date, ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d'])
      AS DATE) IS NULL AND NULLIF(TRIM(birth_date), '') IS NOT NULL),
  count(*) FILTER (WHERE length(id_number) = 18 AND TRY_CAST(TRY_STRPTIME(birth_date,
      ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d']) AS DATE) IS DISTINCT FROM
      TRY_CAST(TRY_STRPTIME(SUBSTRING(id_number, 7, 8), '%Y%m%d') AS DATE)),
  count(*) FILTER (WHERE TRY_CAST(TRY_STRPTIME(birth_date, ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d'])
      AS DATE) > current_date),
  count(*) FILTER (WHERE length(name) NOT BETWEEN 1 AND 30),
  count(*) FILTER (WHERE NOT regexp_full_match(region_code, '^[0-9]{6}$')),
  count(*) - count(DISTINCT (id_number, name, gender, ethnicity, birth_date, region_code,
      address, household_no, relation_to_head, updated_at))
FROM landing.ps_population WHERE _file_hash = ?
"""


ENGINES = ("duckdb", "spark")
SHARD_LEVELS = ("none", "province", "prefecture")
SAMPLE_SECONDS = 0.2
TARGET_PROVINCE = "100 M persons in under 10 minutes on a modest cluster (README projection)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="duckdb")
    parser.add_argument(
        "--shards",
        choices=SHARD_LEVELS,
        help="region shard level for every engine (default: each engine's own, as "
        "ONCEONLY_SHARDS leaves it unset: none on DuckDB, province on Spark)",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "certify")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = args.work / f"p{args.persons}_s{args.seed}"
    if args.child:
        os.environ["ONCEONLY_SHARDS"] = args.shards
        print(json.dumps(_measure(base, args.engine)))
        return
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    results = {}
    for engine in engines:
        _prepare(base, args.persons, args.seed, engine)
        command = [
            sys.executable,
            __file__,
            "--child",
            "--engine",
            engine,
            "--persons",
            str(args.persons),
            "--seed",
            str(args.seed),
            "--work",
            str(args.work),
            "--shards",
            args.shards or ("province" if engine == "spark" else "none"),
        ]
        try:
            results[engine] = _run_measured(command)
        except SystemExit:
            if results:  # what was measured before the failure still counts
                _report(results, args.persons)
            raise
    _report(results, args.persons)


def _run_measured(command: list[str]) -> dict[str, Any]:
    """Run the child; its result, with the peak memory of its process tree (MiB)."""
    import psutil

    child = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(child.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(_rss(p) for p in tree))
            except psutil.NoSuchProcess:
                return
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, errors = child.communicate()
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"the measurement failed:\n{errors[-4000:]}{_hint(errors)}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = peak / 2**20
    return result


def _hint(errors: str) -> str:
    """What to do when Spark ran out of memory, which it reports as a lost task result or a
    full heap rather than as too little memory (on `local[N]` the driver's JVM runs the
    executors, so its memory is theirs)."""
    signs = ("TaskResultLost", "OutOfMemoryError", "Java heap space", 'dagScheduler()" is null')
    if not any(s in errors for s in signs):
        return ""
    import settings

    memory = settings.current().spark_driver_memory
    return (
        f"\nSpark's driver ({memory}) ran out of memory: raise "
        f"{settings.SPARK_DRIVER_MEMORY_ENV} (on local[N] it holds the executors too)."
    )


def _rss(process: object) -> int:
    import psutil

    assert isinstance(process, psutil.Process)
    try:
        return int(process.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def _report(results: dict[str, dict[str, Any]], persons: int) -> None:
    first = next(iter(results.values()))
    print(f"batch: {first['rows']:,.0f} landed population rows ({persons:,} persons)")
    print(f"one-pass query (DuckDB): {first['one_pass']:7.2f} s  (the floor on this machine)")
    header = f"{'':24}" + "".join(f"{engine:>14}" for engine in results)
    print(header)
    rows = [
        ("certification (s)", lambda r: f"{r['certify']:.2f}"),
        ("  of which the gate (s)", lambda r: f"{r['gate']:.2f}"),
        ("publish (s)", lambda r: f"{r['publish']:.2f}"),
        ("per row (us)", lambda r: f"{1e6 * r['certify'] / max(r['rows'], 1):.2f}"),
        ("full / one-pass", lambda r: f"{(r['certify'] + r['publish']) / r['one_pass']:.2f}x"),
        ("peak memory (MiB)", lambda r: f"{r['peak_mib']:,.0f}"),
        ("certified", lambda r: f"{r['certified']:,.0f}"),
        ("quarantined", lambda r: f"{r['quarantined']:,.0f}"),
        ("duplicates", lambda r: f"{r['duplicates']:,.0f}"),
        ("region shards", lambda r: f"{r['shards']:,.0f} ({r['level']})"),
    ]
    if any("pool_writes" in r for r in results.values()):  # rows moved, per row, by whom
        rows += [
            ("pool writes for spark", lambda r: _per_row(r, "pool_writes")),
            ("spark writes for pool", lambda r: _per_row(r, "spark_writes")),
            ("pool reads spark's", lambda r: _per_row(r, "pool_reads")),
        ]
    for label, cell in rows:
        print(f"{label:24}" + "".join(f"{cell(r):>14}" for r in results.values()))
    print("targets: DuckDB full / one-pass 3x and peak memory 6 GB; per-row cost flat from")
    print(f"1 M to 10 M persons; {TARGET_PROVINCE}")
    if len(results) == 2:
        duck, spark = results["duckdb"], results["spark"]
        print(f"spark / duckdb certification time: {spark['certify'] / duck['certify']:.2f}x")
    for engine, result in results.items():
        print(f"where certification's {result['certify']:.2f} s went on {engine} (shards summed):")
        for line in breakdown(result["phases"], result["certify"]):
            print(line)


def _per_row(result: dict[str, Any], seconds: str) -> str:
    return f"{1e6 * result[seconds] / result['rows']:.2f} us" if seconds in result else "-"


def breakdown(phases: dict[str, float], total: float) -> list[str]:
    from pipelines.phases import breakdown as lines

    return lines(phases, total)


def _prepare(base: Path, persons: int, seed: int, engine: str) -> None:
    """Land the population file into a fresh pool for `engine` (not timed)."""
    from contracts.registry import bundled_contracts
    from pipelines.landing.files import LandingFile
    from pipelines.landing.loader import land_file
    from pipelines.samples import generate_landing_zone

    landing = base / "landing"
    shared = ROOT / "var" / "bench" / "ingest" / f"p{persons}_e{max(persons // 10, 100)}_s{seed}"
    if (shared / "generated.json").exists():  # reuse the ingestion bench's landing zone
        landing = shared / "landing"
    elif not (base / "generated").exists():
        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        generate_landing_zone(
            landing, persons=persons, enterprises=max(persons // 10, 100), seed=seed, case_days=30
        )
        (base / "generated").touch()
        print(f"generated in {time.perf_counter() - started:.1f} s (not timed)")
    pool_dir = base / f"pool_{engine}"
    shutil.rmtree(pool_dir, ignore_errors=True)
    contract = bundled_contracts()["ps_population"]
    full = sorted((landing / "ps" / "ps_population").glob("*.csv"))[0]
    with _pool(pool_dir).connect() as con:
        report = land_file(con, LandingFile(full, contract.id, "ps"), contract, pool_dir / "tmp")
    (base / "batch").write_text(report.file_hash)


def _pool(pool_dir: Path):  # type: ignore[no-untyped-def]
    from pipelines.resources import PoolResource

    return PoolResource(
        path=str(pool_dir / "pool.duckdb"),
        certified_path=str(pool_dir / "certified.duckdb"),
        serving_path=str(pool_dir / "serving"),
    )


def _measure(base: Path, engine: str) -> dict[str, Any]:
    import great_expectations  # noqa: F401  (its import time is not certification time)

    from contracts.registry import bundled_contracts
    from pipelines.certify.publish import publish
    from pipelines.certify.sharded import certify_delivery

    batch = (base / "batch").read_text()
    pool = _pool(base / f"pool_{engine}")
    lake = base / f"lake_{engine}"
    factory = _engine(engine, lake)  # Spark starts here, untimed
    with pool.connect() as con:
        started = time.perf_counter()
        counts = con.execute(ONE_PASS, [batch]).fetchall()[0]
        one_pass = time.perf_counter() - started
        started = time.perf_counter()
        delivery = certify_delivery(
            con,
            bundled_contracts()["ps_population"],
            batch,
            now=dt.datetime.now(),
            engine=factory,
        )
        certify = time.perf_counter() - started
        started = time.perf_counter()
        publish(con, Path(pool.certified_path), Path(pool.serving_path))
        published = time.perf_counter() - started
        transfers = _transfers(con, batch, lake / "exchange") if engine == "spark" else {}
    report = delivery.total
    gates = [s.gate.get("seconds", 0.0) for s in delivery.shards]
    return {
        "rows": float(counts[0]),
        "one_pass": one_pass,
        "certify": certify,
        "publish": published,
        "gate": sum(float(g) for g in gates if isinstance(g, int | float)),
        "certified": report.rows_certified,
        "quarantined": report.rows_quarantined,
        "duplicates": report.rows_duplicate,
        "shards": len(delivery.shards),
        "level": os.environ["ONCEONLY_SHARDS"],
        "phases": report.phases,
        **transfers,
    }


def _transfers(con: Any, batch: str, exchange: Path) -> dict[str, float]:
    """Seconds the Spark engine spends moving the batch's rows, apart from any computing, in
    three parts: the pool writing them as Parquet for Spark (DuckDB, on the pool's host),
    Spark's executors writing rows they hold back as Parquet, and the pool reading those into
    a table. The projection builds its per-row costs from these, since the engine's phases mix
    them with Spark's own work: the pool's two parts do not shrink with more executors."""
    from pyspark.sql import SparkSession

    from pipelines.certify.spark.exchange import ParquetExchange

    spark = SparkSession.getActiveSession()
    assert spark is not None
    files = ParquetExchange(spark, exchange)
    sql = "SELECT * FROM landing.ps_population WHERE _file_hash = ?"
    started = time.perf_counter()
    frame = files.read(con, sql, [batch])  # DuckDB writes; Spark reads only when asked
    pool_writes = time.perf_counter() - started
    kept = frame.persist()
    kept.count()
    started = time.perf_counter()
    with files.registered(con, "bench_transfer", kept) as view:
        written = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE bench_transferred AS SELECT * FROM {view}")
        read = time.perf_counter()
    kept.unpersist()
    files.close()
    return {
        "pool_writes": pool_writes,
        "spark_writes": written - started,
        "pool_reads": read - written,
    }


def _engine(engine: str, lake: Path):  # type: ignore[no-untyped-def]
    """The engine factory as the pipelines' resource builds it from the settings (Spark's
    session started, its certified history committed to a lake of the bench's own)."""
    import settings
    from pipelines.certify.engine_resource import EngineResource

    current = settings.current()
    shutil.rmtree(lake, ignore_errors=True)
    return EngineResource(
        engine=engine,
        spark_master=current.spark_master,
        spark_executor_memory=current.spark_executor_memory,
        spark_driver_memory=current.spark_driver_memory,
        spark_executor_cores=current.spark_executor_cores,
        lake_catalog=f"sqlite:///{lake / 'catalog.sqlite'}",
        lake=str(lake / "warehouse"),
        spark_exchange=str(lake / "exchange"),
    ).factory()


if __name__ == "__main__":
    main()
