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
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


EXECUTORS = 2
EXECUTOR_WAIT_SECONDS = 300


def wait_for_executors(session: SparkSession, count: int) -> int:
    """Until `count` executors (one per worker) have registered, so every worker takes part."""
    deadline = time.monotonic() + EXECUTOR_WAIT_SECONDS
    while True:
        # The driver's block manager is listed too.
        registered = session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
        if registered >= count or time.monotonic() > deadline:
            return int(registered)
        time.sleep(0.5)


def main(master: str, pool_root: Path, files: Path, out: Path) -> None:
    from pipelines.certify.spark.engine import SparkEngine
    from pipelines.certify.spark.session import SMALL_DATA, SparkSettings, spark_session
    from tests.pipelines.certify.parity import deliver_all, dump
    from tests.pipelines.certify.support import Pool

    session = spark_session(
        SparkSettings(master=master, executor_memory="512m", executor_cores=1, extra=SMALL_DATA)
    )
    try:
        executors = wait_for_executors(session, EXECUTORS)
        pool = Pool(pool_root)
        deliveries = pickle.loads(files.read_bytes())
        reports = deliver_all(pool, functools.partial(SparkEngine, spark=session), deliveries)
        out.write_bytes(
            pickle.dumps(
                {
                    "master": session.sparkContext.master,
                    "executors": executors,
                    "reports": reports,
                    "dump": dump(pool),
                }
            )
        )
    finally:
        session.stop()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
