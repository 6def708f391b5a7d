"""The driver program of the standalone-cluster test, in its own process.

A process has one SparkContext: the test process keeps its local[2] session, and this one
connects to the cluster. `python -m tests.pipelines.certify.cluster_driver MASTER POOL FILES
OUT` certifies the deliveries listed in FILES (a pickle) into the pool under POOL and pickles
the reports and the pool's dump to OUT.
"""

from __future__ import annotations

import functools
import pickle
import sys
from pathlib import Path


def main(master: str, pool_root: Path, files: Path, out: Path) -> None:
    from pipelines.certify.spark.engine import SparkEngine
    from pipelines.certify.spark.session import SparkSettings, spark_session
    from tests.pipelines.certify.parity import deliver_all, dump
    from tests.pipelines.certify.support import Pool

    session = spark_session(SparkSettings(master=master, executor_memory="512m", executor_cores=1))
    try:
        executors = session.sparkContext.getConf().get("spark.master")
        pool = Pool(pool_root)
        deliveries = pickle.loads(files.read_bytes())
        reports = deliver_all(pool, functools.partial(SparkEngine, spark=session), deliveries)
        out.write_bytes(pickle.dumps({"master": executors, "reports": reports, "dump": dump(pool)}))
    finally:
        session.stop()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
