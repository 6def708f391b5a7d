"""Quarantined rows sent back to the department that owns them, in its own format and headers.

"Who provides, who maintains": the providing department fixes its data at the source, so the
returned file is one it can open in the tool it used to produce the delivery, with the rules
each row broke and why, ready to correct and deliver again. It lives with the contracts because
the contract is what knows the department's format, encoding and header names; the rows come
from the published snapshot, read by its readers (the CLI writes the file to disk, the API
hands it to a steward's browser).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from contracts.model import Contract, SourceFormat

RULES_HEADER = "问题规则"
REASONS_HEADER = "问题说明"
SOURCE_HEADERS = ("原文件", "原行号")
QuarantinedRow = tuple[object, Sequence[object], Sequence[object], object, object]


@dataclass(frozen=True)
class ReturnedFile:
    name: str
    media_type: str
    content: bytes


def returned_file(contract: Contract, rows: Sequence[QuarantinedRow]) -> ReturnedFile:
    """The rows (delivered text as JSON, rule ids, reasons, file name, row number) in the
    format the department delivers."""
    stem = f"{contract.name}_退回_{dt.date.today():%Y%m%d}"
    headers, records = _headers(contract), _records(contract, rows)
    match contract.source.format:
        case SourceFormat.csv:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows(records)
            gbk = (contract.source.encoding or "").lower() in ("gbk", "gb18030")
            encoding = "gbk" if gbk else "utf-8"
            return ReturnedFile(
                f"{stem}.csv",
                f"text/csv; charset={encoding}",
                buffer.getvalue().encode(encoding, errors="replace"),
            )
        case SourceFormat.excel:
            binary = io.BytesIO()
            workbook = xlsxwriter.Workbook(binary, {"in_memory": True})
            sheet = workbook.add_worksheet("退回数据")
            sheet.write_row(0, 0, headers)
            for index, record in enumerate(records, start=1):
                sheet.write_row(index, 0, record)
            workbook.close()
            return ReturnedFile(
                f"{stem}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                binary.getvalue(),
            )
        case SourceFormat.jsonl:
            lines = (
                json.dumps(dict(zip(headers, r, strict=True)), ensure_ascii=False) for r in records
            )
            text = "\n".join(lines) + "\n"
            return ReturnedFile(f"{stem}.jsonl", "application/jsonl", text.encode("utf-8"))
        case SourceFormat.parquet:
            sink = pa.BufferOutputStream()
            table = {h: [r[i] for r in records] for i, h in enumerate(headers)}
            pq.write_table(pa.table(table), sink)
            return ReturnedFile(
                f"{stem}.parquet", "application/vnd.apache.parquet", sink.getvalue().to_pybytes()
            )


def _headers(contract: Contract) -> list[str]:
    names = [c.aliases[0] if c.aliases else c.name for c in contract.columns]
    return [*names, RULES_HEADER, REASONS_HEADER, *SOURCE_HEADERS]


def _records(contract: Contract, rows: Sequence[QuarantinedRow]) -> list[list[str]]:
    records = []
    for raw, rule_ids, reasons, file_name, row_number in rows:
        values = json.loads(str(raw))
        records.append(
            [
                *(values.get(c.name) or "" for c in contract.columns),
                "；".join(str(r) for r in rule_ids),
                "；".join(str(r) for r in reasons),
                str(file_name),
                str(row_number),
            ]
        )
    return records
