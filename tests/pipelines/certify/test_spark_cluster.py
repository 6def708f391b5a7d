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
from pipelines.certify.spark.session import pin_java
from tests.pipelines.certify.parity import deliver_all, dump, write_deliveries
from tests.pipelines.certify.standalone import standalone_cluster
from tests.pipelines.certify.support import Pool

pytestmark = pytest.mark.spark
DRIVER_SECONDS = 600


def test_a_standalone_cluster_certifies_as_duckdb_does(tmp_path: Path) -> None:
    # The first deliveries: the population (typing, every row rule, duplicates, collisions)
    # and the insurance enrolment (conflicts with the population's names).
    files = write_deliveries(tmp_path / "deliveries")[:2]
    on_duckdb = Pool(tmp_path / "duckdb")
    expected_reports = deliver_all(on_duckdb, DuckDBEngine, files)
    listed, out = tmp_path / "files.pickle", tmp_path / "cluster.pickle"
    listed.write_bytes(pickle.dumps(files))
    env = {
        **os.environ,
        "JAVA_HOME": str(pin_java(dict(os.environ))),
        "PYSPARK_PYTHON": sys.executable,
    }
    with standalone_cluster(tmp_path / "cluster") as master:
        driver = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.pipelines.certify.cluster_driver",
                master,
                str(tmp_path / "spark"),
                str(listed),
                str(out),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=DRIVER_SECONDS,
            check=False,
        )
    assert driver.returncode == 0, driver.stderr[-4000:]
    cluster = pickle.loads(out.read_bytes())
    assert cluster["master"] == master
    assert cluster["reports"] == expected_reports
    expected = dump(on_duckdb)
    for table, rows in expected.items():
        assert cluster["dump"][table] == rows, table
