"""The sample department feeds: formats, determinism, realism and the dirt they carry."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from python_calamine import CalamineWorkbook
from stdnum.cn import ric, uscc

from contracts.keys import check_credit_code
from contracts.keys.checksums import id_check_char, org_check_char
from pipelines.samples import GenerationSummary, generate_landing_zone
from pipelines.samples.specs import load_feed_specs
from pipelines.samples.writers import ExcelWriter

PERSONS, ENTERPRISES, CASE_DAYS = 2_000, 200, 60
END = date(2026, 11, 20)
SPECS = load_feed_specs()


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    calls: list[tuple[str, int, int]] = []
    summary = generate_landing_zone(
        tmp_path_factory.mktemp("landing"),
        persons=PERSONS,
        enterprises=ENTERPRISES,
        seed=7,
        case_days=CASE_DAYS,
        end_date=END,
        progress=lambda *a: calls.append(a),
    )
    assert ("persons", PERSONS, PERSONS) in calls
    assert ("enterprises", ENTERPRISES, ENTERPRISES) in calls
    assert calls[-1][0] == "cases" and calls[-1][1] == calls[-1][2] > 0
    return summary


def _file(zone: GenerationSummary, resource: str, delivery: str = "full") -> Path:
    [found] = [f for f in zone.files if f.resource_id == resource and f.delivery == delivery]
    return zone.out / found.path


def _dirt(zone: GenerationSummary, resource: str) -> Counter[str]:
    [found] = [f for f in zone.files if f.resource_id == resource and f.delivery == "full"]
    return Counter(found.dirt)


def _rows(zone: GenerationSummary, resource: str, delivery: str = "full") -> list[dict]:
    """Rows of a delivered file as {header: text or None}, read the way a consumer would."""
    path = _file(zone, resource, delivery)
    spec = SPECS[resource]
    if spec.format == "csv":
        text = path.read_bytes().decode(spec.encoding or "utf-8")
        return [{k: v or None for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]
    if spec.format == "jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    if spec.format == "parquet":
        return pq.read_table(path).to_pylist()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [
        {h: (v if v != "" else None) for h, v in zip(sheet[1], r, strict=True)} for r in sheet[2:]
    ]


def test_every_contract_gets_a_file_named_by_its_pattern(zone: GenerationSummary) -> None:
    full = {f.resource_id: f for f in zone.files if f.delivery == "full"}
    assert set(full) == set(SPECS)
    for resource, spec in SPECS.items():
        f = full[resource]
        assert f.path == Path(spec.department, spec.id, spec.file_name(END))
        assert (zone.out / f.path).is_file()
        assert f.format == spec.format and f.department == spec.department
        assert len(_rows(zone, resource)) == f.rows > 0


def test_same_arguments_give_byte_identical_files(zone: GenerationSummary, tmp_path: Path) -> None:
    again = generate_landing_zone(
        tmp_path,
        persons=PERSONS,
        enterprises=ENTERPRISES,
        seed=7,
        case_days=CASE_DAYS,
        end_date=END,
    )
    assert [f.path for f in again.files] == [f.path for f in zone.files]
    for f in zone.files:
        assert (tmp_path / f.path).read_bytes() == (zone.out / f.path).read_bytes(), f.path
    other = generate_landing_zone(
        tmp_path / "other",
        persons=PERSONS,
        enterprises=ENTERPRISES,
        seed=8,
        case_days=CASE_DAYS,
        end_date=END,
    )
    path = other.out / other.files[0].path
    assert path.read_bytes() != (zone.out / zone.files[0].path).read_bytes()


def test_csv_encodings_and_headers_follow_the_contracts(zone: GenerationSummary) -> None:
    for resource in ("ps_population", "hpf_account"):
        data = _file(zone, resource).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        header = data.decode("gbk").split("\r\n", 1)[0]
        assert header.split(",") == SPECS[resource].headers
    for resource in ("hrss_insurance", "gsc_cases"):
        header = _file(zone, resource).read_text("utf-8").split("\n", 1)[0]
        assert header.split(",") == SPECS[resource].headers


def test_workbooks_have_a_title_row_above_the_header(zone: GenerationSummary) -> None:
    for resource in ("mr_enterprise", "ca_subsidy"):
        spec = SPECS[resource]
        sheet = CalamineWorkbook.from_path(str(_file(zone, resource))).get_sheet_by_index(0)
        rows = sheet.to_python()
        assert rows[0][0] == f"郑州市{spec.department_name}{spec.name}（截至2026年11月20日）"
        assert rows[1] == spec.headers
        assert all(isinstance(r[0], str) for r in rows[2:])  # keys are text, never numbers


def test_json_lines_and_parquet_use_the_chinese_headers(zone: GenerationSummary) -> None:
    for resource in ("ca_marriage", "tax_standing"):
        first = _rows(zone, resource)[0]
        assert list(first) == SPECS[resource].headers
    assert isinstance(_rows(zone, "tax_standing")[0]["评价年度"], int)
    schema = pq.read_schema(_file(zone, "nr_real_estate"))
    assert schema.names == SPECS["nr_real_estate"].headers
    assert {str(schema.field(n).type) for n in schema.names if n != "建筑面积"} == {"string"}
    assert schema.field("建筑面积").type == pa.float64()


def _classify_key(value: str | None) -> str:
    if value is None:
        return "missing_required"
    if any(unicodedata.east_asian_width(c) == "F" for c in value):
        return "full_width_digits"
    if " " in value:
        return "inner_spaces"
    if len(value) == 15:
        return "legacy_15_digit"
    if value != value.upper():
        return "lower_case_x"
    if (ric if value[0] != "9" else uscc).is_valid(value):
        return "clean"
    return "bad_check_char"


@pytest.mark.parametrize(
    "resource,key",
    [
        ("ps_population", "公民身份号码"),
        ("hrss_insurance", "身份证号码"),
        ("mr_enterprise", "统一社会信用代码"),
        ("gsc_cases", "申请人证件号码"),
        ("nr_real_estate", "权利人证件号"),
        ("tax_standing", "纳税人识别号"),
    ],
)
def test_injected_key_dirt_is_exactly_what_the_summary_counts(
    zone: GenerationSummary, resource: str, key: str
) -> None:
    rows = _rows(zone, resource)
    found = Counter(_classify_key(r[key]) for r in rows)
    dirt = _dirt(zone, resource)
    for kind in (
        "bad_check_char",
        "legacy_15_digit",
        "full_width_digits",
        "lower_case_x",
        "inner_spaces",
    ):
        assert found[kind] == dirt[kind], kind
    assert found["missing_required"] <= dirt["missing_required"]
    lines = Counter(tuple(r.values()) for r in rows)
    assert sum(c - 1 for c in lines.values()) == dirt["duplicate_row"]
    assert sum(dirt.values()) == pytest.approx(0.02 * len(rows), abs=len(dirt) + 2)


def test_population_register_is_consistent_and_dirty_as_counted(zone: GenerationSummary) -> None:
    rows = _rows(zone, "ps_population")
    dirt = _dirt(zone, "ps_population")
    assert set(dirt) >= {
        "bad_check_char",
        "legacy_15_digit",
        "full_width_digits",
        "lower_case_x",
        "inner_spaces",
        "missing_required",
        "duplicate_row",
        "impossible_date",
    }
    impossible = 0
    regions = Counter()
    for r in rows:
        number, born = r["公民身份号码"], r["出生日期"]
        try:
            birth = datetime.strptime(born, "%Y-%m-%d").date()
        except ValueError:
            impossible += 1
            assert re.fullmatch(r"\d{4}-(02-3[01]|(04|06|09|11)-31)", born)
            continue
        if _classify_key(number) == "legacy_15_digit":
            assert birth.year < 2000
            body = number[:6] + "19" + number[6:]
            assert ric.is_valid(body + id_check_char(body))
        if _classify_key(number) != "clean":
            continue
        assert number[6:14] == birth.strftime("%Y%m%d")
        assert r["性别"] == ("男" if int(number[16]) % 2 else "女")
        regions[number[:4]] += 1
        assert r["户籍地行政区划代码"].startswith("4101") and r["户籍地址"].startswith(
            "河南省郑州市"
        )
    assert impossible == dirt["impossible_date"]
    assert regions["4101"] > 0.8 * sum(regions.values())  # most residents' IDs are local
    distinct = {tuple(r.values()): r for r in rows}.values()  # without duplicated rows
    heads = {r["户号"]: r for r in distinct if r["与户主关系"] == "户主"}
    assert len(heads) == len({r["户号"] for r in distinct if r["与户主关系"] == "户主"})
    assert set(Counter(r["户号"] for r in distinct).values()) <= {1, 2, 3, 4, 5}
    relations = Counter(r["与户主关系"] for r in distinct)
    assert relations["户主"] > relations["配偶"] > relations["子"] > relations["父亲"] > 0
    for r in distinct:
        head = heads.get(r["户号"])
        if head is None or r is head:
            continue
        try:
            younger = date.fromisoformat(r["出生日期"]) - date.fromisoformat(head["出生日期"])
        except ValueError:
            continue  # an impossible date
        years = younger.days / 365.25
        if r["与户主关系"] == "配偶":
            assert abs(years) < 12
        elif r["与户主关系"] in ("子", "女"):
            assert years >= 16
        else:
            assert years <= -16


def _clean(values: list) -> set[str]:
    return {v for v in values if _classify_key(v) == "clean"}


def _repaired(number: str) -> str:
    """The ID number a damaged one stands for, as the exchange's normaliser recovers it."""
    number = unicodedata.normalize("NFKC", number).replace(" ", "").upper()
    body = number[:6] + "19" + number[6:] if len(number) == 15 else number[:17]
    return body + id_check_char(body)


