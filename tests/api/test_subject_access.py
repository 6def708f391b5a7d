"""Who may read subject data, over HTTP against a pool built by the real pipeline: clerks
only, for service items their own department handles, under a case number in the centre's
format that names an open or recent case of theirs in the case register; every refusal is
one status per rule and an audit entry; the POST forms keep the key out of the URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from onceonly_cli.main import app as cli
from tests.api.conftest import CLOSED_CASE, Exchange

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记: market regulation's (mr)
MIGRATION = "4101000009"  # 户口迁移: public security's (ps), which provides the population

Call = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def client(exchange: Exchange) -> Iterator[TestClient]:
    with TestClient(create_app(directory=exchange.directory)) as started:
        yield started


def subject_calls(person: str, service_item: str, case_no: str) -> dict[str, Call]:
    """Every route that returns or confirms a subject's data, asked for `person`."""
    asked = {"service_item": service_item, "subject": person, "case_no": case_no}
    return {
        "GET prefill": ("GET", "/v1/prefill", {"params": asked}),
        "POST prefill": ("POST", "/v1/prefill", {"json": asked}),
        "GET lookup": (
            "GET",
            f"/v1/subjects/{person}",
            {"params": {"service_item": service_item, "case_no": case_no}},
        ),
        "POST lookup": ("POST", "/v1/subjects/lookup", {"json": asked}),
        "verify": (
            "POST",
            "/v1/subjects/verify",
            {"json": {"service_item": service_item, "case_no": case_no, "subjects": [person]}},
        ),
        "bundle": (
            "POST",
            "/v1/prefill/bundle",
            {"json": {"bundle": "open_restaurant", "subject": person, "case_no": case_no}},
        ),
        "extract": ("POST", "/v1/extracts", {"json": asked | {"kind": "prefill"}}),
    }


def call(client: TestClient, headers: dict[str, str], request: Call) -> Any:
    method, path, options = request
    return client.request(method, path, headers=headers, **options)


@pytest.mark.parametrize(
    ("role", "department", "service_item"),
    [
        ("steward", "ps", MIGRATION),  # the provider's steward, for the provider's own item
        ("steward", "mr", SOLE_PROPRIETOR),
        ("analyst", "gsc", SOLE_PROPRIETOR),
        ("auditor", "gsc", SOLE_PROPRIETOR),
        ("admin", "gsc", SOLE_PROPRIETOR),
    ],
)
def test_roles_without_subject_access_get_403_on_every_subject_route_and_it_is_logged(
    exchange: Exchange, client: TestClient, role: str, department: str, service_item: str
) -> None:
    user = f"access.{role}.{department}"
    headers = exchange.token(user, role, department)
    person = exchange.person
    calls = subject_calls(person, service_item, exchange.case(service_item, 5))
    for name, request in calls.items():
        answer = call(client, headers, request)
        assert answer.status_code == 403, f"{name}: {answer.status_code} {answer.text}"
        assert answer.json()["code"] == "role_may_not_read", name
        assert "clerks" in answer.json()["message"]
        assert person not in answer.text
    entries = exchange.directory.audit.entries(user=user, limit=None)
    assert len(entries) == len(calls)
    assert {e.outcome for e in entries} == {"refused"}
    assert {e.subject_hash for e in entries} == {exchange.directory.audit.subject_hash(person)}
    assert all(e.reason.startswith("role_may_not_read: ") for e in entries)


def test_a_providers_clerk_reads_its_own_data_only_under_its_own_service_items(
    exchange: Exchange, client: TestClient
) -> None:
    ps_clerk = exchange.token("access.ps.clerk", "clerk", "ps")
    person = exchange.person
    # Market regulation's item, under market regulation's case: not public security's read.
    theirs = subject_calls(person, SOLE_PROPRIETOR, exchange.case(SOLE_PROPRIETOR, 6))
    del theirs["bundle"]  # open_restaurant has no item of public security's: below
    for name, request in theirs.items():
        answer = call(client, ps_clerk, request)
        assert answer.status_code == 403, f"{name}: {answer.status_code} {answer.text}"
        assert answer.json()["code"] == "service_item_not_handled", name
        assert "handled by mr, not ps" in answer.json()["message"]
    bundle = call(
        client, ps_clerk, subject_calls(person, MIGRATION, "41010020261121000000")["bundle"]
    )
    assert bundle.status_code == 403 and bundle.json()["code"] == "service_item_not_handled"
    refused = exchange.directory.audit.entries(user="access.ps.clerk", limit=None)
    assert len(refused) == len(theirs) + 1 and {e.outcome for e in refused} == {"refused"}
    # Its own item, under its own case: served, minimum necessary still applies.
    own = client.post(
        "/v1/prefill",
        json={"service_item": MIGRATION, "subject": person, "case_no": exchange.case(MIGRATION)},
        headers=ps_clerk,
    )
    assert own.status_code == 200, own.text
    fields = {f["field"]: f for f in own.json()["fields"]}
    assert fields["公民身份号码"]["value"] == person
    assert fields["姓名"]["provenance"]["resource"] == "ps_population"


BAD_CASE_NUMBERS = {
    "one letter": "x",
    "three spaces": "   ",
    "newline forging a line": "ZZ2026112100001\n#999  2026-01-01 00:00:00  admin",
    "NUL": "ZZ20261121\x0000001",
    "escape sequence": "\x1b[2KZZ2026112100001",
    "right-to-left override": "ZZ\u202e2026112100001",
    "zero-width space": "ZZ2026\u200b112100001",
    "line separator": "ZZ2026112100001\u2028",
    "lower case and punctuation": "zz/2026.11.21",
}


