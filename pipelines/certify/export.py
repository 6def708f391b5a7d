"""Quarantined rows sent back to the department that owns them, in its own format and headers.

"Who provides, who maintains": the providing department fixes its data at the source, so the
export is a file it can open in the tool it used to produce the delivery, with the rules each
row broke and why, ready to correct and deliver again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from contracts.model import Contract, SourceFormat

RULES_HEADER = "问题规则"
REASONS_HEADER = "问题说明"
SOURCE_HEADERS = ("原文件", "原行号")


def export_quarantine(
    snapshot: Path, contracts: dict[str, Contract], department: str, out: Path
) -> list[tuple[Path, int]]:
    """One file per resource of `department` with open quarantined rows; (path, rows) each."""
    written: list[tuple[Path, int]] = []
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        for contract in contracts.values():
            if contract.department != department:
                continue
            rows = con.execute(
                "SELECT raw, rule_ids, reasons, file_name, row_number FROM quality.quarantine "
                "WHERE contract_id = ? AND status = 'open' ORDER BY file_name, row_number",
                [contract.id],
            ).fetchall()
            if rows:
                written.append((_write(contract, rows, out), len(rows)))
    finally:
        con.close()
    return written


def _headers(contract: Contract) -> list[str]:
    names = [c.aliases[0] if c.aliases else c.name for c in contract.columns]
    return [*names, RULES_HEADER, REASONS_HEADER, *SOURCE_HEADERS]


def _records(contract: Contract, rows: list[tuple[object, ...]]) -> list[list[str]]:
    records = []
    for raw, rule_ids, reasons, file_name, row_number in rows:
        values = json.loads(str(raw))
        records.append(
            [
                *(values.get(c.name) or "" for c in contract.columns),
                "；".join(str(r) for r in rule_ids),  # type: ignore[attr-defined]
                "；".join(str(r) for r in reasons),  # type: ignore[attr-defined]
                str(file_name),
                str(row_number),
            ]
        )
    return records


def _write(contract: Contract, rows: list[tuple[object, ...]], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().strftime("%Y%m%d")
    stem = f"{contract.name}_退回_{stamp}"
    headers, records = _headers(contract), _records(contract, rows)
    match contract.source.format:
        case SourceFormat.csv:
            path = out / f"{stem}.csv"
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows(records)
            encoding = (
                "gbk" if (contract.source.encoding or "").lower() in ("gbk", "gb18030") else "utf-8"
            )
            path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
        case SourceFormat.excel:
            path = out / f"{stem}.xlsx"
            workbook = xlsxwriter.Workbook(str(path))
            sheet = workbook.add_worksheet("退回数据")
            sheet.write_row(0, 0, headers)
            for index, record in enumerate(records, start=1):
                sheet.write_row(index, 0, record)
            workbook.close()
        case SourceFormat.jsonl:
            path = out / f"{stem}.jsonl"
            lines = (
                json.dumps(dict(zip(headers, r, strict=True)), ensure_ascii=False) for r in records
            )
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        case SourceFormat.parquet:
            path = out / f"{stem}.parquet"
            table = {h: [r[i] for r in records] for i, h in enumerate(headers)}
            pq.write_table(pa.table(table), path)
    return path
