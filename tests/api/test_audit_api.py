"""The auditors' audit-log endpoints over HTTP: filters and paging, verification catching an
entry edited in SQL, auditors only (with refusals logged), reads of the log logged, and no
way to change the log through the API."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from directory.actors import Role
from directory.audit import AuditEvent
from directory.store import Directory
from directory.workdays import CHINA
from tests.directory.audit_attacks import rewrite_from, truncate_tail
from tests.directory.fixtures import bearer, open_sample
from tests.directory.raw_sql import connect

ROOT = Path(__file__).resolve().parents[2]

AT = dt.datetime(2026, 11, 20, 10, tzinfo=CHINA)
READ = AuditEvent(
    at=AT,
    user="zhang.min",
    department="mr",
    role="clerk",
    action="prefill",
    outcome="served",
    service_item="4101000001",
    case_no="GSC-2026-000123",
    subject_hash="a" * 64,
    resources=("ps_population",),
    items=("name",),
    request_id="req-1",
)


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    opened.audit.append_many(
        [
            READ,
            dataclasses.replace(READ, at=AT + dt.timedelta(hours=1), department="hrss"),
            dataclasses.replace(
                READ,
                at=AT + dt.timedelta(hours=2),
                outcome="refused",
                items=(),
                reason="hpf_account: no grant",
                subject_hash="b" * 64,
            ),
        ]
    )
    yield opened
    opened.close()


@pytest.fixture
def client(sample: Directory) -> Iterator[TestClient]:
    with TestClient(create_app()) as started:
        yield started


def test_auditor_lists_with_filters_and_pages(client: TestClient, sample: Directory) -> None:
    auditor = bearer(sample, "liu.shen", Role.auditor, "gsc")
    url = "/v1/audit/entries"
    page = client.get(url, params={"limit": 2}, headers=auditor).json()
    assert [e["sequence"] for e in page["entries"]] == [3, 2] and page["next_offset"] == 2
    rest = client.get(url, params={"limit": 2, "offset": 2}, headers=auditor).json()
    assert [e["sequence"] for e in rest["entries"]] == [2, 1] and rest["next_offset"] is None
    refused = client.get(url, params={"outcome": "refused"}, headers=auditor).json()["entries"]
    assert [(e["sequence"], e["reason"]) for e in refused] == [(3, "hpf_account: no grant")]
    by_subject = client.get(url, params={"subject_hash": "a" * 64}, headers=auditor).json()
    assert [e["department"] for e in by_subject["entries"]] == ["hrss", "mr"]
    window = {"since": "2026-11-20T10:30:00", "until": "2026-11-20T12:00:00+08:00"}
    timed = client.get(url, params=window, headers=auditor).json()["entries"]
    assert [e["sequence"] for e in timed] == [2]  # a time without a zone is China time
    mr_reads = {"user": "zhang.min", "department": "mr", "outcome": "served"}
    (entry,) = client.get(url, params=mr_reads, headers=auditor).json()["entries"]
    assert entry["items"] == ["name"] and entry["case_no"] == "GSC-2026-000123"
    reads = client.get(url, params={"action": "audit.read", "limit": 1000}, headers=auditor)
    logged = reads.json()["entries"]
    assert len(logged) == 6 and {e["user"] for e in logged} == {"liu.shen"}
    assert "subject_hash=" + "a" * 64 in " ".join(e["reason"] for e in logged)
    bad = client.get(url, params={"subject_hash": "not-a-hash", "limit": 0}, headers=auditor)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    assert {p["field"] for p in bad.json()["problems"]} == {"subject_hash", "limit"}


def test_verify_finds_an_entry_edited_in_sql(client: TestClient, sample: Directory) -> None:
    auditor = bearer(sample, "liu.shen", Role.auditor, "gsc")
    intact = client.get("/v1/audit/verify", headers=auditor).json()
    assert intact["ok"] and intact["checked"] == intact["head_sequence"] == 3
    with connect(sample) as connection:
        connection.execute("UPDATE audit_entries SET outcome = 'served' WHERE sequence = 3")
    broken = client.get("/v1/audit/verify", headers=auditor).json()
    assert not broken["ok"] and broken["first_bad_sequence"] == 3
    assert broken["checked"] == 2 and "outcome changed" in broken["problem"]


@pytest.mark.parametrize(
    ("user", "role", "department"),
    [
        ("clerk1", Role.clerk, "mr"),
        ("mr_steward", None, ""),
        ("analyst1", Role.analyst, "gsc"),
        ("centre_admin", None, ""),
    ],
)
def test_only_auditors_read_the_log_and_refusals_are_logged(
    client: TestClient, sample: Directory, user: str, role: Role | None, department: str
) -> None:
    headers = bearer(sample, user, role, department)
    for path in ("/v1/audit/entries", "/v1/audit/verify"):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
    logged = sample.audit.entries(user=user)
    assert [(e.action, e.outcome) for e in logged] == [("audit.read", "refused")] * 2
    assert "may not read the audit log" in logged[0].reason
    assert client.get("/v1/audit/entries").status_code == 401


def test_no_endpoint_changes_the_log(client: TestClient, sample: Directory) -> None:
    auditor = bearer(sample, "liu.shen", Role.auditor, "gsc")
    admin = bearer(sample, "centre_admin")
    paths = client.get("/openapi.json").json()["paths"]
    audit_paths = {p: set(ops) for p, ops in paths.items() if p.startswith("/v1/audit")}
    assert audit_paths == {"/v1/audit/entries": {"get"}, "/v1/audit/verify": {"get"}}
    before = sample.audit.verify()
    for headers in (auditor, admin):
        for method in ("post", "put", "patch", "delete"):
            for path in ("/v1/audit/entries", "/v1/audit/entries/1", "/v1/audit/prune"):
                answer = client.request(method, path, headers=headers, json={"outcome": "x"})
                assert answer.status_code in (404, 405), (method, path)
    after = sample.audit.verify()
    assert after.ok
    # The log only grew: every attempt is a refusal appended after what was there before.
    kept = {e.sequence: e.hash for e in sample.audit.entries(limit=None)}
    assert kept[before.head_sequence] == before.head_hash
    attempts = sample.audit.entries(limit=None, action="api.request")
    assert len(attempts) == after.head_sequence - before.head_sequence == 2 * 4 * 3
    assert {e.outcome for e in attempts} == {"refused"}


def test_verify_reports_a_cut_off_tail_and_a_rewritten_chain(
    client: TestClient, sample: Directory
) -> None:
    auditor = bearer(sample, "liu.shen", Role.auditor, "gsc")
    for n in range(3):  # entries #4 to #6, each in its own commit group
        sample.audit.append(dataclasses.replace(READ, request_id=f"more-{n}"))
    truncate_tail(sample, keep=4)
    cut = client.get("/v1/audit/verify", headers=auditor).json()
    assert (cut["ok"], cut["first_bad_sequence"], cut["signed_sequence"]) == (False, 5, 6)
    assert "entries #5 to #6 are missing" in cut["problem"]


def test_verify_reports_an_entry_rewritten_with_every_later_hash(
    client: TestClient, sample: Directory
) -> None:
    auditor = bearer(sample, "liu.shen", Role.auditor, "gsc")
    for n in range(3):
        sample.audit.append(dataclasses.replace(READ, request_id=f"more-{n}"))
    rewrite_from(sample, 5, outcome="refused")
    rewritten = client.get("/v1/audit/verify", headers=auditor).json()
    assert (rewritten["ok"], rewritten["first_bad_sequence"], rewritten["checked"]) == (
        False,
        5,
        4,
    )
    assert "entry #5 was edited after it was signed" in rewritten["problem"]


def test_a_mixed_load_still_verifies(client: TestClient, sample: Directory) -> None:
    """Served and refused requests over HTTP, appends from threads and from another process
    writing the same log and the same signed heads: all of it verifies, every head signed."""
    auditor = bearer(sample, "liu.shen", Role.auditor, "gsc")
    clerk = bearer(sample, "mixed.clerk", Role.clerk, "mr")
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER_WRITER, "150"], cwd=ROOT, env={**os.environ}
    )

    def append(thread: int) -> None:
        for n in range(60):
            sample.audit.append(dataclasses.replace(READ, request_id=f"t{thread}-{n}"))

    threads = [threading.Thread(target=append, args=(t,)) for t in range(3)]
    for thread in threads:
        thread.start()
    for n in range(20):
        assert client.get("/v1/audit/entries", headers=auditor).status_code == 200
        assert client.get("/v1/audit/entries", headers=clerk).status_code == 403
        assert client.get("/v1/resources", headers={"Authorization": f"Bearer x{n}"}).is_error
    for thread in threads:
        thread.join()
    assert other.wait(timeout=600) == 0  # an upper bound before it is called hung
    answer = client.get("/v1/audit/verify", headers=auditor).json()
    assert answer["ok"], answer["problem"]
    assert answer["checked"] == answer["head_sequence"] == answer["signed_sequence"]
    assert answer["head_sequence"] == 3 + 150 + 3 * 60 + 20 * 3


_OTHER_WRITER = """
import dataclasses, sys
from directory.store import open_directory
from tests.api.test_audit_api import READ
directory = open_directory()
for n in range(int(sys.argv[1])):
    directory.audit.append(dataclasses.replace(READ, user="other.process"))
directory.close()
"""
