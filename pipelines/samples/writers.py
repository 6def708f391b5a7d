"""Streaming writers, one per delivery format, fed one Arrow table (chunk) at a time.

Each writes what a department's export tool writes: Chinese headers (the contract's first
alias), GBK text with CRLF line ends from Windows desktop exports, money with two decimals,
workbooks with a title row above the header, and nothing that changes between runs
(timestamps inside workbooks are pinned), so two runs give byte-identical files.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter

from pipelines.samples.dirt import dirt_counts
from pipelines.samples.places import CITY_NAME
from pipelines.samples.specs import FeedSpec

EXCEL_MAX_ROWS = 1_048_576
EXCEL_EPOCH_OFFSET = 25_569  # Excel serial number of 1970-01-01
EXCEL_SLICE_ROWS = 50_000  # cells become Python objects: convert a slice at a time


@dataclass
class Written:
    path: Path
    rows: int = 0
    dirt: Counter[str] = field(default_factory=Counter)

    def add(self, rows: int, row_dirt: npt.NDArray[np.int8]) -> None:
        self.rows += rows
        self.dirt += dirt_counts(row_dirt)


class FeedWriter(ABC):
    """Writes one delivery of one feed under `folder`, named after the delivery date."""

    def __init__(self, spec: FeedSpec, folder: Path, delivered: date) -> None:
        self.spec = spec
        self.folder = folder
        self.delivered = delivered
        folder.mkdir(parents=True, exist_ok=True)

    def _ordered(self, table: pa.Table) -> pa.Table:
        return table.select(self.spec.column_names)

    @abstractmethod
    def write(self, table: pa.Table, row_dirt: npt.NDArray[np.int8]) -> None:
        """Append rows; `row_dirt` says which damage (if any) each row carries."""

    @abstractmethod
    def close(self) -> list[Written]: ...


def _money(values: pa.Array) -> pa.Array:
    """Fixed two decimals, as finance systems export amounts ("6523.00"); amounts are >= 0."""
    cents = pc.cast(pc.round(pc.multiply(values, 100.0)), pa.int64())
    yuan = pc.divide(cents, 100)  # integer division
    fraction = pc.utf8_lpad(
        pc.cast(pc.subtract(cents, pc.multiply(yuan, 100)), pa.string()), 2, padding="0"
    )
    return pc.binary_join_element_wise(pc.cast(yuan, pa.string()), fraction, ".")


def _as_text(table: pa.Table) -> pa.Table:
    columns = []
    for column in table.columns:
        if pa.types.is_floating(column.type):
            columns.append(_money(column))
        elif not pa.types.is_string(column.type):
            columns.append(pc.cast(column, pa.string()))
        else:
            columns.append(column)
    return pa.table(columns, names=table.column_names)


def _joined_bytes(lines: pa.Array) -> bytes:
    """The concatenated UTF-8 bytes of a string array (its data buffer, sliced)."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if not len(lines):
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :][: len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


class CsvWriter(FeedWriter):
    def __init__(self, spec: FeedSpec, folder: Path, delivered: date) -> None:
        super().__init__(spec, folder, delivered)
        self.encoding = spec.encoding or "utf-8"
        self.eol = "\r\n" if self.encoding == "gbk" else "\n"
        self.written = Written(folder / spec.file_name(delivered))
        self._file: BinaryIO = self.written.path.open("wb")
        self._file.write((",".join(spec.headers) + self.eol).encode(self.encoding))

    def write(self, table: pa.Table, row_dirt: npt.NDArray[np.int8]) -> None:
        sink = pa.BufferOutputStream()
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none", eol=self.eol)
        pa_csv.write_csv(_as_text(self._ordered(table)), sink, options)
        data = sink.getvalue().to_pybytes()
        if self.encoding != "utf-8":
            data = data.decode("utf-8").encode(self.encoding)
        self._file.write(data)
        self.written.add(table.num_rows, row_dirt)

    def close(self) -> list[Written]:
        self._file.close()
        return [self.written]


class JsonlWriter(FeedWriter):
    """One JSON object per line, keys in schema order, built with Arrow string kernels."""

    def __init__(self, spec: FeedSpec, folder: Path, delivered: date) -> None:
        super().__init__(spec, folder, delivered)
        self.written = Written(folder / spec.file_name(delivered))
        self._file: BinaryIO = self.written.path.open("wb")

    def write(self, table: pa.Table, row_dirt: npt.NDArray[np.int8]) -> None:
        fields = []
        for header, column in zip(self.spec.headers, self._ordered(table).columns, strict=True):
            if pa.types.is_string(column.type):
                escaped = pc.replace_substring(
                    pc.replace_substring(column, "\\", "\\\\"), '"', '\\"'
                )
                value = pc.binary_join_element_wise('"', escaped, '"', "")
            else:
                value = pc.cast(column, pa.string())
            key = json.dumps(header, ensure_ascii=False) + ":"
            fields.append(pc.binary_join_element_wise(key, pc.fill_null(value, "null"), ""))
        body = pc.binary_join_element_wise(*fields, ",")
        self._file.write(_joined_bytes(pc.binary_join_element_wise("{", body, "}\n", "")))
        self.written.add(table.num_rows, row_dirt)

    def close(self) -> list[Written]:
        self._file.close()
        return [self.written]


class ParquetWriter(FeedWriter):
    def __init__(self, spec: FeedSpec, folder: Path, delivered: date) -> None:
        super().__init__(spec, folder, delivered)
        self.written = Written(folder / spec.file_name(delivered))
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table, row_dirt: npt.NDArray[np.int8]) -> None:
        table = self._ordered(table).rename_columns(self.spec.headers)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.written.path, table.schema, compression="zstd")
        self._writer.write_table(table)
        self.written.add(table.num_rows, row_dirt)

    def close(self) -> list[Written]:
        if self._writer is None:
            raise ValueError(f"no rows were written to {self.written.path.name}")
        self._writer.close()
        return [self.written]


