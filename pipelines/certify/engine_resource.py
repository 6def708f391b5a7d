"""The certification engine as a Dagster resource: which engine, and the Spark cluster's shape.

Built from the settings (`ONCEONLY_ENGINE`, `ONCEONLY_SPARK_MASTER`, executor memory and
cores, the lake's catalog and folder), so one variable switches a deployment from the
embedded engine to a cluster. The
Spark session is started by the run that first needs it, and only when the engine is Spark:
the embedded default never loads a JVM.
"""

from __future__ import annotations

import functools
from pathlib import Path

import dagster as dg

import settings
from pipelines.certify.duckdb_engine import DuckDBEngine
from pipelines.certify.engine import EngineFactory
from pipelines.certify.lake import Lake


class EngineResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """`engine` is `duckdb` or `spark`; `spark_master` is `local[N]`, `spark://host:port`
    (a standalone cluster) or `k8s://...`."""

    engine: str = "duckdb"
    spark_master: str = settings.DEFAULT_SPARK_MASTER
    spark_executor_memory: str = settings.DEFAULT_SPARK_EXECUTOR_MEMORY
    spark_driver_memory: str = settings.DEFAULT_SPARK_DRIVER_MEMORY
    spark_executor_cores: int = settings.DEFAULT_SPARK_EXECUTOR_CORES
    lake_catalog: str = ""  # the Spark path's Iceberg catalog (URL); empty: no lake
    lake: str = ""  # the folder its tables' Parquet files live in
    spark_exchange: str = ""  # where rows pass between the pool and Spark; empty: the setting

    @classmethod
    def from_settings(cls, current: settings.Settings | None = None) -> EngineResource:
        current = current or settings.current()
        return cls(
            engine=current.engine,
            spark_master=current.spark_master,
            spark_executor_memory=current.spark_executor_memory,
            spark_driver_memory=current.spark_driver_memory,
            spark_executor_cores=current.spark_executor_cores,
            lake_catalog=current.lake_catalog,
            lake=str(current.lake),
            spark_exchange=str(current.spark_exchange),
        )

    def lake_tables(self) -> Lake | None:
        """Where the Spark path keeps certified history as Iceberg tables; None on DuckDB."""
        if self.engine != "spark" or not self.lake_catalog:
            return None
        return Lake(self.lake_catalog, Path(self.lake))

    def factory(self) -> EngineFactory:
        """What `certify_batch` opens per batch on the pool's connection."""
        if self.engine == "duckdb":
            return DuckDBEngine
        if self.engine != "spark":
            raise ValueError(f"unknown engine {self.engine!r}; use duckdb or spark")
        from pipelines.certify.spark.engine import SparkEngine
        from pipelines.certify.spark.session import SparkSettings, spark_session

        session = spark_session(
            SparkSettings(
                master=self.spark_master,
                executor_memory=self.spark_executor_memory,
                driver_memory=self.spark_driver_memory,
                executor_cores=self.spark_executor_cores,
            )
        )
        exchange = Path(self.spark_exchange) if self.spark_exchange else None
        return functools.partial(
            SparkEngine, spark=session, lake=self.lake_tables(), exchange=exchange
        )
