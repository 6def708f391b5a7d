"""Landing files of every format into a real DuckDB pool, with exact row accounting."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from contracts.registry import bundled_contracts
from pipelines.landing import loader
from pipelines.landing.errors import LandingError
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import LandingReport, land_file
from tests.pipelines.landing import feeds

CONTRACTS = bundled_contracts()


def land(pool: Path, path: Path, contract_id: str) -> LandingReport:
    contract = CONTRACTS[contract_id]
    with duckdb.connect(str(pool)) as con:
        return land_file(
            con, LandingFile(path, contract_id, contract.department), contract, pool.parent / "tmp"
        )


def query(pool: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(pool), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    return tmp_path / "pool.duckdb"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_lands_in_any_department_encoding(pool: Path, tmp_path: Path, encoding: str) -> None:
    path = feeds.write_csv(
        tmp_path / "人口基本信息_20261120.csv",
        feeds.POPULATION_HEADER,
        feeds.population_rows(),
        encoding,
    )
    report = land(pool, path, "ps_population")
    assert (report.rows_read, report.rows_landed, report.rows_rejected) == (5, 5, 0)
    names = query(pool, "SELECT name FROM landing.ps_population ORDER BY _row_number")
    assert [n for (n,) in names] == ["张伟", "张伟", "李娜", "王芳", "刘洋"]
    assert (
        report.encoding == {"gbk": "gb18030", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[encoding]
    )


def test_keys_are_normalised_on_the_way_in(pool: Path, tmp_path: Path) -> None:
    rows = feeds.population_rows()
    path = feeds.write_csv(tmp_path / "p.csv", feeds.POPULATION_HEADER, rows, "gbk")
    land(pool, path, "ps_population")
    landed = query(
        pool,
        "SELECT id_number, id_number__raw, id_number__problem, _row_number "
        "FROM landing.ps_population ORDER BY _row_number",
    )
    clean, fifteen, lower_x, full_width, bad = landed
    assert clean[0] == fifteen[0] == rows[0][0]  # the 15-digit number converts to the 18-digit one
    assert fifteen[1] == rows[1][0] and fifteen[2] is None
    assert lower_x[0] == rows[2][0].upper() and lower_x[2] is None
    assert full_width[0] is not None and full_width[0].isascii()
    assert bad[0] is None and bad[2] == "bad_check_char"
    assert [r[3] for r in landed] == [2, 3, 4, 5, 6]


def test_lineage_columns_name_the_source(pool: Path, tmp_path: Path) -> None:
    path = feeds.write_csv(
        tmp_path / "人口基本信息_20261120.csv",
        feeds.POPULATION_HEADER,
        feeds.population_rows(),
        "gbk",
    )
    report = land(pool, path, "ps_population")
    lineage = query(
        pool,
        "SELECT DISTINCT _department, _file_name, _file_hash, _loaded_at IS NOT NULL "
        "FROM landing.ps_population",
    )
    assert lineage == [("ps", "人口基本信息_20261120.csv", report.file_hash, True)]


def test_unparseable_csv_rows_are_kept_with_their_reason(pool: Path, tmp_path: Path) -> None:
    rows = feeds.population_rows()
    text = "\r\n".join(
        [
            ",".join(feeds.POPULATION_HEADER),
            ",".join(rows[0]),
            "410102198506151234,短行",
            ",".join(rows[2]),
            ",".join([*rows[3], "多余", "字段"]),
            ",".join(rows[4]),
        ]
    )
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("gbk"))
    report = land(pool, path, "ps_population")
    assert (report.rows_read, report.rows_landed, report.rows_rejected) == (5, 3, 2)
    rejects = query(pool, "SELECT row_number, raw, reason FROM landing.rejects ORDER BY row_number")
    assert [r[0] for r in rejects] == [3, 5]
    assert "短行" in rejects[0][1]
    # DuckDB reports a short row once per missing column; the clerk reads one reason.
    assert rejects[0][2].count("fewer fields") == 1 and rejects[0][2].endswith("Found: 2)")
    assert "more fields" in rejects[1][2]
    numbers = query(pool, "SELECT _row_number FROM landing.ps_population ORDER BY _row_number")
    assert [n for (n,) in numbers] == [2, 4, 6]


def test_excel_with_a_title_row(pool: Path, tmp_path: Path) -> None:
    uscc = feeds.credit_code()
    header = [
        "统一社会信用代码",
        "企业名称",
        "法定代表人",
        "法定代表人身份证号",
        "注册资本（万元）",
        "成立日期",
    ]
    rows: list[list[object]] = [
        [
            uscc,
            "郑州云帆科技有限公司",
            "张伟",
            feeds.id_number(birth="19850615"),
            100.0,
            "2019-04-01",
        ],
        [uscc.lower(), "郑州云帆科技有限公司", "张伟", "", 12.5, "2019-04-01"],
    ]
    path = feeds.write_excel(
        tmp_path / "企业登记信息_20261120.xlsx", header, rows, "郑州市市场监督管理局企业登记信息"
    )
    report = land(pool, path, "mr_enterprise")
    assert (report.rows_read, report.rows_landed) == (2, 2)
    landed = query(
        pool,
        "SELECT credit_code, credit_code__problem, registered_capital, legal_rep_id__problem, "
        "_row_number FROM landing.mr_enterprise ORDER BY _row_number",
    )
    assert landed == [(uscc, None, "100", None, 3), (uscc, None, "12.5", None, 4)]


def test_jsonl_keeps_malformed_lines(pool: Path, tmp_path: Path) -> None:
    person = feeds.id_number()
    records: list[dict[str, object] | str] = [
        {"身份证号": person, "姓名": "张伟", "登记类型": "结婚", "登记日期": "2020-05-20"},
        '{"身份证号": "broken',
        '["not", "an", "object"]',
        {"身份证号": person, "姓名": "张伟", "登记类型": "离婚", "登记日期": "2023-01-09"},
    ]
    path = feeds.write_jsonl(tmp_path / "婚姻登记信息_20261120.jsonl", records)
    report = land(pool, path, "ca_marriage")
    assert (report.rows_read, report.rows_landed, report.rows_rejected) == (4, 2, 2)
    reasons = query(pool, "SELECT row_number, reason FROM landing.rejects ORDER BY row_number")
    assert reasons == [(2, "the line is not valid JSON"), (3, "the line is JSON but not an object")]


def test_parquet_with_typed_columns(pool: Path, tmp_path: Path) -> None:
    person, firm = feeds.id_number(), feeds.credit_code()
    path = feeds.write_parquet(
        tmp_path / "不动产登记信息_20261120.parquet",
        {
            "不动产权证号": [
                "豫(2020)郑州市不动产权第0000001号",
                "豫(2021)郑州市不动产权第0000002号",
            ],
            "权利人证件号": [person, firm],
            "权利人": ["张伟", "郑州云帆科技有限公司"],
            "建筑面积": [89.5, 1200.0],
        },
    )
    report = land(pool, path, "nr_real_estate")
    assert report.rows_landed == 2
    landed = query(
        pool, "SELECT owner_key__kind, area, _row_number FROM landing.nr_real_estate ORDER BY 3"
    )
    assert landed == [("person", "89.5", 1), ("organisation", "1200.0", 2)]


def test_same_content_twice_is_a_no_op(pool: Path, tmp_path: Path) -> None:
    first = feeds.write_csv(
        tmp_path / "a.csv", feeds.POPULATION_HEADER, feeds.population_rows(), "gbk"
    )
    again = tmp_path / "a_resent.csv"
    again.write_bytes(first.read_bytes())
    land(pool, first, "ps_population")
    report = land(pool, again, "ps_population")
    assert report.already_landed and report.rows_landed == 5
    assert query(pool, "SELECT count(*) FROM landing.ps_population") == [(5,)]
    assert query(pool, "SELECT count(*) FROM landing.files") == [(1,)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("latin.csv", "公民身份号码,姓名\n".encode("utf-16"), "neither UTF-8 nor GBK"),
        ("headerless.csv", b"1,2,3\n", "required column"),
    ],
)
def test_unreadable_csv_fails_and_leaves_the_pool_as_it_was(
    pool: Path, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    good = feeds.write_csv(
        tmp_path / "good.csv", feeds.POPULATION_HEADER, feeds.population_rows(), "gbk"
    )
    land(pool, good, "ps_population")
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(LandingError, match=message) as raised:
        land(pool, bad, "ps_population")
    assert name in str(raised.value)
    assert query(pool, "SELECT count(*) FROM landing.ps_population") == [(5,)]
    assert query(pool, "SELECT count(*) FROM landing.files") == [(1,)]


def test_truncated_excel_fails_cleanly(pool: Path, tmp_path: Path) -> None:
    path = feeds.write_excel(
        tmp_path / "企业登记信息_20261120.xlsx",
        ["统一社会信用代码", "企业名称"],
        [[feeds.credit_code(), "郑州云帆科技有限公司"]] * 50,
        "标题",
    )
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(LandingError, match="workbook"):
        land(pool, path, "mr_enterprise")
    assert not query(pool, "SELECT * FROM landing.files")


def test_truncated_parquet_fails_cleanly(pool: Path, tmp_path: Path) -> None:
    path = feeds.write_parquet(
        tmp_path / "x.parquet",
        {"不动产权证号": ["a"] * 100, "权利人证件号": [feeds.id_number()] * 100},
    )
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(LandingError, match="Parquet"):
        land(pool, path, "nr_real_estate")


@pytest.mark.parametrize("kind", ["csv with rejected lines", "jsonl with malformed lines"])
def test_rows_join_their_keys_alike_in_one_range_or_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Large deliveries are joined to their keys range by range (`JOIN_RANGE_ROWS`); a range
    of two rows gives every landed row, rejects and count that one range gives."""
    if kind.startswith("csv"):
        rows = feeds.population_rows()
        lines = [",".join(feeds.POPULATION_HEADER), ",".join(rows[0]), "短行"]
        lines += [",".join(r) for r in rows[1:]] + ["又一个短行", ",".join(rows[0])]
        path = tmp_path / "p.csv"
        path.write_bytes("\r\n".join(lines).encode("gbk"))
        contract_id = "ps_population"
    else:
        person = feeds.id_number()
        records: list[dict[str, object] | str] = [
            {"身份证号": person, "姓名": "张伟", "登记类型": "结婚", "登记日期": "2020-05-20"},
            '{"身份证号": "broken',
            *(
                {"身份证号": person, "姓名": f"张{n}", "登记类型": "离婚", "登记日期": "2023-01-09"}
                for n in range(5)
            ),
        ]
        path = feeds.write_jsonl(tmp_path / "婚姻登记信息_20261120.jsonl", records)
        contract_id = "ca_marriage"
    table = f"landing.{contract_id}"
    everything = f"SELECT * EXCLUDE (_loaded_at) FROM {table} ORDER BY _row_number"
    whole = land(tmp_path / "whole.duckdb", path, contract_id)
    monkeypatch.setattr(loader, "JOIN_RANGE_ROWS", 2)
    ranged = land(tmp_path / "ranged.duckdb", path, contract_id)
    assert (ranged.rows_read, ranged.rows_landed, ranged.rows_rejected) == (
        whole.rows_read,
        whole.rows_landed,
        whole.rows_rejected,
    )
    assert ranged.rows_landed >= 5 and ranged.rows_rejected >= 1
    assert query(tmp_path / "ranged.duckdb", everything) == query(
        tmp_path / "whole.duckdb", everything
    )
    rejects = "SELECT row_number, raw, reason FROM landing.rejects ORDER BY row_number"
    assert query(tmp_path / "ranged.duckdb", rejects) == query(tmp_path / "whole.duckdb", rejects)
