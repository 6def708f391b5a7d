"""The clerk routes over HTTP, against a pool built by the real pipeline and the sample
directory: lookup, prefill, bundles, key normalisation, masking, as-of reads, batch
verification, refusals and the audit trail."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from onceonly_cli.main import app as cli
from tests.api.conftest import Exchange
from tests.directory.fixtures import steward as steward_actor
from tests.directory.raw_sql import connect

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记 (mr): needs population and real estate


@pytest.fixture(scope="module")
def client(exchange: Exchange) -> Iterator[TestClient]:
    with TestClient(create_app(directory=exchange.directory)) as started:
        yield started


@pytest.fixture(scope="module")
def clerk(exchange: Exchange) -> dict[str, str]:
    return exchange.token("test.clerk", "clerk", "mr")


@pytest.fixture(scope="module")
def case(exchange: Exchange) -> str:
    """An open case of market regulation's 个体工商户设立登记 in the centre's register."""
    return exchange.case(SOLE_PROPRIETOR)


def test_prefill_fills_fields_with_provenance_and_saves_materials(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    answer = client.get(
        "/v1/prefill",
        params={"service_item": SOLE_PROPRIETOR, "subject": exchange.person, "case_no": case},
        headers=clerk,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    fields = {f["field"]: f for f in body["fields"]}
    assert fields["经营者身份证号"]["value"] == exchange.person
    name = fields["经营者姓名"]
    assert name["value"] and name["provenance"]["resource"] == "ps_population"
    assert name["provenance"]["department_name"] == "公安局"
    assert name["provenance"]["batch"] and name["provenance"]["certified_at"]
    materials = {m["material"]: m for m in body["materials"]}
    assert materials["经营者身份证明"]["no_longer_needed"] is True
    assert materials["个体工商户登记申请书"]["reason_code"] == "applicant_brings"
    assert body["materials_no_longer_needed"] >= 2


def test_keys_are_normalised_like_the_pipeline(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    spaced = " ".join([exchange.person[:6], exchange.person[6:14], exchange.person[14:]])
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in exchange.person).lower()
    for raw in (spaced, full_width):
        answer = client.get(
            "/v1/prefill",
            params={"service_item": SOLE_PROPRIETOR, "subject": raw, "case_no": case},
            headers=clerk,
        )
        assert answer.json()["subject"] == exchange.person


def test_invalid_key_says_what_to_check(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    wrong = exchange.person[:-1] + ("0" if exchange.person[-1] != "0" else "1")
    answer = client.get(
        "/v1/prefill",
        params={"service_item": SOLE_PROPRIETOR, "subject": wrong, "case_no": case},
        headers=clerk,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "subject_bad_check_char"
    assert "18" in answer.json()["message"]


def test_lookup_returns_only_needed_items(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    answer = client.get(
        f"/v1/subjects/{exchange.person}",
        params={"service_item": SOLE_PROPRIETOR, "case_no": case},
        headers=clerk,
    ).json()
    people = next(r for r in answer["resources"] if r["resource"] == "ps_population")
    (record,) = people["records"]
    assert set(record["items"]) == {"id_number", "name", "gender", "address"}
    assert "household_no" not in record["items"]


def test_case_number_and_service_item_are_required(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    missing = client.get(
        f"/v1/subjects/{exchange.person}", params={"service_item": SOLE_PROPRIETOR}, headers=clerk
    )
    assert missing.status_code == 422
    unknown = client.get(
        f"/v1/subjects/{exchange.person}",
        params={"service_item": "9999999999", "case_no": case},
        headers=clerk,
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_service_item"


def test_other_roles_are_refused_and_the_refusal_is_logged(
    exchange: Exchange,
    client: TestClient,
) -> None:
    analyst = exchange.token("test.analyst", "analyst", "gsc")
    refused = client.get(
        f"/v1/subjects/{exchange.person}",
        params={"service_item": SOLE_PROPRIETOR, "case_no": "ZZ-REFUSED-1"},
        headers=analyst,
    )
    assert refused.status_code == 403 and refused.json()["code"] == "role_may_not_read"
    entries = exchange.directory.audit.entries(user="test.analyst")
    assert [(e.outcome, e.case_no) for e in entries] == [("refused", "ZZ-REFUSED-1")]


def test_every_read_is_audited_and_who_read_my_data_sees_it(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
) -> None:
    client.get(
        "/v1/prefill",
        params={
            "service_item": SOLE_PROPRIETOR,
            "subject": exchange.person,
            "case_no": exchange.case(SOLE_PROPRIETOR, 1),
        },
        headers=clerk,
    )
    auditor = exchange.token("test.auditor", "auditor", "gsc")
    reads = client.get(f"/v1/subjects/{exchange.person}/reads", headers=auditor).json()
    mine = [r for r in reads if r["case_no"] == exchange.case(SOLE_PROPRIETOR, 1)]
    assert mine and mine[0]["department"] == "mr" and "ps_population" in mine[0]["resources"]
    assert client.get(f"/v1/subjects/{exchange.person}/reads", headers=clerk).status_code == 403


def test_as_of_reads_see_the_pool_as_it_was(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    params = {"service_item": SOLE_PROPRIETOR, "subject": exchange.person, "case_no": case}
    # The day after the case was received, before the pool was certified.
    before = client.get(
        "/v1/prefill", params=params | {"as_of": "2026-11-22T00:00:00"}, headers=clerk
    ).json()
    assert all(f["provenance"] is None for f in before["fields"])
    now = client.get(
        "/v1/prefill", params=params | {"as_of": dt.datetime.now().isoformat()}, headers=clerk
    ).json()
    assert any(f["provenance"] for f in now["fields"])


def test_batch_verification(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    body = {
        "service_item": SOLE_PROPRIETOR,
        "case_no": case,
        "subjects": [exchange.person, "123", exchange.person.lower()],
    }
    answer = client.post("/v1/subjects/verify", json=body, headers=clerk).json()
    first, bad, lower = answer["results"]
    assert first["valid_key"] and "ps_population" in first["found_in"]
    assert not bad["valid_key"] and bad["problem"] == "bad_length"
    assert lower["normalised"] == exchange.person
    too_many = body | {"subjects": [exchange.person] * 1001}
    assert client.post("/v1/subjects/verify", json=too_many, headers=clerk).status_code == 422


def test_bundle_asks_each_fact_and_material_once(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
) -> None:
    answer = client.post(
        "/v1/prefill/bundle",
        json={
            "bundle": "open_restaurant",
            "subject": exchange.person,
            # A case of 企业设立登记, the bundle's item market regulation handles.
            "case_no": exchange.case("4101000001"),
        },
        headers=clerk,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    facts = [(f["resource"], f["item"]) for f in body["fields"]]
    assert len(facts) == len(set(facts))
    materials = [m["material"] for m in body["materials"]]
    assert len(materials) == len(set(materials))
    assert len(body["service_items"]) >= 2


def test_objection_flags_the_value_until_resolved(
    exchange: Exchange,
    client: TestClient,
    clerk: dict[str, str],
    case: str,
) -> None:
    filed = client.post(
        "/v1/objections",
        json={
            "subject": exchange.person,
            "resource": "ps_population",
            "item": "address",
            "claimed_value": "郑州市金水区花园路8号",
            "note": "申请人出示了新户口簿",
            "service_item": SOLE_PROPRIETOR,
            "case_no": exchange.case(SOLE_PROPRIETOR, 2),
        },
        headers=clerk,
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["provider_department"] == "ps"

    def people_items() -> dict[str, dict[str, object]]:
        answer = client.get(
            f"/v1/subjects/{exchange.person}",
            params={"service_item": SOLE_PROPRIETOR, "case_no": case},
            headers=clerk,
        ).json()
        people = next(r for r in answer["resources"] if r["resource"] == "ps_population")
        return people["records"][0]["items"]

    items = people_items()
    assert items["address"]["objections"][0]["claimed_value"] == "郑州市金水区花园路8号"
    assert items["name"]["objections"] == []
    exchange.directory.objections.resolve(
        filed.json()["id"], steward_actor("ps"), "rejected", "户籍地址以公安户籍系统为准"
    )
    exchange.directory.objections.invalidate()
    assert people_items()["address"]["objections"] == []


def test_signed_extract_verifies_and_breaks_when_changed(
    exchange: Exchange, client: TestClient, clerk: dict[str, str]
) -> None:
    issued = client.post(
        "/v1/extracts",
        json={
            "kind": "prefill",
            "service_item": SOLE_PROPRIETOR,
            "subject": exchange.person,
            "case_no": exchange.case(SOLE_PROPRIETOR, 3),
        },
        headers=clerk,
    )
    assert issued.status_code == 200, issued.text
    document = issued.json()
    assert (
        document["extract"]["case_no"] == exchange.case(SOLE_PROPRIETOR, 3)
        and document["extract"]["fields"]
    )
    ok = client.post("/v1/extracts/verify", json=document, headers=clerk).json()
    assert ok["valid"] is True
    document["extract"]["fields"][0]["value"] = "篡改"
    bad = client.post("/v1/extracts/verify", json=document, headers=clerk).json()
    assert bad["valid"] is False


def test_stewards_see_their_quarantine_batches_and_gate_results(
    exchange: Exchange, client: TestClient
) -> None:
    ps = exchange.token("test.ps.steward", "steward", "ps")
    batches = client.get("/v1/quality/ps_population/batches", headers=ps).json()
    assert batches and batches[0]["status"] == "certified"
    assert set(batches[0]["scores"]) >= {"validity", "completeness"}
    rows = client.get("/v1/quality/ps_population/quarantine", headers=ps).json()
    assert rows and rows[0]["rule_ids"] and rows[0]["reasons"] and rows[0]["delivered"]
    gate = client.get(
        f"/v1/quality/ps_population/validations/{batches[0]['batch'][:12]}", headers=ps
    ).json()
    assert gate and all(v["success"] for v in gate)
    mr = exchange.token("test.mr.steward", "steward", "mr")
    assert client.get("/v1/quality/ps_population/quarantine", headers=mr).status_code == 403


def test_a_missing_grant_is_refused_per_resource_and_logged(
    exchange: Exchange, client: TestClient
) -> None:
    # 最低生活保障申请 (ca) asked for provident-fund data; the request is still pending.
    ca_clerk = exchange.token("test.ca.clerk", "clerk", "ca")
    answer = client.get(
        "/v1/prefill",
        params={
            "service_item": "4101000021",
            "subject": exchange.person,
            "case_no": exchange.case("4101000021"),
        },
        headers=ca_clerk,
    ).json()
    materials = {m["material"]: m for m in answer["materials"]}
    assert materials["住房公积金缴存证明"]["reason_code"] == "no_grant"
    assert materials["住房公积金缴存证明"]["no_longer_needed"] is False
    assert any(
        r["resource"] == "hpf_account" and r["code"] == "no_grant" for r in answer["refused"]
    )
    (entry,) = exchange.directory.audit.entries(user="test.ca.clerk")
    assert entry.outcome == "partial" and "hpf_account" in entry.reason


def test_a_read_that_cannot_be_logged_is_not_answered(
    exchange: Exchange, clerk: dict[str, str]
) -> None:
    params = {
        "service_item": SOLE_PROPRIETOR,
        "subject": exchange.person,
        "case_no": exchange.case(SOLE_PROPRIETOR, 4),
    }
    app = create_app(directory=exchange.directory)
    with TestClient(app, raise_server_exceptions=False) as failing:
        with connect(exchange.directory) as connection:
            connection.execute("ALTER TABLE audit_entries RENAME TO audit_hidden")
        try:
            answer = failing.get("/v1/prefill", params=params, headers=clerk)
        finally:
            with connect(exchange.directory) as connection:
                connection.execute("ALTER TABLE audit_hidden RENAME TO audit_entries")
        assert answer.status_code == 500 and exchange.person not in answer.text
        assert failing.get("/v1/prefill", params=params, headers=clerk).status_code == 200


def test_concurrent_reads_are_each_logged_and_the_chain_verifies(
    exchange: Exchange, clerk: dict[str, str]
) -> None:
    loads = [exchange.case(SOLE_PROPRIETOR, 10 + n) for n in range(60)]

    async def load() -> list[int]:
        app = create_app(directory=exchange.directory)
        transport = httpx.ASGITransport(app=app)
        # httpx's transport sends no lifespan events: the app is started by hand.
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://exchange") as client,
        ):

            async def read(n: int) -> int:
                route = "/v1/prefill" if n % 2 else f"/v1/subjects/{exchange.person}"
                params = {"service_item": SOLE_PROPRIETOR, "case_no": loads[n]}
                if n % 2:
                    params["subject"] = exchange.person
                return (await client.get(route, params=params, headers=clerk)).status_code

            return await asyncio.gather(*(read(n) for n in range(60)))

    assert set(asyncio.run(load())) == {200}
    logged = {e.case_no for e in exchange.directory.audit.entries(user="test.clerk", limit=None)}
    assert set(loads) <= logged
    exchange.token("audit.reader", "auditor", "gsc")
    verified = CliRunner().invoke(cli, ["audit", "verify", "--as", "audit.reader"])
    assert verified.exit_code == 0, verified.output
