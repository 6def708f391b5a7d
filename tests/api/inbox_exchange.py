"""A department with something of every kind in its inbox, for the inbox and webhook tests.

Social insurance (hrss) on the sample directory and a small hand-made snapshot
(`tests.snapshot.small`, which already records one conflict with the population register):
the snapshot gains a batch the gate failed and two of its rows in open quarantine, and the
directory a share request waiting for hrss and an objection to its data, each at a time of
its own so that the order is known.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from api.deps import current_snapshot, published_snapshot
from api.main import create_app
from directory.actors import Actor, Role
from directory.sharing import RequestStatus
from directory.store import Directory
from directory.workdays import CHINA
from tests.directory.fixtures import open_sample
from tests.live_server import serving_in_thread
from tests.snapshot.small import AT, PERSON, SmallSnapshot, write_small_snapshot

DEPARTMENT = "hrss"
RESOURCE = "hrss_insurance"
FAILED_BATCH = "hrss-b3"
GATE_FAILED_AT = AT + dt.timedelta(days=2)  # after the conflict's batch
QUARANTINED_AT = GATE_FAILED_AT + dt.timedelta(hours=1)
OBJECTED_AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=CHINA)  # then the share request, now
CLERK = Actor("zhang.min", Role.clerk, "mr")


@dataclass
class InboxServer:
    """A live app on the sample directory, serving the inbox snapshot."""

    url: str
    directory: Directory
    snapshot: SmallSnapshot


@contextmanager
def serving_inbox(home: Path, base: Path) -> Iterator[InboxServer]:
    """The sample directory under `base`, the inbox snapshot beside `home`, and an app serving
    both in a thread (the snapshot handed to the routes as the published one)."""
    directory = open_sample(base, home)
    path = home.parent / "inbox.duckdb"
    write_inbox_snapshot(path)
    small = SmallSnapshot(path)
    app = create_app(directory=directory)
    app.dependency_overrides[current_snapshot] = lambda: small
    app.dependency_overrides[published_snapshot] = lambda: small
    try:
        with serving_in_thread(app) as url:
            yield InboxServer(url, directory, small)
    finally:
        directory.close()


def write_inbox_snapshot(path: Path) -> None:
    """The small snapshot, plus a gate failure of hrss_insurance and its quarantined rows."""
    write_small_snapshot(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO quality.batches (contract_id, batch, file_name, department, status, "
            "rows_landed, rows_certified, rows_quarantined, rows_duplicate, gate_success, "
            "gate_failures, certified_at) VALUES (?, ?, ?, ?, 'gate_failed', 2, 0, 2, 0, false, "
            "?, ?)",
            [
                RESOURCE,
                FAILED_BATCH,
                "社会保险参保信息_20261122.csv",
                DEPARTMENT,
                ["rows.completeness"],
                GATE_FAILED_AT,
            ],
        )
        for row in (1, 2):
            raw = {"身份证号码": "", "姓名": f"参保人{row}", "险种": "养老", "参保状态": "正常"}
            con.execute(
                "INSERT INTO quality.quarantine (contract_id, department, batch, file_name, "
                "row_number, record_key, rule_ids, reasons, raw, status, quarantined_at) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, 'open', ?)",
                [
                    RESOURCE,
                    DEPARTMENT,
                    FAILED_BATCH,
                    "社会保险参保信息_20261122.csv",
                    row,
                    ["id_number.required"],
                    ["身份证号码为空"],
                    json.dumps(raw, ensure_ascii=False),
                    QUARANTINED_AT,
                ],
            )


def object_to_a_value(directory: Directory, claimed: str = "张伟") -> int:
    """A clerk's objection to a name in the social insurance records; its number."""
    filed = directory.objections.file(
        CLERK,
        subject_key=PERSON,
        subject_hash=directory.audit.subject_hash(PERSON),
        resource=RESOURCE,
        item="name",
        claimed_value=claimed,
        note=f"申请人身份证记载为“{claimed}”",
        service_item="4101000001",
        case_no="GSC-2026-000123",
        at=OBJECTED_AT,
    )
    return filed.id


def ask_hrss_again(directory: Directory) -> int:
    """Civil affairs' grant of social insurance data is revoked and asked for again: a share
    request waiting for hrss; its number."""
    granted = directory.requests.list(DEPARTMENT, "incoming", RequestStatus.granted)
    (held,) = [r for r in granted if r.requester_department == "ca"]
    directory.requests.revoke(held.id, Actor("hrss_steward", Role.steward, DEPARTMENT), "重新申请")
    again = directory.requests.submit(
        Actor("ca_steward", Role.steward, "ca"),
        held.requester_department,
        held.resource_code,
        held.service_item_code,
        held.purpose,
        held.legal_basis,
        held.items,
    )
    assert again.status is RequestStatus.pending
    return again.id
