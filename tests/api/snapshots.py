"""Published snapshots that change under a reader: a corrected population record (a new name
for one applicant) delivered, landed, certified and published through the pipelines' own
functions, and what each version holds, read from its own file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

import settings
from contracts.registry import bundled_contracts
from pipelines.certify.certifier import certify_batch
from pipelines.certify.publish import publish
from pipelines.certify.schema import history_table
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import land_file
from pipelines.resources import PoolResource
from snapshot.manifest import current_version

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记: its form's 经营者姓名 is ps_population.name
NAME_FIELD = "经营者姓名"
NEW_NAMES = ("王一鸣", "王二鸣", "王三鸣")  # one corrected delivery, and snapshot, each


@dataclass(frozen=True)
class Truth:
    """What a snapshot version holds for the applicant."""

    name: str
    batch: str


def current_snapshot_version() -> int:
    snapshot = current_version(settings.current().serving)
    assert snapshot is not None
    return snapshot.version


def truth_of(version: int, person: str) -> Truth:
    """The applicant's current name and its batch, read from that version's own file."""
    path = settings.current().serving / f"pool_v{version}.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        name, batch = con.execute(
            "SELECT name, _batch FROM ps_population WHERE id_number = ? AND _valid_to IS NULL",
            [person],
        ).fetchall()[0]
    return Truth(name, str(batch))


def publish_corrected_name(home: Path, person: str, name: str, day: int) -> int:
    """Deliver the applicant's record with `name`, land, certify and publish it."""
    contract = bundled_contracts()["ps_population"]
    pool = PoolResource(
        path=str(settings.current().pool),
        certified_path=str(settings.current().certified),
        serving_path=str(settings.current().serving),
    )
    with pool.connect() as con:
        columns = [c.name for c in contract.columns]
        row = dict(
            zip(
                columns,
                con.execute(
                    f"SELECT {', '.join(columns)} FROM {history_table(contract)} "
                    "WHERE id_number = ? AND _valid_to IS NULL",
                    [person],
                ).fetchall()[0],
                strict=True,
            )
        )
        row["name"] = name
        row["updated_at"] = dt.datetime(2026, 12, day, 9, 30)
        delivery = home / "landing" / "ps" / "ps_population" / f"人口基本信息_202612{day:02d}.csv"
        delivery.write_bytes(csv_row([c.aliases[0] for c in contract.columns], row.values()))
        file = LandingFile(delivery, contract.id, contract.department)
        batch = land_file(con, file, contract, settings.current().scratch).file_hash
        report = certify_batch(con, contract, batch)
        assert (report.status, report.rows_new_versions) == ("certified", 1), report
        return publish(con, settings.current().certified, settings.current().serving).version


def csv_row(header: list[str], values: Any) -> bytes:
    """One record as the population register delivers it: GBK, comma separated."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(
        v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else v for v in values
    )
    return text.getvalue().encode("gbk")


def assert_whole(answers: list[dict[str, Any]], truth: dict[int, Truth], who: str) -> None:
    """Every prefill answer gives the name and batch its own `snapshot_version` holds (none
    mixes two versions), and the answers came from every version published."""
    seen: set[int] = set()
    for body in answers:
        version = body["snapshot_version"]
        seen.add(version)
        field = next(f for f in body["fields"] if f["field"] == NAME_FIELD)
        assert (field["value"], field["provenance"]["batch"]) == (
            truth[version].name,
            truth[version].batch,
        ), f"{who}: an answer numbered v{version} mixed in another version's value"
    assert seen == set(truth), f"{who}: answers came from {sorted(seen)} of {sorted(truth)}"
