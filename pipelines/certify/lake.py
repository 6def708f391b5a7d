"""Certified history as Apache Iceberg tables: Parquet partitioned by region, committed whole.

On the Spark path each resource's certified history is also kept as an Iceberg table
(``certified.<resource>``) in a SQL catalog (pyiceberg's: SQLite by default, PostgreSQL by
URL in production), its Parquet files under the lake folder, partitioned by the region shard
(``contracts.shards``) in a `_region` column. After each certification the pool writes the
certified regions' files from its history (:meth:`Lake.commit_history`); they become part of
the table only when this module commits them, in one catalog transaction per region that also
drops the region's previous files. A run killed before the commit leaves files no snapshot
names: readers, who read what the table's current snapshot lists, see the table as it was.
(Spark's own Iceberg runtime is a jar fetched at run time, which an offline cluster cannot
do; committing from Python needs none.)

Each region's commit also records, as a table property, the fingerprint of the region's
history in the pool it was written from (:func:`region_fingerprints`). A lake commit that
failed after the pool committed leaves the region's fingerprint behind the pool's; publishing
then serves that region from the pool and says so, rather than serve a stale region, until
the region's next commit rewrites it whole.

Every engine reads the same files: DuckDB through ``read_parquet`` over the data files the
table's scan plan lists (:meth:`Lake.read_sql`; its iceberg extension is a download too),
Spark by reading those Parquet files, Trino through the same catalog. Files are only ever
added or dropped whole (no delete files), so the listed files are exactly the table's rows.
"""

from __future__ import annotations

import functools
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from contracts.model import Contract
from pipelines.duckdb_sql import quote_identifier, quote_literal
from snapshot.tables import history_columns

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

NAMESPACE = "certified"
REGION = "_region"  # the partition column: the record's region shard
STAGING = "data"
FINGERPRINT = "onceonly.fingerprint."  # + region: the pool's history the region was written from
ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
}


def history_schema(contract: Contract) -> pa.Schema:
    """The lake table's columns: the history table's (``snapshot.tables``), then `_region`."""
    fields = [pa.field(name, ARROW_TYPES[t]) for name, t in history_columns(contract).items()]
    return pa.schema([*fields, pa.field(REGION, pa.string())])


@functools.cache
def _catalog(url: str, warehouse: str) -> Catalog:
    from pyiceberg.catalog.sql import SqlCatalog

    Path(warehouse).mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog("onceonly", uri=url, warehouse=Path(warehouse).resolve().as_uri())
    catalog.create_namespace_if_not_exists(NAMESPACE)
    return catalog