def test_feeds_link_to_generated_persons_and_enterprises(zone: GenerationSummary) -> None:
    register = [r["公民身份号码"] for r in _rows(zone, "ps_population")]
    persons = {_repaired(n) for n in register if n}
    enterprises = _rows(zone, "mr_enterprise")
    codes = _clean([r["统一社会信用代码"] for r in enterprises])
    reps = _clean([r["法定代表人身份证号"] for r in enterprises])
    assert reps and len(reps - persons) <= register.count(None)  # an ID left blank in ps
    employers = _clean([r["单位统一社会信用代码"] for r in _rows(zone, "hrss_insurance")])
    assert employers and len(employers - codes) <= 0.05 * len(employers)  # damaged in mr only
    owners = Counter(r["权利人类型"] for r in _rows(zone, "nr_real_estate"))
    assert 0.02 < owners["单位"] / sum(owners.values()) < 0.1
    marriages = _rows(zone, "ca_marriage")
    spouses = {(r["身份证号"], r["配偶身份证号"]) for r in marriages}
    assert sum((b, a) in spouses for a, b in spouses) >= 0.9 * len(spouses)
    assert len(_clean([r["身份证号"] for r in marriages]) - persons) <= register.count(None)


def test_hrss_writes_some_names_differently_than_the_register(zone: GenerationSummary) -> None:
    names = {r["公民身份号码"]: r["姓名"] for r in _rows(zone, "ps_population")}
    hrss = _rows(zone, "hrss_insurance")
    conflicts = {
        r["身份证号码"]
        for r in hrss
        if r["姓名"] and r["身份证号码"] and names.get(r["身份证号码"]) not in (None, r["姓名"])
    }
    assert 0 < len(conflicts) <= _dirt(zone, "hrss_insurance")["conflicting_value"]


