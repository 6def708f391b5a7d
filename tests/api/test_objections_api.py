"""The provider steward's objection endpoints over HTTP: their own department's queue only,
one objection, resolution with its rules, errors in the one shape, and every objection shown
(and every refusal) in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from directory.actors import Actor, Role
from directory.objections import ObjectionView
from directory.store import Directory
from tests.directory.fixtures import bearer, open_sample

PERSON = "11010519491231002X"
CLERK = Actor("zhang.min", Role.clerk, "mr")


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


@pytest.fixture
def client(sample: Directory) -> Iterator[TestClient]:
    with TestClient(create_app()) as started:
        yield started


def file(sample: Directory, item: str = "name", claimed: str = "张伟") -> ObjectionView:
    return sample.objections.file(
        CLERK,
        subject_key=PERSON,
        subject_hash=sample.audit.subject_hash(PERSON),
        resource="ps_population",
        item=item,
        claimed_value=claimed,
        note="申请人户口簿记载为“张伟”",
        service_item="4101000001",
        case_no="GSC-2026-000123",
    )


def test_steward_queue_show_and_resolve(client: TestClient, sample: Directory) -> None:
    name, address = file(sample), file(sample, "address", "福州市鼓楼区")
    ps, mr = bearer(sample, "ps_steward"), bearer(sample, "mr_steward")
    queue = client.get("/v1/objections", headers=ps).json()
    assert [(o["id"], o["item"], o["status"]) for o in queue] == [
        (name.id, "name", "open"),
        (address.id, "address", "open"),
    ]
    assert queue[0]["subject_key"] == PERSON and queue[0]["events"][0]["action"] == "filed"
    assert client.get("/v1/objections", headers=mr).json() == []
    shown = client.get(f"/v1/objections/{name.id}", headers=ps).json()
    assert shown["claimed_value"] == "张伟" and shown["provider_department"] == "ps"

    url = f"/v1/objections/{name.id}/resolve"
    no_reason = client.post(url, headers=ps, json={"outcome": "rejected"})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "invalid"
    assert no_reason.json()["problems"][0]["field"] == "reason"
    unknown = client.post(url, headers=ps, json={"outcome": "ignored", "reason": "x"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_request"
    rejected = client.post(url, headers=ps, json={"outcome": "rejected", "reason": "核查无误"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["resolved_by"]) == ("rejected", "ps_steward")
    again = client.post(url, headers=ps, json={"outcome": "corrected_at_source"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    corrected = client.post(
        f"/v1/objections/{address.id}/resolve", headers=ps, json={"outcome": "corrected_at_source"}
    )
    assert corrected.json()["status"] == "corrected_at_source"
    assert client.get("/v1/objections", headers=ps).json() == []
    closed = client.get("/v1/objections", params={"status": "all"}, headers=ps).json()
    assert [o["status"] for o in closed] == ["rejected", "corrected_at_source"]
    only = client.get("/v1/objections", params={"status": "rejected"}, headers=ps).json()
    assert [o["id"] for o in only] == [name.id]
    assert sample.objections.open_items(name.subject_hash) == {}


def test_other_departments_and_roles_are_refused(client: TestClient, sample: Directory) -> None:
    objection = file(sample)
    mr = bearer(sample, "mr_steward")
    shown = client.get(f"/v1/objections/{objection.id}", headers=mr)
    assert shown.status_code == 403 and shown.json()["code"] == "forbidden"
    resolved = client.post(
        f"/v1/objections/{objection.id}/resolve",
        headers=mr,
        json={"outcome": "corrected_at_source"},
    )
    assert resolved.status_code == 403 and "only a steward of ps" in resolved.json()["message"]
    for user, role, department in (
        ("clerk1", Role.clerk, "ps"),
        ("auditor1", Role.auditor, "gsc"),
        ("centre_admin", None, ""),
    ):
        headers = bearer(sample, user, role, department)
        answer = client.get("/v1/objections", headers=headers)
        assert answer.status_code == 403 and answer.json()["code"] == "role_forbidden"
    missing = client.get("/v1/objections/999", headers=bearer(sample, "ps_steward"))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    refusals = sample.audit.entries(user="mr_steward")
    assert [(e.action, e.outcome) for e in refusals] == [
        ("objection.resolve", "refused"),
        ("objection.read", "refused"),
    ]
    assert sample.objections.get(objection.id).status == "open"


def test_what_stewards_see_is_in_who_read_my_data(client: TestClient, sample: Directory) -> None:
    objection = file(sample)
    ps = bearer(sample, "ps_steward", None)
    client.get("/v1/objections", headers=ps, params={"status": "open"})
    shown = client.get(f"/v1/objections/{objection.id}", headers=ps)
    reads = sample.audit.reads_of(sample.audit.subject_hash(PERSON.lower()))
    assert [(r.action, r.user, r.department, r.items) for r in reads] == [
        ("objection.read", "ps_steward", "ps", ("name",)),
        ("objection.queue", "ps_steward", "ps", ("name",)),
    ]
    assert reads[0].resources == ("ps_population",)
    assert reads[0].request_id == shown.headers["x-request-id"]
