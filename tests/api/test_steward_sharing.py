"""The steward API over HTTP: service items and mappings, bundles, the once-only figure,
share requests from submission to revocation, and the grant check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from directory.actors import Role
from directory.store import Directory
from directory.workdays import local_today
from tests.directory.fixtures import ADMIN, bearer, open_sample, seeded

PEOPLE = "301001/000001"
ITEM = "4101000007"  # 药品零售企业经营许可 (mr): no requests in the sample


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


@pytest.fixture
def client(sample: Directory) -> Iterator[TestClient]:
    with TestClient(create_app()) as started:
        yield started


def map_item(sample: Directory) -> None:
    """ITEM checks the applicant's identity and tax standing (the sample leaves it unmapped):
    a share request asks for what the service item's map draws on, nothing more."""
    sample.services.set_mapping(
        ITEM,
        {
            "materials": [
                {
                    "name": "法定代表人身份证明",
                    "replaced_by": [
                        {"resource": PEOPLE, "item": "id_number"},
                        {"resource": PEOPLE, "item": "name"},
                    ],
                },
                {
                    "name": "纳税信用证明",
                    "replaced_by": [
                        {"resource": seeded(sample, "tax_standing"), "item": "credit_code"},
                        {"resource": seeded(sample, "tax_standing"), "item": "credit_level"},
                    ],
                },
            ]
        },
        ADMIN,
    )


def test_service_items_mappings_and_the_figure(client: TestClient, sample: Directory) -> None:
    clerk = bearer(sample, "clerk1", Role.clerk, "mr")
    on = {"on": "2026-11-20"}
    item = client.get("/v1/directory/service-items/4101000001", params=on, headers=clerk).json()
    assert item["item"]["name"] == "企业设立登记" and item["item"]["kind"] == "promised"
    assert (item["figure"]["materials_replaced"], item["figure"]["materials_total"]) == (3, 5)
    assert item["mapping"]["form_fields"][0]["source"]["resource"] == PEOPLE
    mr_items = client.get(
        "/v1/directory/service-items", params={"department": "mr", **on}, headers=clerk
    ).json()
    assert {i["item"]["department"] for i in mr_items} == {"mr"} and len(mr_items) == 7
    overall = client.get("/v1/directory/once-only", params=on, headers=clerk).json()
    assert overall["materials_total"] >= 60 and 0 < overall["share"] < 1
    bundle = client.get("/v1/directory/bundles/open_restaurant", params=on, headers=clerk).json()
    assert [i["code"] for i in bundle["items"]] == bundle["bundle"]["service_items"]
    assert f"{PEOPLE}:id_number" in bundle["prefill"]


def test_editing_a_mapping(client: TestClient, sample: Directory) -> None:
    mr = bearer(sample, "mr_steward")
    firms = seeded(sample, "mr_enterprise")
    mapping = {
        "materials": [
            {"name": "药品经营许可申请书"},
            {"name": "营业执照", "replaced_by": [{"resource": firms, "item": "credit_code"}]},
        ],
        "form_fields": [{"name": "企业名称", "source": {"resource": firms, "item": "nam"}}],
    }
    url = f"/v1/directory/service-items/{ITEM}/mapping"
    rejected = client.put(url, headers=mr, json=mapping)
    assert rejected.status_code == 422
    problem = rejected.json()["problems"][0]
    assert problem["field"] == "form_fields[0].source.item"
    assert problem["fix"].startswith("use one of: credit_code, name")
    mapping["form_fields"][0]["source"]["item"] = "name"
    saved = client.put(url, headers=mr, json=mapping).json()
    assert saved["figure"]["materials_replaced"] == 1 and saved["updated_by"] == "mr_steward"
    other = client.put(url, headers=bearer(sample, "ps_steward"), json=mapping)
    assert other.status_code == 403
    renamed = client.put(
        f"/v1/directory/service-items/{ITEM}",
        headers=mr,
        json=dict(saved["item"], code="4101000008"),
    )
    assert renamed.status_code == 422 and renamed.json()["problems"][0]["field"] == "code"