def test_all_clean_credit_codes_are_valid(zone: GenerationSummary) -> None:
    for code in _clean([r["统一社会信用代码"] for r in _rows(zone, "mr_enterprise")]):
        assert uscc.is_valid(code) and code[:8].isdigit() and code[:2] in ("91", "92", "93")
        assert code[2:6] == "4101"
        assert org_check_char(code[8:16]) == code[16]
        assert check_credit_code(code).ok  # positions 3-8 a known region too


def test_cases_follow_the_centre_calendar(zone: GenerationSummary) -> None:
    rows = _rows(zone, "gsc_cases")
    days = Counter(r["受理时间"][:10] for r in rows)
    assert not any(days[d] for d in ("2026-10-01", "2026-10-05", "2026-10-07", "2026-11-14"))
    assert days["2026-10-10"] > 0  # the Saturday worked in lieu of the National Day holiday
    assert min(days) >= "2026-09-22" and max(days) <= "2026-11-20"
    unique = {tuple(r.values()) for r in rows}
    assert len({r[0] for r in unique}) == len(unique)
    open_cases = [r for r in rows if r["办结时间"] is None]
    assert open_cases and all(r["受理时间"] >= "2026-10-15" for r in open_cases)
    promised = [r for r in rows if r["办件类型"] == "承诺件" and r["办结时间"]]
    assert all(r["办结时间"] > r["受理时间"] for r in promised)
    spot = [r for r in rows if r["办件类型"] == "即办件" and r["办结时间"]]
    assert all(r["办结时间"][:10] == r["受理时间"][:10] for r in spot)
    assert len(rows) / PERSONS / len(days) * 1000 == pytest.approx(3.5, rel=0.5)


