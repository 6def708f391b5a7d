"""Small department files written the way departments send them, for landing tests.

Rows are built from a handful of known people so that every expected count is obvious.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from contracts.keys.checksums import id_check_char, org_check_char, uscc_check_char


def id_number(region: str = "410102", birth: str = "19900307", sequence: str = "123") -> str:
    body = region + birth + sequence
    return body + id_check_char(body)


def credit_code(region: str = "410100", organisation: str = "MA12345X") -> str:
    org = organisation + org_check_char(organisation)
    body = "91" + region + org
    return body + uscc_check_char(body)


POPULATION_HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "户籍地址"]


def population_rows() -> list[list[str]]:
    """Five residents, each with a different way of writing the ID number."""
    fifteen_digit = "410102" + "850615" + "123"  # legacy number of someone born 1985
    clean = id_number(birth="19850615", sequence="123")
    with_x = next(
        id_number(birth="19770101", sequence=f"{s:03d}")
        for s in range(1, 999)
        if id_number(birth="19770101", sequence=f"{s:03d}").endswith("X")
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in id_number(birth="20010203"))
    bad_check = id_number(birth="19660101")[:-1] + (
        "0" if not id_number(birth="19660101").endswith("0") else "1"
    )
    return [
        [clean, "张伟", "男", "1985-06-15", "郑州市中原区建设路1号"],
        [fifteen_digit, "张伟", "男", "1985-06-15", "郑州市中原区建设路1号"],
        [with_x.lower(), "李娜", "女", "1977-01-01", "郑州市中原区桐柏路8号"],
        [full_width, "王芳", "女", "2001-02-03", "郑州市中原区伏牛路3号"],
        [bad_check, "刘洋", "男", "1966-01-01", "郑州市中原区嵩山路5号"],
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_excel(path: Path, header: list[str], rows: list[list[object]], title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Sheet1")
    sheet.write(0, 0, title)
    sheet.write_row(1, 0, header)
    for index, row in enumerate(rows, start=2):
        sheet.write_row(index, 0, row)
    workbook.close()
    return path


def write_jsonl(path: Path, records: list[dict[str, object] | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, columns: dict[str, list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path
