"""Bulk edit through CSV and Excel: a round trip changes nothing, a dry run lists every change
and every error (row, column, reason) and writes nothing, and one bad row blocks the lot."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import xlsxwriter

from directory.entries import VersionKind
from directory.store import Directory
from directory.tabular import COLUMNS, TableFormat, export_table
from directory.tabular_import import import_table, read_table
from tests.directory.fixtures import ADMIN, entry, steward

HEADER = [c.header for c in COLUMNS]


def column(name: str) -> int:
    return HEADER.index(name)


@pytest.fixture
def catalogue(directory: Directory) -> Directory:
    directory.entries.create(entry(), ADMIN, "t")
    directory.entries.create(entry("302009/000002", name="药品经营许可信息"), ADMIN, "t")
    return directory


def write_csv(path: Path, table: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(table)
    return path


def write_xlsx(path: Path, table: list[list[str]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            # Numbers typed in Excel come back as numbers; the reader must cope.
            if value.isdigit() and HEADER[c] in ("版本", "数据长度"):
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return path


def versions(directory: Directory) -> dict[str, int]:
    return {v.code: v.version for v in directory.entries.all()}


@pytest.mark.parametrize("fmt", [TableFormat.csv, TableFormat.xlsx])
def test_round_trip_changes_nothing(catalogue: Directory, tmp_path: Path, fmt: TableFormat) -> None:
    path = tmp_path / f"catalogue.{fmt.value}"
    assert export_table(catalogue.entries.all(), path, fmt) == 6
    table = read_table(path)
    assert table[0] == HEADER
    assert table[1][column("共享类型")] == "有条件共享" and table[1][column("数据类型")] == "字符型"
    report = import_table(catalogue.db, path, ADMIN, "round trip", dry_run=False)
    assert (report.changes, report.errors, report.unchanged, report.applied) == ([], [], 2, False)
    assert versions(catalogue) == {"302009/000001": 1, "302009/000002": 1}


@pytest.mark.parametrize("fmt", [TableFormat.csv, TableFormat.xlsx])
def test_dry_run_lists_changes_then_import_writes_them(
    catalogue: Directory, tmp_path: Path, fmt: TableFormat
) -> None:
    exported = tmp_path / f"export.{fmt.value}"
    export_table(catalogue.entries.all(), exported, fmt)
    table = read_table(exported)
    for row in table[1:4]:  # the three rows of the first entry
        row[column("信息资源摘要")] = "批量修改后的摘要"
    table[2][column("数据长度")] = "32"
    table[5][column("共享方式")] = "接口;文件"  # the second entry's last row... and its others
    table[4][column("共享方式")] = "接口;文件"
    table[6][column("共享方式")] = "api;file"  # codes are accepted as well as labels
    new_entry = list(table[1])
    new_entry[column("信息资源代码")] = "302009/000003"
    new_entry[column("信息资源名称")] = "特种设备使用登记信息"
    new_entry[column("版本")] = ""
    table.append(new_entry)
    edited = tmp_path / f"edited.{fmt.value}"
    (write_csv if fmt is TableFormat.csv else write_xlsx)(edited, table)

    dry = import_table(catalogue.db, edited, steward("mr"), "批量整理", dry_run=True)
    assert dry.errors == [] and not dry.applied
    assert [(c.code, c.action, c.row) for c in dry.changes] == [
        ("302009/000001", "update", 2),
        ("302009/000002", "update", 5),
        ("302009/000003", "create", 8),
    ]
    assert {(c.field, c.after) for c in dry.changes[0].changes} == {
        ("abstract", "批量修改后的摘要"),
        ("data_items[licence_no].length", 32),
    }
    assert [(c.field, c.after) for c in dry.changes[1].changes] == [
        ("sharing_methods", ["api", "file"])
    ]
    assert versions(catalogue) == {"302009/000001": 1, "302009/000002": 1}

    done = import_table(catalogue.db, edited, steward("mr"), "批量整理", dry_run=False)
    assert done.applied and done.errors == []
    assert versions(catalogue) == {"302009/000001": 2, "302009/000002": 2, "302009/000003": 1}
    latest = catalogue.entries.history("302009/000001")[0]
    assert (latest.kind, latest.author, latest.reason) == (
        VersionKind.imported,
        "mr_steward",
        "批量整理",
    )


def test_one_bad_row_writes_nothing_and_every_error_is_listed(
    catalogue: Directory, tmp_path: Path
) -> None:
    exported = tmp_path / "export.csv"
    export_table(catalogue.entries.all(), exported, TableFormat.csv)
    table = read_table(exported)
    table[1][column("信息资源摘要")] = "这个修改是好的"
    table[2][column("信息资源摘要")] = "同一条目却不一致"  # entry columns disagree
    table[3][column("数据类型")] = "长整型"  # unknown item type
    table[4][column("共享类型")] = "部分共享"
    table[5][column("共享类型")] = "部分共享"
    table[6][column("共享类型")] = "部分共享"
    table[4][column("发布日期")] = "2026/13/01"
    table[5][column("发布日期")] = "2026/13/01"
    table[6][column("发布日期")] = "2026/13/01"
    catalogue.entries.patch("302009/000002", {"abstract": "别人刚改过"}, 1, ADMIN, "meanwhile")
    bad = write_csv(tmp_path / "bad.csv", table)

    for dry_run in (True, False):
        report = import_table(catalogue.db, bad, ADMIN, "批量整理", dry_run=dry_run)
        errors = {(e.row, e.column): e.reason for e in report.errors}
        assert "differs from row 2" in errors[(3, "信息资源摘要")]
        assert "use one of: 字符型" in errors[(4, "数据类型")]
        assert "'部分共享' is not a known value" in errors[(5, "共享类型")]
        assert "YYYY-MM-DD" in errors[(5, "发布日期")]
        assert not report.applied
    assert versions(catalogue) == {"302009/000001": 1, "302009/000002": 2}

    # Fix the cells but keep the stale version: the conflict is reported, still nothing written.
    table = read_table(exported)
    table[4][column("信息资源摘要")] = table[5][column("信息资源摘要")] = "晚到的修改"
    table[6][column("信息资源摘要")] = "晚到的修改"
    report = import_table(catalogue.db, write_csv(tmp_path / "stale.csv", table), ADMIN, "x", False)
    assert [(e.row, e.column) for e in report.errors] == [(5, "版本")]
    assert "now at version 2 (saved by test_admin); export again" in report.errors[0].reason


def test_catalogue_rules_are_reported_at_their_cell(catalogue: Directory, tmp_path: Path) -> None:
    exported = tmp_path / "export.csv"
    export_table(catalogue.entries.all(), exported, TableFormat.csv)
    table = read_table(exported)
    for row in table[1:4]:
        row[column("法律依据")] = ""
    table[3][column("数据长度")] = "9999"
    report = import_table(
        catalogue.db, write_csv(tmp_path / "rules.csv", table), ADMIN, "x", dry_run=True
    )
    errors = {(e.row, e.column): e.reason for e in report.errors}
    assert "must cite its legal basis" in errors[(2, "法律依据")]
    assert errors[(4, "数据长度")] == "length 9999 is out of range; use a length from 1 to 4000"


def test_stewards_may_import_a_whole_export_but_change_only_their_own(
    catalogue: Directory, tmp_path: Path
) -> None:
    exported = tmp_path / "export.csv"
    export_table(catalogue.entries.all(), exported, TableFormat.csv)
    untouched = import_table(catalogue.db, exported, steward("ps"), "x", dry_run=True)
    assert untouched.errors == [] and untouched.unchanged == 2
    table = read_table(exported)
    for row in table[4:7]:
        row[column("信息资源摘要")] = "公安改市场监管的条目"
    edited = write_csv(tmp_path / "edited.csv", table)
    report = import_table(catalogue.db, edited, steward("ps"), "x", dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(5, "提供方代码")]
    assert "ps_steward may not edit entries of mr" in report.errors[0].reason


def test_gbk_csv_from_excel_and_unknown_columns(catalogue: Directory, tmp_path: Path) -> None:
    exported = tmp_path / "export.csv"
    export_table(catalogue.entries.all(), exported, TableFormat.csv)
    table = read_table(exported)
    report = import_table(
        catalogue.db, write_csv(tmp_path / "gbk.csv", table, "gbk"), ADMIN, "x", True
    )
    assert report.errors == [] and report.unchanged == 2
    table[0][column("信息资源摘要")] = "简介"
    report = import_table(
        catalogue.db, write_csv(tmp_path / "renamed.csv", table), ADMIN, "x", True
    )
    assert [(e.row, e.column) for e in report.errors] == [(1, "简介"), (1, "信息资源摘要")]


def test_an_unreadable_workbook_is_one_error(catalogue: Directory, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    report = import_table(catalogue.db, broken, ADMIN, "x", dry_run=False)
    assert len(report.errors) == 1 and "cannot read broken.xlsx" in report.errors[0].reason
    assert not report.applied
