"""The snapshot switch under concurrent prefills: no failed answer, no mixed answer.

While several threads ask for the same applicant's prefill, the test delivers a corrected
population record (a new name) again and again, certifies it and publishes a snapshot each
time, through the pipelines' own functions. Every answer must be a 200, and the name it gives,
with the batch that certified it, must be the one its `snapshot_version` holds: an answer
that read one version's name under another's number would be a mixed answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI
from fastapi.testclient import TestClient

import settings
from api.main import create_app
from contracts.registry import bundled_contracts
from pipelines.certify.certifier import certify_batch
from pipelines.certify.publish import publish
from pipelines.certify.schema import history_table
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import land_file
from pipelines.resources import PoolResource
from snapshot.manifest import current_version
from tests.api.conftest import Exchange

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记: its form's 经营者姓名 is ps_population.name
NAME_FIELD = "经营者姓名"
NEW_NAMES = ("王一鸣", "王二鸣", "王三鸣")  # one corrected delivery, and snapshot, each
READERS = 4
SWITCH_TIMEOUT_SECONDS = 30.0
ANSWERS_PER_VERSION = 20  # read from each new version before the next publish


@dataclass(frozen=True)
class Truth:
    """What a snapshot version holds for the applicant."""

    name: str
    batch: str


def test_prefill_answers_stay_whole_while_snapshots_switch(exchange: Exchange) -> None:
    app = create_app(directory=exchange.directory)
    with TestClient(app):  # started once; the readers' clients share what it opened
        _read_while_switching(app, exchange)


def _read_while_switching(app: FastAPI, exchange: Exchange) -> None:
    person = exchange.person
    truth = {_version(): _truth(_version(), person)}
    answers: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read(headers: dict[str, str]) -> None:
        client = TestClient(app)
        params = {
            "service_item": SOLE_PROPRIETOR,
            "subject": person,
            "case_no": exchange.case(SOLE_PROPRIETOR),
        }
        try:
            while not stop.is_set():
                response = client.get("/v1/prefill", params=params, headers=headers)
                answers.append((response.status_code, response.json()))
        except BaseException as error:  # reported by the test thread below
            errors.append(error)
            stop.set()

    # A token per reader: each stays well under the per-token rate limit.
    readers = [
        threading.Thread(target=read, args=(exchange.token("switch.clerk", "clerk", "mr"),))
        for _ in range(READERS)
    ]
    for reader in readers:
        reader.start()
    try:
        for day, name in enumerate(NEW_NAMES, start=1):
            version = _publish_corrected_name(exchange.home, person, name, day)
            truth[version] = _truth(version, person)
            assert truth[version].name == name
            _wait_until_served(answers, version, errors)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not errors, errors

    failed = [(status, body) for status, body in answers if status != 200]
    assert not failed, failed[:3]
    seen: set[int] = set()
    for _, body in answers:
        version = body["snapshot_version"]
        seen.add(version)
        field = next(f for f in body["fields"] if f["field"] == NAME_FIELD)
        assert (field["value"], field["provenance"]["batch"]) == (
            truth[version].name,
            truth[version].batch,
        ), f"an answer numbered v{version} mixed in another version's value"
    assert seen == set(truth), f"answers came from {sorted(seen)}, published {sorted(truth)}"


def _version() -> int:
    snapshot = current_version(settings.current().serving)
    assert snapshot is not None
    return snapshot.version


def _truth(version: int, person: str) -> Truth:
    """The applicant's current name and its batch, read from that version's own file."""
    path = settings.current().serving / f"pool_v{version}.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        name, batch = con.execute(
            "SELECT name, _batch FROM ps_population WHERE id_number = ? AND _valid_to IS NULL",
            [person],
        ).fetchall()[0]
    return Truth(name, str(batch))


def _publish_corrected_name(home: Path, person: str, name: str, day: int) -> int:
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
        delivery.write_bytes(_csv([c.aliases[0] for c in contract.columns], row.values()))
        file = LandingFile(delivery, contract.id, contract.department)
        batch = land_file(con, file, contract, settings.current().scratch).file_hash
        report = certify_batch(con, contract, batch)
        assert (report.status, report.rows_new_versions) == ("certified", 1), report
        return publish(con, settings.current().certified, settings.current().serving).version


def _csv(header: list[str], values: Any) -> bytes:
    """One record as the population register delivers it: GBK, comma separated."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(
        v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else v for v in values
    )
    return text.getvalue().encode("gbk")


def _wait_until_served(
    answers: list[tuple[int, dict[str, Any]]], version: int, errors: list[BaseException]
) -> None:
    """Until the readers got enough answers from `version`, while the others are in flight."""
    deadline = time.monotonic() + SWITCH_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not errors:
        served = sum(1 for _, body in list(answers) if body.get("snapshot_version") == version)
        if served >= ANSWERS_PER_VERSION:
            return
        time.sleep(0.05)
    raise AssertionError(f"v{version} was not served within {SWITCH_TIMEOUT_SECONDS:.0f} s")
