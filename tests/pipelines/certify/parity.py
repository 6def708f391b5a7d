"""Deliveries that exercise every rule kind, and a dump of everything certification writes.

The parity tests deliver the same files to a pool certified by DuckDB and to one certified
by Spark, then compare the dumps row for row. The rows carry what departments really send:
NULLs, full-width and 15-digit legacy ID numbers, lower-case check characters, exact copies,
two rows claiming one key, dates and times in several spellings, thousands separators,
numbers DuckDB writes in exponent form, full-width spaces, and characters outside the Basic
Multilingual Plane (CJK Extension B, U+20000 on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from contracts.registry import bundled_contracts
from pipelines.certify.certifier import CertificationReport
from pipelines.certify.engine import EngineFactory
from pipelines.certify.sharded import certify_delivery
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import land_file
from tests.pipelines.certify.support import HEADER, Pool, people, person
from tests.pipelines.landing import feeds

CONTRACTS = bundled_contracts()
T1 = dt.datetime(2026, 11, 20, 9, 0)
T2 = dt.datetime(2026, 11, 21, 9, 0)
T3 = dt.datetime(2026, 11, 22, 9, 0)
POPULATION = [*HEADER, "户籍地行政区划代码"]
INSURANCE = [
    "身份证号码",
    "姓名",
    "险种",
    "单位统一社会信用代码",
    "参保状态",
    "参保日期",
    "缴费基数",
]
CASES = [
    "办件编号",
    "事项编码",
    "事项名称",
    "受理部门",
    "申请人证件号码",
    "办件类型",
    "承诺时限",
    "受理时间",
    "办结时间",
]
ENTERPRISES = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "法定代表人身份证号",
    "注册资本",
    "成立日期",
    "登记状态",
]
RARE = "\U00020000\U0002a6a5"  # 𠀀𪚥, outside the BMP
FULL_WIDTH_SPACE = "\u3000"


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


GOOD_PEOPLE = 40  # enough that the few incomplete rows stay within the gate's thresholds


def bad_check() -> list[str]:
    row = person(sequence="201")
    row[0] = row[0][:-1] + ("0" if row[0][-1] != "0" else "1")
    return [*row, "410102"]


def no_such_day() -> list[str]:
    return [*person(sequence="205", birth_date="1990-02-30"), "410102"]


def population_first() -> list[list[str]]:
    rows = [[*p, "410102"] for p in people(GOOD_PEOPLE)]
    legacy = person(birth="19850615", sequence="131", name="老号码")
    legacy[0] = "410102" + "850615" + "131"
    wide = person(birth="20010203", sequence="141", name="全角")
    wide[0] = _full_width(wide[0])
    lower_x = next(
        person(birth="19770101", sequence=f"{s:03d}", name="小写")
        for s in range(151, 999, 2)
        if feeds.id_number(birth="19770101", sequence=f"{s:03d}").endswith("X")
    )
    lower_x[0] = lower_x[0].lower()
    odd = [
        person(sequence="203", gender="女"),  # gender disagrees with the ID number
        person(sequence="207", birth_date="1990/03/07", updated_at="20261101080000"),
        person(sequence="209", birth_date="1990年3月7日", updated_at="2026/11/01 08:00:00"),
        person(sequence="211", updated_at="2026-11-01T08:00:00.5"),
        person(sequence="213", updated_at="2026-11-01 08:00:00+08"),  # a zone: not a shape
        person(sequence="215", updated_at=""),
        person(sequence="217", name=""),  # name required
        person(sequence="219", name="张三" + FULL_WIDTH_SPACE),  # trimmed like a space
        person(sequence="221", name="名" * 31),  # too long
        person(sequence="223", birth_date="2027-03-07"),  # future, and not the ID's date
        person(sequence="225", address=""),
    ]
    collision = [person(sequence="227", name="王五"), person(sequence="227", name="王六")]
    rows += [[*r, "410102"] for r in [legacy, wide, lower_x, *odd, *collision]]
    rows += [bad_check(), no_such_day()]
    rows.append([*person(sequence="229"), "41010"])  # region code warning
    rows.append([*person(sequence="231"), ""])
    rows.append(list(rows[0]))  # an exact copy
    return rows


def elsewhere() -> list[list[str]]:
    """Residents whose numbers were issued in Beijing and in Guangdong: other region shards."""
    rows = []
    for region in ("110105", "440106"):
        for n in range(301, 321, 2):
            row = person(sequence=f"{n:03d}", name=f"外省{n}")
            row[0] = feeds.id_number(region=region, sequence=f"{n:03d}")
            rows.append([*row, region])
    return rows


def population_second() -> list[list[str]]:
    second = [[*p, "410102"] for p in people(GOOD_PEOPLE)] + elsewhere()
    second[1][1] = "李娜娜"  # a correction
    second[2][4] = "郑州市金水区花园路2号"  # another
    fixed = person(sequence="203")  # the wrong gender corrected: resolves its quarantine
    # The same bad rows again: counted as quarantined, not opened a second time.
    return [*second, [*fixed, "410102"], bad_check(), no_such_day()]


def population_sparse() -> list[list[str]]:
    """Fails the gate: too many addresses missing."""
    return [[*person(sequence=f"{n:03d}", address=""), "410102"] for n in range(601, 621, 2)]


def insurance() -> list[list[str]]:
    someone, other, third = people(3)
    code = feeds.credit_code()
    base = "企业职工基本养老保险"
    return [
        [someone[0], "张冠李戴" + RARE, base, code, "参保缴费", "2020-01-01", "5,000.50"],
        [other[0], other[1], base, code, "参保缴费", "2020-01-01", "12345.6"],
        [third[0], RARE, "失业保险", "", "暂停缴费", "2020/1/1", "0.1"],
        [someone[0], someone[1], "工伤保险", code, "参保缴费", "2020-01-01", "1e3"],
        [other[0], other[1], "工伤保险", code, "参保缴费", "2020-01-01", "2.5e-05"],
        [third[0], "", "职工基本医疗保险", code, "参保缴费", "2020-01-01", "-0"],
        [someone[0], "", "生育保险", code, "参保缴费", "2020-01-01", "abc"],
        [other[0], other[1], "生育保险", code, "未知", "2020-01-01", " 3000 "],
        [third[0], other[1], "生育保险", code + "X", "参保缴费", "2020-13-01", "1.5"],
    ]


def insurance_again() -> list[list[str]]:
    rows = [list(r) for r in insurance()[:4]]
    rows[0][6] = "5000.5"  # the same amount, written otherwise: unchanged
    rows[1][6] = "12345.67"  # changed
    return rows


def cases() -> list[list[str]]:
    person_key, company = people(1)[0][0], feeds.credit_code()

    def case(n: int, days: str, received: str, completed: str, kind: str = "承诺件") -> list[str]:
        return [f"C{n:04d}", "S01", "事项", "ps", person_key, kind, days, received, completed]

    return [
        case(1, "5", "2026-11-01 09:00:00", "2026-11-03 09:00:00"),
        case(2, "+3", "2026-11-01 09:00", ""),
        case(3, "2.5", "2026-11-01 09:00:00", ""),
        case(4, "0x10", "2026-11-01 09:00:00", ""),
        case(5, "1_000", "2026-11-01 09:00:00", ""),
        case(6, "0", "2026-11-01 09:00:00", "", kind="即办件"),
        case(7, "5", "2026-11-02 09:00:00", "2026-11-01 09:00:00"),  # completed first
        case(8, "", "2026-11-01 09:00:00", ""),  # promised case without days
        case(9, "5", "2026-11-01 25:00:00", ""),
        case(10, "5", "2026", ""),
        case(11, "5", "20261101", "2026-11-01T10:30:00"),
        case(12, "99999999999999999999", "2026-11-01 09:00:00", ""),
        [*case(13, "5", "2026-11-01 09:00:00", "")[:4], company, "承诺件", "5", "2026-11-01", ""],
        case(14, "5", "2027-01-01 09:00:00", ""),  # in the future
    ]


def enterprises() -> list[list[object]]:
    known, unknown = people(1)[0][0], feeds.id_number(sequence="777")
    rows: list[list[object]] = []
    for n, (rep, capital) in enumerate(
        [(known, "100"), (unknown, "12345678.9"), ("", "1e20"), (known, "-1"), (known, "abc")], 1
    ):
        code = feeds.credit_code(organisation=f"MA1234{n:02d}")
        rows.append([code, f"企业{n}" + RARE, "张伟", rep, capital, "2020-01-01", "存续"])
    rows.append([feeds.credit_code(organisation="MA123499"), "企", "张伟", known, "1", "", "存续"])
    return rows


DELIVERIES: list[tuple[str, str, list[str], Any, dt.datetime]] = [
    ("ps_population", "人口基本信息_20261120.csv", POPULATION, population_first, T1),
    ("hrss_insurance", "社会保险参保信息_20261120.csv", INSURANCE, insurance, T1),
    ("gsc_cases", "办件信息_20261120.csv", CASES, cases, T1),
    ("mr_enterprise", "企业登记信息_20261120.xlsx", ENTERPRISES, enterprises, T1),
    ("ps_population", "人口基本信息_20261121.csv", POPULATION, population_second, T2),
    ("hrss_insurance", "社会保险参保信息_20261121.csv", INSURANCE, insurance_again, T2),
    ("ps_population", "人口基本信息_20261122.csv", POPULATION, population_sparse, T3),
]


def write_delivery(root: Path, name: str, header: list[str], rows: list[list[Any]]) -> Path:
    path = root / "landing" / name
    if name.endswith(".xlsx"):
        return feeds.write_excel(path, header, rows, title="企业登记信息")
    return feeds.write_csv(path, header, rows, "utf-8")


def write_deliveries(root: Path) -> list[tuple[str, Path, dt.datetime]]:
    """Every delivery's file, written once: both engines land the very same bytes."""
    return [
        (contract_id, write_delivery(root, name, header, rows()), now)
        for contract_id, name, header, rows, now in DELIVERIES
    ]


