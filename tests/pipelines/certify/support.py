"""A real pool (landing file + attached certified file) and small deliveries for certification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from contracts.registry import bundled_contracts
from pipelines.certify.certifier import CertificationReport, certify_batch
from pipelines.certify.duckdb_engine import DuckDBEngine
from pipelines.certify.engine import EngineFactory
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import land_file
from pipelines.resources import PoolResource
from tests.pipelines.landing import feeds

CONTRACTS = bundled_contracts()
HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "户籍地址", "更新时间"]


def person(
    birth: str = "19900307", sequence: str = "123", name: str = "张伟", **kw: str
) -> list[str]:
    """A population row whose gender and birth date agree with its ID number."""
    number = feeds.id_number(birth=birth, sequence=sequence)
    gender = "男" if int(sequence) % 2 else "女"
    row = {
        "gender": gender,
        "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        "address": "郑州市中原区建设路1号",
        "updated_at": "2026-11-01 08:00:00",
    } | kw
    return [number, name, row["gender"], row["birth_date"], row["address"], row["updated_at"]]


def people(count: int, start: int = 1) -> list[list[str]]:
    """`count` distinct residents; numbers past 999 move on to the next birth date."""
    first = dt.date(1990, 3, 7)
    rows = []
    for n in range(start, start + count):
        birth = (first + dt.timedelta(days=(n - 1) // 999)).strftime("%Y%m%d")
        rows.append(person(birth=birth, sequence=f"{(n - 1) % 999 + 1:03d}", name=f"居民{n}"))
    return rows


class Pool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.resource = PoolResource(
            path=str(root / "pool.duckdb"),
            certified_path=str(root / "certified.duckdb"),
            serving_path=str(root / "serving"),
        )

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.resource.connect() as con:
            yield con

    def land(
        self,
        rows: list[list[str]],
        name: str = "人口基本信息_20261120.csv",
        contract_id: str = "ps_population",
        header: list[str] = HEADER,
        encoding: str = "gbk",
    ) -> str:
        """Write `rows` as a delivered file and land it; its batch (content hash)."""
        contract = CONTRACTS[contract_id]
        path = feeds.write_csv(self.root / "landing" / name, header, rows, encoding)
        with self.connect() as con:
            landed = land_file(
                con,
                LandingFile(path, contract_id, contract.department),
                contract,
                self.root / "tmp",
            )
        return landed.file_hash

    def deliver(
        self,
        rows: list[list[str]],
        name: str = "人口基本信息_20261120.csv",
        contract_id: str = "ps_population",
        header: list[str] = HEADER,
        now: dt.datetime | None = None,
        engine: EngineFactory = DuckDBEngine,
        encoding: str = "gbk",
    ) -> CertificationReport:
        batch = self.land(rows, name, contract_id, header, encoding)
        with self.connect() as con:
            return certify_batch(
                con, CONTRACTS[contract_id], batch, now=now or dt.datetime.now(), engine=engine
            )

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()
