"""Certification cost at scale, next to one hand-written DuckDB query over the same batch.

    python bench/certify.py --persons 1000000

Outside the timing: the sample landing zone is generated (cached under var/bench/) and the
population register's full delivery is landed into a fresh pool. Then, in one child process
(so that its peak memory is its own), it times:
  * one-pass query: a single hand-written SELECT counting every rule's violations over the
    landed batch (the floor on this machine);
  * certification: row rules compiled from the contract, the quarantine split, the Great
    Expectations gate, the history merge and the quality records (`certify_batch`);
  * publish: checkpoint and snapshot copy (`publish`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "certify")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = args.work / f"p{args.persons}_s{args.seed}"
    if args.child:
        print(json.dumps(_measure(base)))
        return
    _prepare(base, args.persons, args.seed)
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--persons",
            str(args.persons),
            "--seed",
            str(args.seed),
            "--work",
            str(args.work),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    full = result["certify"] + result["publish"]
    print(f"batch: {result['rows']:,} landed population rows ({args.persons:,} persons)")
    print(f"one-pass query      : {result['one_pass']:7.2f} s")
    print(f"certification       : {result['certify']:7.2f} s  (gate {result['gate']:.2f} s)")
    print(f"publish             : {result['publish']:7.2f} s")
    print(f"full / one-pass     : {full / result['one_pass']:7.2f}x  (target 3x)")
    print(
        f"certified {result['certified']:,}, quarantined {result['quarantined']:,}, "
        f"duplicates {result['duplicates']:,}; peak memory {peak:,.0f} MiB (target 6 GB)"
    )


def _prepare(base: Path, persons: int, seed: int) -> None:
    """Land the population file into a fresh pool (not timed)."""
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
    pool_dir = base / "pool"
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


def _measure(base: Path) -> dict[str, float]:
    import great_expectations  # noqa: F401  (its import time is not certification time)

    from contracts.registry import bundled_contracts
    from pipelines.certify.certifier import certify_batch
    from pipelines.certify.publish import publish

    batch = (base / "batch").read_text()
    pool = _pool(base / "pool")
    with pool.connect() as con:
        started = time.perf_counter()
        counts = con.execute(ONE_PASS, [batch]).fetchall()[0]
        one_pass = time.perf_counter() - started
        started = time.perf_counter()
        report = certify_batch(
            con, bundled_contracts()["ps_population"], batch, now=dt.datetime.now()
        )
        certify = time.perf_counter() - started
        started = time.perf_counter()
        publish(con, Path(pool.certified_path), Path(pool.serving_path))
        published = time.perf_counter() - started
    gate = report.gate.get("seconds", 0.0)
    return {
        "rows": float(counts[0]),
        "one_pass": one_pass,
        "certify": certify,
        "publish": published,
        "gate": float(gate) if isinstance(gate, int | float) else 0.0,
        "certified": report.rows_certified,
        "quarantined": report.rows_quarantined,
        "duplicates": report.rows_duplicate,
    }


if __name__ == "__main__":
    main()