@pytest.mark.parametrize("case_no", BAD_CASE_NUMBERS.values(), ids=BAD_CASE_NUMBERS.keys())
def test_a_case_number_out_of_format_is_refused_and_never_stored_as_given(
    exchange: Exchange, client: TestClient, case_no: str
) -> None:
    user = f"access.clerk.{abs(hash(case_no))}"
    clerk = exchange.token(user, "clerk", "mr")
    # The GET form (the POST form checks alike), which every client has used so far.
    answer = client.get(
        "/v1/prefill",
        params={"service_item": SOLE_PROPRIETOR, "subject": exchange.person, "case_no": case_no},
        headers=clerk,
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "case_no_invalid"
    assert "type the case number exactly as the approval system shows it" in body["message"]
    assert not any(c in body["message"] for c in "\n\r\x00\x1b\u202e\u200b\u2028")
    (entry,) = exchange.directory.audit.entries(user=user)
    assert (entry.outcome, entry.case_no) == ("refused", None)
    assert not any(c in entry.reason for c in "\n\r\x00\x1b\u202e\u200b\u2028")
    exchange.token("audit.reader", "auditor", "gsc")
    listed = CliRunner().invoke(cli, ["audit", "list", "--user", user, "--as", "audit.reader"])
    assert listed.exit_code == 0, listed.output
    assert len(listed.output.splitlines()) == 2  # the entry and the count, nothing forged


def test_a_case_number_names_an_open_or_recent_case_of_the_department_for_the_item(
    exchange: Exchange, client: TestClient
) -> None:
    clerk = exchange.token("access.register.clerk", "clerk", "mr")

    def prefill(case_no: str, as_of: str | None = None) -> Any:
        asked = {"service_item": SOLE_PROPRIETOR, "subject": exchange.person, "case_no": case_no}
        return client.get(
            "/v1/prefill", params=asked | ({"as_of": as_of} if as_of else {}), headers=clerk
        )

    refusals = {
        "41010020261121999999": "case_not_found",  # in format, not in the register
        exchange.case("4101000001"): "case_not_yours",  # mr's, but another service item
        exchange.case("4101000029"): "case_not_yours",  # the provident fund's
    }
    for case_no, code in refusals.items():
        answer = prefill(case_no)
        assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text
        assert "read under the number of the case you are handling" in answer.json()["message"]
    # Completed on 2026-11-03: recent a week later, not two months later.
    closed = exchange.case(SOLE_PROPRIETOR, CLOSED_CASE)
    assert prefill(closed, "2026-11-10T12:00:00+08:00").status_code == 200
    late = prefill(closed, "2027-01-05T12:00:00+08:00")
    assert (late.status_code, late.json()["code"]) == (422, "case_closed")
    # Received on 2026-11-21: no read before it.
    early = prefill(exchange.case(SOLE_PROPRIETOR, 7), "2026-11-15T12:00:00+08:00")
    assert (early.status_code, early.json()["code"]) == (422, "case_not_open")
    entries = exchange.directory.audit.entries(user="access.register.clerk", limit=None)
    assert sorted(e.outcome for e in entries) == ["refused"] * 5 + ["served"]
    assert {e.case_no for e in entries if e.outcome == "refused"} >= set(refusals)


def test_the_case_number_format_is_a_setting(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read when the server starts, as every setting is: an app started with the variable set
    holds the centre's own format."""
    clerk = exchange.token("access.format.clerk", "clerk", "mr")
    monkeypatch.setenv("ONCEONLY_CASE_NUMBER_PATTERN", r"ZZ-\d{4}")
    asked = {"service_item": SOLE_PROPRIETOR, "subject": exchange.person}
    with TestClient(create_app(directory=exchange.directory)) as client:
        register = client.get(
            "/v1/prefill",
            params=asked | {"case_no": exchange.case(SOLE_PROPRIETOR, 8)},
            headers=clerk,
        )
        assert register.status_code == 422 and "(ZZ-\\d{4})" in register.json()["message"]
        # In the format, but the register has no such case.
        posted = client.post("/v1/prefill", json=asked | {"case_no": "ZZ-0001"}, headers=clerk)
        assert posted.json()["code"] == "case_not_found"


def test_post_forms_answer_like_the_get_forms_with_the_key_out_of_the_url(
    exchange: Exchange, client: TestClient
) -> None:
    clerk = exchange.token("access.post.clerk", "clerk", "mr")
    asked = {
        "service_item": SOLE_PROPRIETOR,
        "subject": exchange.person,
        "case_no": exchange.case(SOLE_PROPRIETOR, 9),
    }
    posted = client.post("/v1/prefill", json=asked, headers=clerk)
    got = client.get("/v1/prefill", params=asked, headers=clerk)
    assert posted.status_code == got.status_code == 200, posted.text
    assert posted.json()["fields"] == got.json()["fields"]
    assert exchange.person not in str(posted.request.url)
    looked = client.post("/v1/subjects/lookup", json=asked, headers=clerk)
    assert looked.status_code == 200, looked.text
    people = next(r for r in looked.json()["resources"] if r["resource"] == "ps_population")
    assert people["records"][0]["items"]["id_number"]["value"] == exchange.person
    reads = exchange.directory.audit.entries(user="access.post.clerk", limit=None)
    assert sorted(e.action for e in reads) == ["prefill", "prefill", "subject.lookup"]
    schema = client.get("/openapi.json").json()
    for path in ("/v1/prefill", "/v1/subjects/lookup"):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        properties = schema["components"]["schemas"][name]["properties"]
        assert properties["subject"]["examples"] and properties["case_no"]["examples"]