def deliver_all(
    pool: Pool, engine: EngineFactory, files: list[tuple[str, Path, dt.datetime]]
) -> list[dict[str, Any]]:
    """Land every delivery in order and certify it region shard by region shard; the reports
    (the delivery's, then each shard's), comparable across engines."""
    reports = []
    for contract_id, path, now in files:
        contract = CONTRACTS[contract_id]
        with pool.connect() as con:
            landed = land_file(
                con, LandingFile(path, contract_id, contract.department), contract, pool.root
            )
            delivery = certify_delivery(con, contract, landed.file_hash, now=now, engine=engine)
        assert delivery.accounted
        reports.append(
            {**comparable(delivery.total), "shards": [comparable(s) for s in delivery.shards]}
        )
    return reports


def comparable(report: CertificationReport) -> dict[str, Any]:
    """The report without timings, and each gate outcome as rule, verdict and count."""
    data = asdict(report)
    data.pop("seconds")
    data.pop("phases")
    gate = data.pop("gate")
    data["gate"] = [
        (o["rule_id"], o["expectation_type"], o["success"], o["unexpected_count"], o["error"])
        for o in gate["outcomes"]
    ]
    data["scores"] = {k: round(v, 12) for k, v in report.scores.items()}
    return data


QUALITY_DUMPS = {
    "batches": "SELECT * EXCLUDE (seconds) FROM certified.quality.batches ORDER BY ALL",
    "shards": "SELECT * EXCLUDE (seconds) FROM certified.quality.shards ORDER BY ALL",
    "quarantine": "SELECT * FROM certified.quality.quarantine ORDER BY ALL",
    "scores": "SELECT * FROM certified.quality.scores ORDER BY ALL",
    "conflicts": "SELECT * FROM certified.quality.conflicts ORDER BY ALL",
    "validations": "SELECT contract_id, batch, rule_id, expectation, severity, success, "
    "unexpected_count, error FROM certified.quality.validations ORDER BY ALL",
}


def dump(pool: Pool) -> dict[str, list[tuple[object, ...]]]:
    """Every row certification wrote: each resource's history and the quality records."""
    present = {
        name
        for (name,) in pool.query(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'certified' "
            "AND schema_name = 'main'"
        )
    }
    tables = {
        f"history {c}": f"SELECT * FROM certified.{c} ORDER BY ALL"
        for c in HISTORIES
        if c in present
    }
    return {name: pool.query(sql) for name, sql in {**tables, **QUALITY_DUMPS}.items()}


HISTORIES = sorted({contract_id for contract_id, *_ in DELIVERIES})
