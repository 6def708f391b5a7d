"""The workbook a bulk prefill answers with: a row per applicant, in the order of the list.

Each row carries what a single prefill gives (`POST /v1/prefill`): every form field's value,
and beside it where it came from (resource and providing department), the batch and when it
was certified; then the refusals and why, and the outcome the audit entry of that row
records. xlsxwriter's constant-memory mode writes each row to disk as it is finished, so a
list of tens of thousands of applicants is never held whole; every cell is text, so an ID
number is never turned into a rounded number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter

from api.exchange.answers import Prefill
from directory.service_model import ServiceItemView

FIXED = ("行号 row", "证件号码 key", "办件编号 case", "结果 outcome")
PER_FIELD = ("", "·来源 source", "·批次 batch", "·认证时间 certified")
TRAILING = ("免交材料 materials saved", "拒绝代码 refusal", "原因 why")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


class PrefillWorkbook:
    """A bulk prefill's answer, written row by row."""

    def __init__(self, path: Path, service_item: ServiceItemView, snapshot_version: int) -> None:
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self._sheet = self._book.add_worksheet("预填 prefill")
        self._fields = [f.name for f in service_item.mapping.form_fields]
        self._item = service_item
        self._version = snapshot_version
        bold = self._book.add_format({"bold": True})
        header = list(FIXED)
        for name in self._fields:
            header += [f"{name}{suffix}" for suffix in PER_FIELD]
        header += TRAILING
        self._sheet.write_row(0, 0, header, bold)
        self._sheet.freeze_panes(1, 4)
        self._row = 0
        self.counts: dict[str, int] = {"served": 0, "partial": 0, "refused": 0}

    def prefilled(self, row: int, key: str, case_no: str, outcome: str, answer: Prefill) -> None:
        """An applicant prefilled (fully, partly, or with nothing readable)."""
        cells = [str(row), key, case_no, outcome]
        by_field = {f.field: f for f in answer.fields}
        missing = []
        for name in self._fields:
            field = by_field.get(name)
            provenance = field.provenance if field else None
            if field is None or provenance is None:
                cells += ["", "", "", ""]
                if field is not None and field.missing_reason:
                    missing.append(f"{name}: {field.missing_reason}")
                continue
            department = provenance.department_name or provenance.department
            cells += [
                _text(field.value),
                f"{provenance.resource_name}（{department}）",
                provenance.batch,
                _text(provenance.certified_at),
            ]
        refusals = [f"{r.resource}: {r.reason}" for r in answer.refused]
        codes = sorted({r.code for r in answer.refused})
        saved = sum(m.no_longer_needed for m in answer.materials)
        cells += [str(saved), ",".join(codes), "; ".join(refusals + missing)]
        self._write(cells, outcome)

    def refused(self, row: int, key: str, case_no: str, code: str, reason: str) -> None:
        """An applicant refused before anything was read (bad key, case number, ...)."""
        cells = [str(row), key, case_no, "refused"]
        cells += [""] * (len(self._fields) * len(PER_FIELD))
        cells += ["0", code, reason]
        self._write(cells, "refused")

    def _write(self, cells: list[str], outcome: str) -> None:
        self._row += 1
        for column, text in enumerate(cells):
            self._sheet.write_string(self._row, column, text)
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def close(self, user: str) -> None:
        """Finish the book with a sheet saying what it is, then write it out."""
        about = self._book.add_worksheet("说明 about")
        lines = [
            ("事项 service item", f"{self._item.item.code} {self._item.item.name}"),
            ("快照版本 snapshot", str(self._version)),
            ("经办人 clerk", user),
            ("生成时间 made", dt.datetime.now().astimezone().isoformat(timespec="seconds")),
            ("申请人 applicants", str(self._row)),
            *((f"结果 {k}", str(v)) for k, v in sorted(self.counts.items())),
        ]
        for n, (label, value) in enumerate(lines):
            about.write_string(n, 0, label)
            about.write_string(n, 1, value)
        self._book.close()
