"""A delivered file is read by what it is, not by its name, and only in a format its contract
accepts; a file of another format is refused saying what was expected."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from contracts.registry import bundled_contracts
from pipelines.landing.errors import LandingError
from pipelines.landing.files import LandingFile, discover
from pipelines.landing.loader import LandingReport, land_file
from tests.pipelines.landing import feeds

CONTRACTS = bundled_contracts()
INSURANCE_HEADER = ["身份证号码", "姓名", "险种", "参保状态", "参保日期", "缴费基数"]


def insurance_rows() -> list[list[object]]:
    return [
        [feeds.id_number(sequence="123"), "张伟", "失业保险", "参保缴费", "2019-04-01", 6000],
        [feeds.id_number(sequence="124"), "李娜", "工伤保险", "参保缴费", "2020-01-01", 5200],
    ]


def land(pool: Path, path: Path, contract_id: str) -> LandingReport:
    contract = CONTRACTS[contract_id]
    with duckdb.connect(str(pool)) as con:
        return land_file(
            con, LandingFile(path, contract_id, contract.department), contract, pool.parent / "tmp"
        )


def landed_format(pool: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(pool), read_only=True) as con:
        return con.execute("SELECT file_name, format, rows_landed FROM landing.files").fetchall()


@pytest.mark.parametrize(
    "name", ["社会保险参保信息_20261120.xlsx", "社会保险参保信息_20261120.csv"]
)
def test_a_workbook_lands_under_a_contract_that_lists_excel(tmp_path: Path, name: str) -> None:
    """hrss_insurance accepts CSV and Excel: a workbook lands whatever its extension says."""
    assert [f.value for f in CONTRACTS["hrss_insurance"].source.formats] == ["csv", "excel"]
    path = feeds.write_excel(tmp_path / name, INSURANCE_HEADER, insurance_rows(), "参保信息")
    pool = tmp_path / "pool.duckdb"
    report = land(pool, path, "hrss_insurance")
    assert (report.rows_read, report.rows_landed, report.rows_rejected) == (2, 2, 0)
    assert landed_format(pool) == [(name, "excel", 2)]


def test_a_csv_lands_under_the_same_contract(tmp_path: Path) -> None:
    rows = [[str(v) for v in row] for row in insurance_rows()]
    path = feeds.write_csv(tmp_path / "社会保险参保信息_1.csv", INSURANCE_HEADER, rows, "utf-8")
    pool = tmp_path / "pool.duckdb"
    assert land(pool, path, "hrss_insurance").rows_landed == 2
    assert landed_format(pool) == [(path.name, "csv", 2)]


@pytest.mark.parametrize("name", ["人口基本信息_20261120.xlsx", "人口基本信息_20261120.csv"])
def test_a_workbook_under_a_csv_only_contract_is_refused_saying_what_was_expected(
    tmp_path: Path, name: str
) -> None:
    path = feeds.write_excel(
        tmp_path / name, feeds.POPULATION_HEADER, feeds.population_rows(), "人口"
    )
    pool = tmp_path / "pool.duckdb"
    with pytest.raises(LandingError) as raised:
        land(pool, path, "ps_population")
    message = str(raised.value)
    assert message.startswith(f"{name}: the file is an Excel workbook (.xlsx), but its contract")
    assert "expects CSV text (.csv, .txt, .tsv)" in message
    assert "Ask the department to deliver CSV text" in message
    assert "list excel in the contract's source.formats" in message
    assert "UTF-8" not in message and "does not match" not in message


def test_text_under_an_excel_only_contract_is_refused(tmp_path: Path) -> None:
    path = feeds.write_csv(
        tmp_path / "企业登记信息_20261120.xlsx", ["统一社会信用代码"], [["x"]], "utf-8"
    )
    with pytest.raises(LandingError, match=r"is text \(CSV\), but its contract expects an Excel"):
        land(tmp_path / "pool.duckdb", path, "mr_enterprise")


def test_a_zip_archive_is_not_taken_for_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "企业登记信息_20261120.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("企业登记信息.csv", "统一社会信用代码\n")
    with pytest.raises(LandingError, match="a zip archive, not an Excel workbook"):
        land(tmp_path / "pool.duckdb", path, "mr_enterprise")


def test_an_empty_parquet_file_says_it_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "不动产登记信息_20261120.parquet"
    path.write_bytes(b"")
    with pytest.raises(LandingError) as raised:
        land(tmp_path / "pool.duckdb", path, "nr_real_estate")
    assert str(raised.value) == (
        "不动产登记信息_20261120.parquet: the file is empty (0 bytes). "
        "Ask the department to deliver it again"
    )


def test_json_lines_are_told_from_csv_by_their_content(tmp_path: Path) -> None:
    """A JSON-lines file named .csv is JSON to the reader, and refused by a CSV contract."""
    path = feeds.write_jsonl(tmp_path / "人口基本信息_1.csv", [{"公民身份号码": feeds.id_number()}])
    with pytest.raises(LandingError, match="the file is JSON lines, but its contract expects CSV"):
        land(tmp_path / "pool.duckdb", path, "ps_population")


def test_any_data_file_extension_is_picked_up_and_others_are_not(tmp_path: Path) -> None:
    drop = tmp_path / "ps" / "ps_population"
    drop.mkdir(parents=True)
    for name in (
        "人口基本信息_1.csv",
        "人口基本信息_2.xlsx",
        "人口基本信息_3.CSV",
        "人口基本信息_4.csv.part",
        "户口_5.csv",
    ):
        (drop / name).write_bytes(b"x")
    found, unrecognised = discover(tmp_path, CONTRACTS)
    assert sorted(f.path.name for f in found) == [
        "人口基本信息_1.csv",
        "人口基本信息_2.xlsx",
        "人口基本信息_3.CSV",
    ]
    reasons = {u.path.name: u.reason for u in unrecognised}
    assert set(reasons) == {"人口基本信息_4.csv.part", "户口_5.csv"}
    assert "rename the file to match" in reasons["户口_5.csv"]


def test_a_file_without_its_header_row_names_no_number_in_the_error(tmp_path: Path) -> None:
    """The first data row stands where the header should be; the message (which the run log
    and the ingest summary repeat) quotes it with the ID number hidden."""
    rows = feeds.population_rows()
    path = feeds.write_csv(tmp_path / "人口基本信息_1.csv", rows[0], rows[1:], "gbk")
    with pytest.raises(LandingError) as raised:
        land(tmp_path / "pool.duckdb", path, "ps_population")
    message = str(raised.value)
    assert "not found in the header row [<hidden number>, 张伟, 男," in message
    assert rows[0][0] not in message
