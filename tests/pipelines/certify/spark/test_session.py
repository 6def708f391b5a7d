"""The session's options: what the settings ask for, and shuffles sized to where Spark runs."""

from __future__ import annotations

import os

import pytest

from pipelines.certify.spark.session import SMALL_DATA, SparkSettings, local_cores, spark_conf


@pytest.mark.parametrize(
    ("master", "cores"),
    [
        ("local", 1),
        ("local[2]", 2),
        ("local[8,3]", 8),
        ("local[*]", os.cpu_count()),
        ("spark://127.0.0.1:7077", None),
        ("k8s://https://cluster:6443", None),
        ("localhost", None),
    ],
)
def test_local_cores_are_read_from_the_master(master: str, cores: int | None) -> None:
    assert local_cores(master) == cores


def test_one_machine_shuffles_in_one_partition_per_core_and_a_cluster_keeps_sparks_default() -> (
    None
):
    assert spark_conf(SparkSettings(master="local[4]"))["spark.sql.shuffle.partitions"] == "4"
    cluster = spark_conf(SparkSettings(master="spark://10.0.0.5:7077", executor_cores=4))
    assert "spark.sql.shuffle.partitions" not in cluster
    assert cluster["spark.executor.cores"] == "4"
    assert "spark.driver.host" not in cluster


def test_options_given_by_the_caller_win() -> None:
    conf = spark_conf(SparkSettings(master="spark://127.0.0.1:7077", extra=SMALL_DATA))
    assert conf["spark.sql.shuffle.partitions"] == "2"
    assert conf["spark.sql.adaptive.enabled"] == "false"
    assert conf["spark.driver.host"] == "127.0.0.1"
