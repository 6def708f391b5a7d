"""Bulk editing, the way back: a catalogue sheet (CSV or Excel) read, checked and applied.

Importing checks every cell and every entry first and returns every change and every error
(row, column, reason); it writes only when there are no errors, all entries in one
transaction, each as a new version.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import labels, lifecycle
from directory.actors import Actor
from directory.db import Database
from directory.diff import FieldChange, diff
from directory.entries import VersionKind, write_new, write_version
from directory.errors import ValidationFailed
from directory.model import Status
from directory.tables import Entry
from directory.tabular import COLUMNS, COLUMNS_BY_NAME, LIST_SPLIT, Column, Kind
from directory.validation import check_entry, parse_entry


@dataclass(frozen=True)
class CellError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    reason: str


@dataclass(frozen=True)
class PlannedChange:
    code: str
    action: str  # create | update
    row: int
    changes: list[FieldChange]


@dataclass
class ImportReport:
    changes: list[PlannedChange] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False


# ---- reading ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return labels.YES if value else labels.NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_table(path: Path) -> list[list[str]]:
    """Every row as text: Excel's numbers and dates, CSV in UTF-8 or GBK (Excel's "CSV")."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return [[_text(v) for v in row] for row in sheet.to_python()]
    return _csv_rows(path.read_bytes())


def read_upload(data: bytes) -> list[list[str]]:
    """An uploaded sheet, whose name may say anything: a zip (an Excel workbook) is read as
    Excel, anything else as CSV."""
    if data.startswith(b"PK\x03\x04"):
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        return [[_text(v) for v in row] for row in sheet.to_python()]
    return _csv_rows(data)


def _csv_rows(raw: bytes) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return [[_text(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""))]


# ---- import -------------------------------------------------------------------------------


@dataclass
class _Group:
    code: str
    first_row: int
    entry_cells: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # key -> cells
    item_rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _typed(column: Column, text: str) -> tuple[Any, str]:
    """(value, "") or (None, reason)."""
    kind = column.kind
    if kind is Kind.text:
        return text, ""
    if not text:
        if kind is Kind.boolean:
            return False, ""
        if kind in (Kind.choices, Kind.codes):
            return [], ""
        return None, ""
    if kind is Kind.optional_text:
        return text, ""
    if kind is Kind.optional_integer:
        return (int(text), "") if re.fullmatch(r"\d+", text) else (None, "not a whole number")
    if kind is Kind.date:
        try:
            return dt.date.fromisoformat(text), ""
        except ValueError:
            return None, "not a date; write it as YYYY-MM-DD"
    if kind is Kind.boolean:
        if text in (labels.YES, "true", "TRUE", "1"):
            return True, ""
        if text in (labels.NO, "false", "FALSE", "0"):
            return False, ""
        return None, f"use {labels.YES} or {labels.NO}"
    if kind is Kind.codes:
        return [c for c in LIST_SPLIT.split(text) if c], ""
    assert column.enum is not None
    parts = LIST_SPLIT.split(text) if kind is Kind.choices else [text]
    parsed = [labels.parse(column.enum, p) for p in parts if p]
    if any(p is None for p in parsed):
        return None, f"{text!r} is not a known value; use one of: " + ", ".join(
            labels.choices(column.enum)
        )
    values = [p.value for p in parsed if p is not None]
    return (values if kind is Kind.choices else values[0]), ""


def _groups(table: list[list[str]], errors: list[CellError]) -> list[_Group]:
    header = table[0] if table else []
    columns = []
    for name in header:
        column = COLUMNS_BY_NAME.get(name.strip())
        if column is None and name.strip():
            errors.append(CellError(1, name, "unknown column; keep the exported headers unchanged"))
        columns.append(column)
    missing = [c.header for c in COLUMNS if c not in columns]
    if missing:
        errors.append(
            CellError(1, ", ".join(missing), "missing columns; export again and edit that file")
        )
        return []
    groups: dict[str, _Group] = {}
    for number, row in enumerate(table[1:], start=2):
        cells = {c.key: (row[i] if i < len(row) else "") for i, c in enumerate(columns) if c}
        if not any(cells.values()):
            continue
        code = cells["code"]
        if not code:
            errors.append(CellError(number, "信息资源代码", "empty; every row names its entry"))
            continue
        group = groups.setdefault(code, _Group(code, number))
        for key, text in cells.items():
            if not key.startswith("item."):
                group.entry_cells.setdefault(key, []).append((number, text))
        group.item_rows.append(
            (number, {k[5:]: v for k, v in cells.items() if k.startswith("item.")})
        )
    return list(groups.values())


def _document(group: _Group, errors: list[CellError]) -> tuple[dict[str, Any], int | None]:
    document: dict[str, Any] = {"classification": {}, "data_items": []}
    version = None
    for key, cells in group.entry_cells.items():
        column = COLUMNS_BY_NAME[key]
        typed = [(row, *_typed(column, text)) for row, text in cells]
        bad = [CellError(row, column.header, reason) for row, _, reason in typed if reason]
        errors.extend(bad)
        if bad:
            continue
        first_row, value, _ = typed[0]
        errors.extend(
            CellError(
                row,
                column.header,
                f"differs from row {first_row} of the same entry; an entry's columns must be "
                "the same on all its rows",
            )
            for row, other, _ in typed[1:]
            if other != value
        )
        if key == "version":
            version = value
        elif key.startswith("classification."):
            document["classification"][key.split(".", 1)[1]] = value
        else:
            document[key] = value
    for row, item_cells in group.item_rows:
        item: dict[str, Any] = {}
        for name, text in item_cells.items():
            column = COLUMNS_BY_NAME[f"item.{name}"]
            value, reason = _typed(column, text)
            if reason:
                errors.append(CellError(row, column.header, reason))
            else:
                item[name] = value
        document["data_items"].append(item)
    return document, version