def test_a_share_request_from_submission_to_revocation(
    client: TestClient, sample: Directory
) -> None:
    map_item(sample)
    mr, ps = bearer(sample, "mr_steward"), bearer(sample, "ps_steward")
    clerk = bearer(sample, "clerk1", Role.clerk, "mr")
    asked = client.post(
        "/v1/directory/share-requests",
        headers=mr,
        json={
            "resource_code": PEOPLE,
            "service_item_code": ITEM,
            "items": ["id_number", "name"],
            "purpose": "核验法定代表人身份",
            "legal_basis": "《药品管理法》",
        },
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["requester_department"], request["overdue"]) == (
        "pending",
        "mr",
        False,
    )
    check = {
        "department": "mr",
        "resource": PEOPLE,
        "service_item": ITEM,
        "items": ["id_number", "name"],
    }
    assert (
        client.get("/v1/directory/grants/check", params=check, headers=clerk).json()["allowed"]
        is False
    )
    incoming = client.get(
        "/v1/directory/share-requests",
        params={"direction": "incoming", "status": "pending"},
        headers=ps,
    ).json()
    assert request["id"] in [r["id"] for r in incoming]
    not_provider = client.post(
        f"/v1/directory/share-requests/{request['id']}/approve",
        headers=mr,
        json={"valid_until": "2099-12-31"},
    )
    assert not_provider.status_code == 403
    until = (local_today() + dt.timedelta(days=365)).isoformat()
    approved = client.post(
        f"/v1/directory/share-requests/{request['id']}/approve",
        headers=ps,
        json={"valid_until": until, "daily_quota": 500, "note": "仅限核验"},
    ).json()
    assert approved["status"] == "granted" and approved["daily_quota"] == 500
    assert [e["action"] for e in approved["events"]] == ["submitted", "approved"]
    decision = client.get("/v1/directory/grants/check", params=check, headers=clerk).json()
    assert decision == {
        "allowed": True,
        "reason": f"granted by request #{request['id']}",
        "request_id": request["id"],
        "daily_quota": 500,
    }
    again = client.post(
        f"/v1/directory/share-requests/{request['id']}/reject", headers=ps, json={"reason": "晚了"}
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    revoked = client.post(
        f"/v1/directory/share-requests/{request['id']}/revoke",
        headers=ps,
        json={"reason": "暂停核查"},
    ).json()
    assert revoked["status"] == "revoked"
    assert (
        client.get("/v1/directory/grants/check", params=check, headers=clerk).json()["allowed"]
        is False
    )
    shown = client.get(f"/v1/directory/share-requests/{request['id']}", headers=clerk).json()
    assert [e["action"] for e in shown["events"]] == ["submitted", "approved", "revoked"]


def test_rejections_and_refusals(client: TestClient, sample: Directory) -> None:
    map_item(sample)
    mr, ps = bearer(sample, "mr_steward"), bearer(sample, "ps_steward")
    body = {
        "resource_code": PEOPLE,
        "service_item_code": ITEM,
        "items": ["name"],
        "purpose": "核验",
        "legal_basis": "《药品管理法》",
    }
    request = client.post("/v1/directory/share-requests", headers=mr, json=body).json()
    empty = client.post(
        f"/v1/directory/share-requests/{request['id']}/reject", headers=ps, json={"reason": ""}
    )
    assert empty.status_code == 422 and empty.json()["problems"][0]["field"] == "reason"
    rejected = client.post(
        f"/v1/directory/share-requests/{request['id']}/reject",
        headers=ps,
        json={"reason": "用途不明确"},
    ).json()
    assert (rejected["status"], rejected["note"]) == ("rejected", "用途不明确")
    own = client.post(
        "/v1/directory/share-requests",
        headers=mr,
        json=dict(body, resource_code=seeded(sample, "mr_enterprise")),
    )
    assert own.status_code == 409 and own.json()["code"] == "own_resource"
    unconditional = client.post(
        "/v1/directory/share-requests",
        headers=mr,
        json=dict(
            body,
            resource_code=seeded(sample, "tax_standing"),
            items=["credit_code", "credit_level"],
            legal_basis="",
        ),
    ).json()
    assert unconditional["status"] == "granted" and unconditional["valid_until"] is None


def test_a_request_beyond_minimum_necessary_is_refused(
    client: TestClient, sample: Directory
) -> None:
    mr = bearer(sample, "mr_steward")
    food_licence = {
        "service_item_code": "4101000006",  # 食品经营许可 (mr)
        "purpose": "核验",
        "legal_basis": "《食品安全法》",
    }
    balance = client.post(
        "/v1/directory/share-requests",
        headers=mr,
        json=food_licence | {"resource_code": seeded(sample, "hpf_account"), "items": ["balance"]},
    )
    assert balance.status_code == 422, balance.text
    (problem,) = balance.json()["problems"]
    assert problem["field"] == "service_item_code" and "needs nothing of" in problem["message"]
    address = client.post(
        "/v1/directory/share-requests",
        headers=mr,
        json=food_licence | {"resource_code": PEOPLE, "items": ["id_number", "address"]},
    )
    assert address.status_code == 422
    (problem,) = address.json()["problems"]
    assert problem["field"] == "items[1]" and "does not need address" in problem["message"]
    assert problem["fix"] == "leave it out; the service item needs: id_number, name"
    theirs = client.post(
        "/v1/directory/share-requests",
        headers=mr,
        json=food_licence
        | {"service_item_code": "4101000033", "resource_code": PEOPLE, "items": ["name"]},
    )
    assert theirs.status_code == 409 and theirs.json()["code"] == "service_item_not_handled"
    outgoing = client.get(
        "/v1/directory/share-requests", params={"direction": "outgoing"}, headers=mr
    ).json()
    assert not [r for r in outgoing if r["status"] == "pending" and r["items"] == ["balance"]]