@dataclass(frozen=True)
class Lake:
    """The Iceberg catalog at `catalog_url` and the folder its tables' files live in."""

    catalog_url: str
    warehouse: Path

    @property
    def catalog(self) -> Catalog:
        return _catalog(self.catalog_url, str(self.warehouse))

    def table(self, contract: Contract) -> Table | None:
        """`contract`'s history table, None while nothing was committed to the lake."""
        identifier = (NAMESPACE, contract.id)
        return (
            self.catalog.load_table(identifier) if self.catalog.table_exists(identifier) else None
        )

    def ensure_table(self, contract: Contract) -> Table:
        """`contract`'s history table, created (partitioned by `_region`) where missing."""
        table = self.table(contract)
        if table is not None:
            return table
        table = self.catalog.create_table_if_not_exists(
            (NAMESPACE, contract.id), schema=history_schema(contract)
        )
        if not table.spec().fields:
            with table.update_spec() as spec:
                spec.add_identity(REGION)
        return self.catalog.load_table((NAMESPACE, contract.id))

    def staging(self, contract: Contract) -> Path:
        """A new folder for one write's files, a subfolder per region (never reused, so a
        killed writer's files are never mistaken for another's)."""
        return self.warehouse / NAMESPACE / contract.id / STAGING / uuid.uuid4().hex

    def commit_region(
        self, contract: Contract, region: str, files: list[str], fingerprint: str
    ) -> None:
        """Make `files` the rows of `region`, atomically: one catalog commit drops the
        region's previous files, adds these (each file holds one region only) and records
        `fingerprint`, that of the pool's history they were written from."""
        if not region.isdigit():
            raise ValueError(f"a region shard is digits, got {region!r}")
        table = self.ensure_table(contract)
        with table.transaction() as transaction, warnings.catch_warnings():
            # A region's first commit has nothing to drop; pyiceberg warns about it.
            warnings.filterwarnings("ignore", "Delete operation did not match any records")
            transaction.delete(f"{REGION} = '{region}'")
            if files:
                transaction.add_files(files)
            transaction.set_properties({FINGERPRINT + region: fingerprint})

    def commit_history(
        self,
        con: duckdb.DuckDBPyConnection,
        contract: Contract,
        table: str,
        region: str,
        shard: str | None,
    ) -> None:
        """Make the pool's history `table` of `shard` (None: of every region; `region`: the SQL
        of a row's region shard) the lake's rows, one commit per region.

        DuckDB writes every region's files in one pass over the table (Parquet partitioned by
        region, the `_region` column kept in each file): the pool holds the history the next
        batch merges with, so the files are written from it directly rather than sent to
        Spark to be written again. A shard without certified rows (every row quarantined, say)
        commits no files, which drops any the region had."""
        folder = self.staging(contract).resolve()
        folder.parent.mkdir(parents=True, exist_ok=True)
        names = ", ".join(
            quote_identifier(c) for c in history_schema(contract).names if c != REGION
        )
        where = "" if shard is None else f" WHERE {region} = {quote_literal(shard)}"
        con.execute(
            f"COPY (SELECT {names}, {region} AS {REGION} FROM {table}{where}) "
            f"TO {quote_literal(str(folder))} "
            f"(FORMAT parquet, PARTITION_BY ({REGION}), WRITE_PARTITION_COLUMNS true)"
        )
        written: dict[str, list[str]] = {}
        for part in sorted(folder.glob(f"{REGION}=*")):
            # A plain folder per region: readers given the files (DuckDB, Spark) would take a
            # `_region=11` folder for a partition to decode, as a number or as a URI escape.
            each = part.name.removeprefix(f"{REGION}=")
            part = part.rename(folder / each)
            written[each] = sorted(str(f) for f in part.glob("*.parquet"))
        fingerprints = region_fingerprints(con, table, region, shard)
        for each in [shard] if shard is not None else sorted(written):
            self.commit_region(contract, each, written.get(each, []), fingerprints.get(each, ""))

    def fingerprints(self, contract: Contract) -> dict[str, str]:
        """Per region, the fingerprint its last commit recorded."""
        table = self.table(contract)
        if table is None:
            return {}
        return {
            key.removeprefix(FINGERPRINT): value
            for key, value in table.properties.items()
            if key.startswith(FINGERPRINT)
        }

    def data_files(self, contract: Contract) -> list[str]:
        """The Parquet files of the table's current snapshot (its scan plan)."""
        table = self.table(contract)
        if table is None:
            return []
        return sorted(task.file.file_path for task in table.scan().plan_files())

    def read_sql(self, contract: Contract) -> str | None:
        """A DuckDB SELECT of the table's rows (history columns, `_region` last) from its data
        files; None when the table has none."""
        files = self.data_files(contract)
        if not files:
            return None
        columns = ", ".join(quote_identifier(c) for c in history_schema(contract).names)
        listed = ", ".join(quote_literal(_local(f)) for f in files)
        return f"SELECT {columns} FROM read_parquet([{listed}], hive_partitioning = false)"


def region_fingerprints(
    con: duckdb.DuckDBPyConnection, table: str, region: str, only: str | None = None
) -> dict[str, str]:
    """Per region of the history `table` on `con` (`region`: the SQL of a row's region shard;
    `only`: that region alone), a fingerprint of its history: rows, closed versions and the
    latest validity bounds. Every merge that changes a region adds or closes a version, so the
    fingerprint changes with it."""
    where = "" if only is None else f" WHERE {region} = {quote_literal(only)}"
    rows = con.execute(
        f"SELECT {region}, concat_ws('/', count(*), count(_valid_to), "
        f"max(_valid_from)::VARCHAR, coalesce(max(_valid_to)::VARCHAR, '')) "
        f"FROM {table}{where} GROUP BY 1"
    ).fetchall()
    return {str(r): str(f) for r, f in rows}


def _local(path: str) -> str:
    return path.removeprefix("file://")
