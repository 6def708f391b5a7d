"""One reader per delivery format; each fills the staging tables described in `staging`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from contracts.model import Contract, SourceFormat
from pipelines.landing.readers.csv_reader import stage_csv
from pipelines.landing.readers.excel_reader import stage_excel
from pipelines.landing.readers.jsonl_reader import stage_jsonl
from pipelines.landing.readers.parquet_reader import stage_parquet
from pipelines.landing.staging import StageResult

Reader = Callable[[duckdb.DuckDBPyConnection, Path, Contract, Path], StageResult]

READERS: dict[SourceFormat, Reader] = {
    SourceFormat.csv: stage_csv,
    SourceFormat.excel: stage_excel,
    SourceFormat.jsonl: stage_jsonl,
    SourceFormat.parquet: stage_parquet,
}