def test_late_increments_and_repeated_files(zone: GenerationSummary) -> None:
    for resource in ("ps_population", "mr_enterprise"):
        increment = [
            f for f in zone.files if f.resource_id == resource and f.delivery == "increment"
        ]
        repeat = [f for f in zone.files if f.resource_id == resource and f.delivery == "repeat"]
        assert len(increment) == len(repeat) == 1
        assert END < increment[0].delivered < repeat[0].delivered
        assert (zone.out / increment[0].path).read_bytes() == (
            zone.out / repeat[0].path
        ).read_bytes()
        assert increment[0].path != repeat[0].path and increment[0].rows > 0
    base = {r["公民身份号码"] for r in _rows(zone, "ps_population")}
    later = _rows(zone, "ps_population", "increment")
    corrected = [r["公民身份号码"] for r in later if r["公民身份号码"] not in base]
    assert corrected and all(ric.is_valid(n) for n in corrected)
    assert zone.dirt["late_delivery"] == zone.dirt["repeated_file"] > 0


def test_workbooks_split_past_the_row_limit(tmp_path: Path) -> None:
    spec = SPECS["ca_subsidy"]
    writer = ExcelWriter(spec, tmp_path, END, max_rows=12)
    table = pa.table(
        {
            "id_number": [f"41010219900101{i:03d}X" for i in range(25)],
            "name": ["张三"] * 25,
            "household_size": pa.array([2] * 25, pa.int64()),
            "monthly_amount": [1200.0] * 25,
            "start_date": ["2020-01-01"] * 25,
            "status": ["在保"] * 25,
        }
    )
    writer.write(table, np.full(25, -1, dtype=np.int8))
    written = writer.close()
    assert [w.path.name for w in written] == [
        "最低生活保障信息_20261120.xlsx",
        "最低生活保障信息_20261120_part2.xlsx",
        "最低生活保障信息_20261120_part3.xlsx",
    ]
    assert [w.rows for w in written] == [10, 10, 5]
    for w in written:
        rows = CalamineWorkbook.from_path(str(w.path)).get_sheet_by_index(0).to_python()
        assert rows[1] == spec.headers and len(rows) == w.rows + 2
        assert rows[2][4] == date(2020, 1, 1)


def test_service_items_are_documented_and_consistent() -> None:
    text = (resources.files("directory") / "sample" / "service_items.yaml").read_text("utf-8")
    items = yaml.safe_load(text)["items"]
    assert 35 <= len(items) <= 50
    assert len({i["code"] for i in items}) == len(items)
    assert {i["department"] for i in items} == {s.department for s in SPECS.values()}
    for item in items:
        assert re.fullmatch(r"410100\d{4}", item["code"])
        assert item["kind"] in ("on_the_spot", "promised")
        assert (item["promised_working_days"] == 0) == (item["kind"] == "on_the_spot")
        assert item["subject"] in ("person", "organisation")
        assert 0 < item["base_daily_volume"] <= 1
