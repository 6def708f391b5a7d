"""A real Spark standalone cluster (a master and two workers, separate processes on 127.0.0.1)
certifies deliveries, and the pool holds what the DuckDB engine writes for them."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.certify.duckdb_engine import DuckDBEngine
from pipelines.certify.spark.session import java17_home
from tests.pipelines.certify.parity import deliver_all, dump, write_deliveries
from tests.pipelines.certify.standalone import standalone_cluster
from tests.pipelines.certify.support import Pool

pytestmark = pytest.mark.spark
DRIVER_SECONDS = 600


def test_a_standalone_cluster_certifies_as_duckdb_does(tmp_path: Path) -> None:
    # The first deliveries: the population (typing, every row rule, duplicates, collisions)
    # and the insurance enrolment (conflicts with the population's names).
    files = write_deliveries(tmp_path / "deliveries")[:2]
    listed, out = tmp_path / "files.pickle", tmp_path / "cluster.pickle"
    listed.write_bytes(pickle.dumps(files))
    env = {
        **os.environ,
        "JAVA_HOME": str(java17_home()),
        "PYSPARK_PYTHON": sys.executable,
    }
    on_duckdb = Pool(tmp_path / "duckdb")
    with standalone_cluster(tmp_path / "cluster") as cluster:
        command = [
            sys.executable,
            "-m",
            "tests.pipelines.certify.cluster_driver",
            cluster.url,
            str(tmp_path / "spark"),
            str(listed),
            str(out),
        ]
        with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as driver:
            # The JVMs start meanwhile: the same deliveries on DuckDB, for the expected rows.
            expected_reports = deliver_all(on_duckdb, DuckDBEngine, files)
            _, errors = driver.communicate(timeout=DRIVER_SECONDS)
        assert driver.returncode == 0, errors[-4000:]
        assert cluster.alive_workers() == 2
    certified = pickle.loads(out.read_bytes())
    assert certified["master"] == cluster.url and certified["executors"] == 2
    assert certified["reports"] == expected_reports
    for table, rows in dump(on_duckdb).items():
        assert certified["dump"][table] == rows, table
