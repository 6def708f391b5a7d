"""Reading a back office's list of applicants: encodings, title rows, blank rows, and the
file-level refusals that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from api.exchange import bulk_input
from api.exchange.bulk_input import Applicant, FileProblem, check

pytestmark = pytest.mark.sqlite_only  # no directory involved


def test_a_gbk_csv_with_a_title_row_and_blank_rows(tmp_path: Path) -> None:
    listing = tmp_path / "名单.csv"
    text = (
        "个体工商户设立登记 申请人名单,,\n办件编号,备注,身份证号码\n"
        "A-000001,首次,110101199003070011\n,,\nA-000002,,x\n"
    )
    listing.write_bytes(text.encode("gbk"))
    checked = check(listing)
    assert (checked.kind, checked.encoding, checked.rows) == ("csv", "gbk", 2)
    assert list(checked.applicants()) == [
        Applicant(3, "110101199003070011", "A-000001"),
        Applicant(5, "x", "A-000002"),
    ]


def test_an_excel_list_keeps_keys_typed_as_text(tmp_path: Path) -> None:
    listing = tmp_path / "list.xlsx"
    book = xlsxwriter.Workbook(str(listing))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["case_no", "credit_code"])
    sheet.write_row(1, 0, ["B-000001", "91410102MA2ETXJ88A"])
    sheet.write_row(2, 0, ["B-000002", None])
    book.close()
    checked = check(listing)
    assert (checked.kind, checked.rows) == ("excel", 2)
    assert [(a.row, a.subject, a.case_no) for a in checked.applicants()] == [
        (2, "91410102MA2ETXJ88A", "B-000001"),
        (3, "", "B-000002"),  # refused on its own row, not as a file
    ]


def test_a_list_over_the_limit_is_refused_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_input, "MAX_ROWS", 3)
    listing = tmp_path / "big.csv"
    listing.write_text("证件号码,办件编号\n" + "k,c\n" * 4, encoding="utf-8")
    with pytest.raises(FileProblem, match="more than 3 applicants: split it"):
        check(listing)


def test_a_file_whose_text_breaks_after_its_start_is_refused(tmp_path: Path) -> None:
    listing = tmp_path / "mixed.csv"
    start = "证件号码,办件编号\n".encode() + b"110101199003070011,A-000001\n" * 5000
    listing.write_bytes(start + "张三".encode("gbk") + b"\n")  # UTF-8 first, GBK later
    with pytest.raises(FileProblem, match="not UTF-8 text throughout"):
        check(listing)