class ExcelWriter(FeedWriter):
    """Workbooks with a title row, then the header, then data; a new workbook (`_partN`)
    whenever a sheet would pass Excel's 1,048,576 rows."""

    def __init__(
        self, spec: FeedSpec, folder: Path, delivered: date, max_rows: int = EXCEL_MAX_ROWS
    ) -> None:
        super().__init__(spec, folder, delivered)
        self.capacity = max_rows - 2
        self.written: list[Written] = []
        self._book: xlsxwriter.Workbook | None = None
        self._row = 0

    @property
    def title(self) -> str:
        d = self.delivered
        return (
            f"{CITY_NAME}{self.spec.department_name}{self.spec.name}"
            f"（截至{d.year}年{d.month}月{d.day}日）"
        )

    def _open(self) -> None:
        path = self.folder / self.spec.file_name(self.delivered, len(self.written) + 1)
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        book.set_properties({"created": datetime.combine(self.delivered, datetime.min.time())})
        sheet = book.add_worksheet("Sheet1")
        self._formats = {
            "title": book.add_format({"bold": True, "font_size": 14, "align": "center"}),
            "header": book.add_format({"bold": True, "border": 1, "align": "center"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "money": book.add_format({"num_format": "0.00"}),
        }
        for c, column in enumerate(self.spec.columns):
            sheet.set_column(c, c, 24 if column.key_role or column.type == "date" else 16)
        sheet.merge_range(0, 0, 0, len(self.spec.columns) - 1, self.title, self._formats["title"])
        for c, header in enumerate(self.spec.headers):
            sheet.write_string(1, c, header, self._formats["header"])
        self._book, self._sheet, self._row = book, sheet, 0
        self.written.append(Written(path))

    def write(self, table: pa.Table, row_dirt: npt.NDArray[np.int8]) -> None:
        table = self._ordered(table)
        start = 0
        while start < table.num_rows:
            if self._book is None or self._row >= self.capacity:
                self._close_book()
                self._open()
            count = min(self.capacity - self._row, table.num_rows - start, EXCEL_SLICE_ROWS)
            self._write_rows(table.slice(start, count))
            self.written[-1].add(count, row_dirt[start : start + count])
            start += count

    def _write_rows(self, table: pa.Table) -> None:
        writers = []
        for spec, column in zip(self.spec.columns, table.columns, strict=True):
            if spec.type == "date":
                parsed = pc.strptime(column, format="%Y-%m-%d", unit="s", error_is_null=True)
                days = pc.cast(pc.cast(parsed, pa.date32()), pa.int32())
                serial = pc.add(pc.cast(days, pa.float64()), float(EXCEL_EPOCH_OFFSET))
                writers.append(("date", serial.to_pylist(), column.to_pylist()))
            elif pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
                kind = "money" if pa.types.is_floating(column.type) else "number"
                writers.append((kind, column.to_pylist(), None))
            else:
                writers.append(("text", column.to_pylist(), None))
        sheet = self._sheet
        write_string, write_number = sheet.write_string, sheet.write_number
        date_format, money_format = self._formats["date"], self._formats["money"]
        first = self._row + 2
        for r in range(table.num_rows):
            row = first + r
            for c, (kind, values, text) in enumerate(writers):
                value = values[r]
                if kind == "text":
                    if value is not None:
                        write_string(row, c, value)
                elif kind == "date":
                    if value is not None:
                        write_number(row, c, value, date_format)
                    elif text is not None and text[r] is not None:
                        write_string(row, c, text[r])  # not a date Excel can hold: as typed
                elif value is not None:
                    write_number(row, c, value, money_format if kind == "money" else None)
        self._row += table.num_rows

    def _close_book(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None

    def close(self) -> list[Written]:
        if self._book is None and not self.written:
            self._open()
        self._close_book()
        return self.written


WRITERS: dict[str, type[FeedWriter]] = {
    "csv": CsvWriter, "jsonl": JsonlWriter, "parquet": ParquetWriter, "excel": ExcelWriter,
}  # fmt: skip


def open_writer(spec: FeedSpec, folder: Path, delivered: date) -> FeedWriter:
    return WRITERS[spec.format](spec, folder, delivered)