def _cell_of(group: _Group, path: str) -> tuple[int, str]:
    """Where a problem's field path lives in the sheet."""
    match = re.match(r"data_items\[(\d+)\](?:\.(\w+))?", path)
    if match:
        index = int(match.group(1))
        row = group.item_rows[index][0] if index < len(group.item_rows) else group.first_row
        return row, COLUMNS_BY_NAME[f"item.{match.group(2) or 'name'}"].header
    key = re.sub(r"\[\d+\]$", "", path)
    if key == "data_items":
        key = "item.name"
    column = COLUMNS_BY_NAME.get(key)
    return group.first_row, column.header if column else path


Planned = tuple[PlannedChange, dict[str, Any], int | None]


def _plan(
    session: Session, table: list[list[str]], actor: Actor, report: ImportReport
) -> list[Planned]:
    """Every change the sheet makes, with every error in `report`; writes nothing."""
    groups = _groups(table, report.errors)
    in_file = {g.code for g in groups}
    current = {
        row.code: row for row in session.scalars(select(Entry).where(Entry.code.in_(in_file)))
    }

    def exists(code: str) -> bool:
        return code in in_file or session.get(Entry, code) is not None

    planned = [_plan_entry(g, current.get(g.code), exists, actor, report) for g in groups]
    report.changes = [p[0] for p in planned if p is not None]
    return [p for p in planned if p is not None]


def _plan_entry(
    group: _Group,
    existing: Entry | None,
    exists: Callable[[str], bool],
    actor: Actor,
    report: ImportReport,
) -> Planned | None:
    errors = report.errors
    before = len(errors)
    raw, version = _document(group, errors)
    if len(errors) > before:
        return None
    try:
        document = parse_entry(raw)
    except ValidationFailed as failed:
        errors.extend(
            CellError(*_cell_of(group, p.field), f"{p.message}; {p.fix}") for p in failed.problems
        )
        return None
    data = document.as_json()
    if existing is None:
        change = PlannedChange(group.code, "create", group.first_row, diff(None, data))
        if version is not None:
            errors.append(
                CellError(
                    group.first_row,
                    "版本",
                    f"no entry {group.code} in the catalogue; leave 版本 empty to create it",
                )
            )
    else:
        changes = diff(existing.document, data)
        if not changes:  # untouched rows need no permission and cannot conflict
            report.unchanged += 1
            return None
        change = PlannedChange(group.code, "update", group.first_row, changes)
        refused = lifecycle.refusal(Status(existing.status), document.status)
        if refused is not None:
            errors.append(CellError(group.first_row, "状态", f"{refused.message}; {refused.fix}"))
        if version != existing.version:
            errors.append(
                CellError(
                    group.first_row,
                    "版本",
                    f"the sheet has version {version} but the entry is now at version "
                    f"{existing.version} (saved by {existing.updated_by}); export again and "
                    "reapply your edits",
                )
            )
    errors.extend(
        CellError(*_cell_of(group, p.field), f"{p.message}; {p.fix}")
        for p in check_entry(document, exists)
    )
    owners = {document.provider_department, existing.provider_department if existing else ""}
    errors.extend(
        CellError(
            group.first_row,
            "提供方代码",
            f"{actor.name} may not edit entries of {department}; leave this entry out of the "
            "file or ask its steward",
        )
        for department in sorted(owners - {""})
        if not actor.acts_for(department)
    )
    return change, data, version


def import_table(
    db: Database, path: Path, actor: Actor, reason: str, dry_run: bool
) -> ImportReport:
    """Check the sheet; unless `dry_run` or any error, write every change in one transaction."""
    return _import(db, lambda: read_table(path), path.name, actor, reason, dry_run)


def import_upload(
    db: Database, name: str, data: bytes, actor: Actor, reason: str, dry_run: bool
) -> ImportReport:
    """The same as `import_table`, for a sheet uploaded through the API or the console."""
    return _import(db, lambda: read_upload(data), name, actor, reason, dry_run)


def _import(
    db: Database,
    read: Callable[[], list[list[str]]],
    name: str,
    actor: Actor,
    reason: str,
    dry_run: bool,
) -> ImportReport:
    report = ImportReport()
    try:
        table = read()
    except (CalamineError, UnicodeDecodeError, csv.Error) as error:
        report.errors.append(
            CellError(0, "", f"cannot read {name} ({error}); export the sheet again")
        )
        return report
    if not reason.strip():
        report.errors.append(CellError(0, "", "no reason given; say why you import this sheet"))
    if dry_run:
        with db.read() as session:
            _plan(session, table, actor, report)
        return report
    with db.write() as session:
        planned = _plan(session, table, actor, report)
        if report.errors:
            return report
        for change, document, version in planned:
            if change.action == "create":
                write_new(session, document, actor.name, reason, VersionKind.imported)
            else:
                assert version is not None
                write_version(
                    session,
                    change.code,
                    document,
                    version,
                    actor.name,
                    reason,
                    VersionKind.imported,
                )
        report.applied = bool(planned)
    return report
