"""The printable extract and its public verification page, over real HTTP against a live
exchange built by the real pipeline: a clerk prints a PDF, its text says who, what and from
where, its QR code (decoded from the rendered page) opens the public page without a token,
and an extract altered by one byte is not valid there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from api import extract_seal
from api.main import create_app
from api.signing import DEFAULT_CENTRE, ExtractSigner
from onceonly_cli.main import app as cli
from tests.api.conftest import Exchange
from tests.api.extract_files import pdf_text, qr_url
from tests.live_server import ANSWER_SECONDS, serving_in_thread

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记 (mr): needs population and real estate


@pytest.fixture(scope="module")
def live(exchange: Exchange) -> Iterator[str]:
    with serving_in_thread(create_app(directory=exchange.directory)) as url:
        yield url


@pytest.fixture(scope="module")
def clerk(exchange: Exchange) -> dict[str, str]:
    return exchange.token("pdf.clerk", "clerk", "mr")


def owner_name(exchange: Exchange) -> str:
    with duckdb.connect(str(exchange.home / "serving" / "current.duckdb"), read_only=True) as con:
        (name,) = con.execute(
            "SELECT name FROM ps_population WHERE id_number = ? AND _valid_to IS NULL",
            [exchange.person],
        ).fetchall()[0]
    return str(name)


def ask(exchange: Exchange, n: int) -> dict[str, Any]:
    return {
        "kind": "prefill",
        "service_item": SOLE_PROPRIETOR,
        "subject": exchange.person,
        "case_no": exchange.case(SOLE_PROPRIETOR, n),
    }


def test_a_clerk_prints_an_extract_that_anyone_can_verify(
    exchange: Exchange, live: str, clerk: dict[str, str]
) -> None:
    answer = httpx.post(
        f"{live}/v1/extracts/pdf", json=ask(exchange, 11), headers=clerk, timeout=ANSWER_SECONDS
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    pdf = answer.content
    text = pdf_text(pdf)
    url = qr_url(pdf)
    extract_id = urlsplit(url).path.rsplit("/", 1)[1]
    assert url.startswith(f"{live}/verify/{extract_id}?d=")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="extract-{extract_id}.pdf"'
    )
    # The centre, the subject, each value with where it came from, the ids and the key.
    for expected in (
        DEFAULT_CENTRE,
        exchange.person,
        "个体工商户设立登记",
        exchange.case(SOLE_PROPRIETOR, 11),
        "经营者姓名",
        owner_name(exchange),
        "公安局",
        "人口基本信息",
        "免提交材料",
        extract_id,
        ExtractSigner().key_id,
        "签名指纹",
    ):
        assert expected in text, expected
    # The QR code names nothing personal.
    assert exchange.person not in url and owner_name(exchange) not in url

    # Anyone opens it, without a token: valid, and the issuer; nothing personal.
    page = httpx.get(url, timeout=ANSWER_SECONDS)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "有效" in page.text and "无效" not in page.text
    assert DEFAULT_CENTRE in page.text and extract_id in page.text
    assert exchange.person not in page.text and owner_name(exchange) not in page.text

    # The same issue as the JSON extract: admitted, answered and logged alike.
    (entry,) = exchange.directory.audit.entries(user="pdf.clerk", action="extract.issue")
    assert entry.outcome in {"served", "partial"} and "ps_population" in entry.resources


def test_an_extract_altered_by_one_byte_is_not_valid(
    exchange: Exchange, live: str, clerk: dict[str, str], tmp_path: Path
) -> None:
    issued = httpx.post(
        f"{live}/v1/extracts", json=ask(exchange, 12), headers=clerk, timeout=ANSWER_SECONDS
    )
    assert issued.status_code == 200, issued.text
    document = issued.json()
    file = tmp_path / "extract.json"
    file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    # Printed at the centre from the JSON it issued: the same seal as over HTTP.
    printed = CliRunner().invoke(cli, ["extract", "pdf", str(file), "--base-url", live])
    assert printed.exit_code == 0, printed.output
    url = qr_url(file.with_suffix(".pdf").read_bytes())
    assert httpx.get(url, timeout=ANSWER_SECONDS).text.count("有效") >= 1
    assert "无效" not in httpx.get(url, timeout=ANSWER_SECONDS).text

    # One byte of the extract changed: its digest no longer matches the centre's seal.
    altered = json.loads(json.dumps(document))
    name = next(f for f in altered["extract"]["fields"] if f["field"] == "经营者姓名")
    name["value"] = name["value"][:-1] + ("甲" if name["value"][-1] != "甲" else "乙")
    parts = urlsplit(url)
    token = parse_qs(parts.query)["t"][0]
    forged = extract_seal.Seal(
        altered["extract"]["extract_id"], extract_seal.digest_of(altered["extract"]), token
    )
    page = httpx.get(forged.url(live), timeout=ANSWER_SECONDS)
    assert page.status_code == 200 and "无效" in page.text
    assert "已被改动" in page.text
    # Nor does the centre print an altered extract.
    file.write_text(json.dumps(altered, ensure_ascii=False), encoding="utf-8")
    refused = CliRunner().invoke(cli, ["extract", "pdf", str(file), "--base-url", live])
    assert refused.exit_code == 1 and "changed after it was signed" in refused.output


def test_the_pdf_is_refused_and_logged_like_the_json_extract(exchange: Exchange, live: str) -> None:
    anonymous = httpx.post(f"{live}/v1/extracts/pdf", json=ask(exchange, 13))
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "token_missing"
    steward = exchange.token("pdf.steward", "steward", "ps")
    refused = httpx.post(
        f"{live}/v1/extracts/pdf", json=ask(exchange, 13), headers=steward, timeout=ANSWER_SECONDS
    )
    assert refused.status_code == 403
    (entry,) = exchange.directory.audit.entries(user="pdf.steward")
    assert entry.outcome == "refused" and entry.action == "extract.issue"


def test_a_damaged_code_is_not_valid_and_checks_are_logged_without_personal_data(
    exchange: Exchange, live: str, clerk: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    pdf = httpx.post(
        f"{live}/v1/extracts/pdf", json=ask(exchange, 14), headers=clerk, timeout=ANSWER_SECONDS
    ).content
    url = qr_url(pdf)
    with caplog.at_level(logging.INFO, logger="onceonly.verify"):
        damaged = httpx.get(url[:-3], timeout=ANSWER_SECONDS)
        unknown = httpx.get(url.replace("/verify/", "/verify/0"), timeout=ANSWER_SECONDS)
    assert "无效" in damaged.text and "不完整或已损坏" in damaged.text
    assert "无效" in unknown.text
    logged = [r.getMessage() for r in caplog.records]
    assert any("not_issued" in line or "malformed" in line for line in logged)
    query = urlsplit(url).query
    for secret in (exchange.person, parse_qs(query)["t"][0], parse_qs(query)["d"][0]):
        assert all(secret not in line for line in logged)


def test_the_verify_page_is_rate_limited_per_address(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCEONLY_VERIFY_RATE_LIMIT", "0.5")  # a burst of 5, then one per 2 s
    with serving_in_thread(create_app(directory=exchange.directory)) as url:
        statuses = [
            httpx.get(f"{url}/verify/{'0' * 32}", timeout=ANSWER_SECONDS).status_code
            for _ in range(30)
        ]
    assert statuses[0] == 200
    assert 429 in statuses
    limited = statuses.index(429)
    assert limited >= 5  # the burst was served
