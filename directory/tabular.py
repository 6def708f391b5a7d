"""Bulk editing: the catalogue as a CSV file or an Excel workbook, and its columns.

One row per data item, with the entry's own columns repeated on each of its rows, so a sheet
can be filtered and edited in Excel without a second tab. This module defines the columns and
writes the sheet; `directory.tabular_import` reads a sheet back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter

from directory import labels
from directory.entries import EntryView
from directory.model import (
    Classification,
    ItemType,
    ResourceFormat,
    SharingMethod,
    SharingType,
    Status,
    UpdateCycle,
)

LIST_SPLIT = re.compile(r"\s*[;；、,，]\s*")


class Kind(StrEnum):
    text = "text"
    optional_text = "optional_text"
    optional_integer = "optional_integer"
    date = "date"
    boolean = "boolean"
    choice = "choice"
    optional_choice = "optional_choice"
    choices = "choices"
    codes = "codes"


@dataclass(frozen=True)
class Column:
    key: str  # document path; `item.` columns belong to the row's data item
    header: str
    kind: Kind
    enum: type[StrEnum] | None = None

    @property
    def item_level(self) -> bool:
        return self.key.startswith("item.")


COLUMNS = (
    Column("code", "信息资源代码", Kind.text),
    Column("version", "版本", Kind.optional_integer),
    Column("name", "信息资源名称", Kind.text),
    Column("classification.category", "类", Kind.text),
    Column("classification.subcategory", "项", Kind.text),
    Column("classification.group", "目", Kind.text),
    Column("classification.subgroup", "细目", Kind.text),
    Column("provider_department", "提供方代码", Kind.text),
    Column("provider_name", "信息资源提供方", Kind.text),
    Column("abstract", "信息资源摘要", Kind.text),
    Column("format", "信息资源格式", Kind.choice, ResourceFormat),
    Column("sharing_type", "共享类型", Kind.choice, SharingType),
    Column("sharing_condition", "共享条件", Kind.text),
    Column("legal_basis", "法律依据", Kind.text),
    Column("sharing_methods", "共享方式", Kind.choices, SharingMethod),
    Column("open_to_public", "是否向社会开放", Kind.boolean),
    Column("open_condition", "开放条件", Kind.text),
    Column("update_cycle", "更新周期", Kind.choice, UpdateCycle),
    Column("publish_date", "发布日期", Kind.date),
    Column("related_codes", "关联资源代码", Kind.codes),
    Column("status", "状态", Kind.choice, Status),
    Column("replaced_by", "替代资源代码", Kind.optional_text),
    Column("steward", "数据管理员", Kind.text),
    Column("contract_id", "数据契约", Kind.optional_text),
    Column("contract_version", "契约版本", Kind.optional_text),
    Column("item.name", "信息项标识", Kind.text),
    Column("item.label", "信息项名称", Kind.text),
    Column("item.type", "数据类型", Kind.choice, ItemType),
    Column("item.length", "数据长度", Kind.optional_integer),
    Column("item.description", "信息项描述", Kind.text),
    Column("item.classification", "信息项分级", Kind.choice, Classification),
    Column("item.sharing_type", "信息项共享类型", Kind.optional_choice, SharingType),
)
COLUMNS_BY_NAME = {name: c for c in COLUMNS for name in (c.header, c.key)}


class TableFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


# ---- export -------------------------------------------------------------------------------


def _cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind is Kind.boolean:
        return labels.YES if value else labels.NO
    if column.enum is not None and column.kind in (Kind.choice, Kind.optional_choice):
        return labels.label(column.enum(value))
    if column.kind is Kind.choices:
        assert column.enum is not None
        return ";".join(labels.label(column.enum(v)) for v in value)
    if column.kind is Kind.codes:
        return ";".join(value)
    return str(value)


def rows(entries: Sequence[EntryView]) -> Iterator[list[str]]:
    """The header, then one row per data item of every entry."""
    yield [c.header for c in COLUMNS]
    for view in entries:
        document = view.document.as_json()
        document["version"] = view.version
        for item in document["data_items"]:
            yield [
                _cell(c, item.get(c.key[5:]) if c.item_level else _lookup(document, c.key))
                for c in COLUMNS
            ]


def _lookup(document: dict[str, Any], key: str) -> Any:
    value: Any = document
    for part in key.split("."):
        value = value.get(part)
    return value


def export_table(entries: Sequence[EntryView], path: Path, fmt: TableFormat) -> int:
    """Write the sheet; returns the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data, count = table_bytes(entries, fmt)
    path.write_bytes(data)
    return count


def table_bytes(entries: Sequence[EntryView], fmt: TableFormat) -> tuple[bytes, int]:
    """The sheet as a file's bytes, and its number of data rows (for a download)."""
    table = list(rows(entries))
    if fmt is TableFormat.csv:
        # UTF-8 with a BOM: what Excel needs to open Chinese CSV correctly.
        text = io.StringIO(newline="")
        csv.writer(text).writerows(table)
        return text.getvalue().encode("utf-8-sig"), len(table) - 1
    buffer = io.BytesIO()
    _write_xlsx(table, buffer)
    return buffer.getvalue(), len(table) - 1


MEDIA_TYPES = {
    TableFormat.csv: "text/csv; charset=utf-8",
    TableFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _write_xlsx(table: list[list[str]], target: BinaryIO) -> None:
    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    sheet = workbook.add_worksheet("目录")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value, bold if r == 0 else None)
    last = max(len(table) - 1, 1)
    for c, column in enumerate(COLUMNS):
        sheet.set_column(c, c, max(10, min(40, len(column.header) * 2 + 4)))
        if column.enum is not None and column.kind is not Kind.choices:
            # A drop-down of the labels, so hand edits stay inside the vocabulary.
            sheet.data_validation(
                1, c, last, c, {"validate": "list", "source": labels.choices(column.enum)}
            )
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, last, len(COLUMNS) - 1)
    workbook.close()
