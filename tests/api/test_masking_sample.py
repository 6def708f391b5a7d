"""Masking as the sample shows it, over HTTP: the same sensitive item, 月缴费基数 of the social
insurance record, read by two departments' clerks under their own grants.

个人住房贷款申请 (hpf) holds a grant of the insurance record as a whole, which names no item,
so its clerk sees the value masked, with the reason; 最低生活保障申请 (ca) holds a grant that
names the item, so its clerk sees it in full. The printed extract keeps the mask.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.exchange.answers import mask
from api.main import create_app
from tests.api.conftest import Exchange
from tests.api.extract_files import pdf_text

LOAN = "4101000031"  # 住房公积金个人住房贷款申请 (hpf)
ALLOWANCE = "4101000021"  # 最低生活保障申请 (ca)
FIELD = "月缴费基数"


@pytest.fixture(scope="module")
def client(exchange: Exchange) -> Iterator[TestClient]:
    with TestClient(create_app(directory=exchange.directory)) as opened:
        yield opened


def insured(exchange: Exchange) -> tuple[str, Decimal]:
    """A resident whose current insurance records (one per insurance type) all carry the
    same contribution base, whichever of them the prefill shows."""
    with duckdb.connect(str(exchange.home / "serving" / "current.duckdb"), read_only=True) as con:
        key, base = con.execute(
            "SELECT h.id_number, any_value(h.monthly_base) FROM hrss_insurance h "
            "JOIN ps_population p ON p.id_number = h.id_number AND p._valid_to IS NULL "
            "WHERE h._valid_to IS NULL GROUP BY h.id_number "
            "HAVING count(DISTINCT h.monthly_base) = 1 AND count(h.monthly_base) = count(*) "
            "ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
    return str(key), base


def read(
    client: TestClient, exchange: Exchange, who: str, department: str, item: str
) -> dict[str, object]:
    subject, _ = insured(exchange)
    answer = client.post(
        "/v1/prefill",
        json={"service_item": item, "subject": subject, "case_no": exchange.case(item, 21)},
        headers=exchange.token(who, "clerk", department),
    )
    assert answer.status_code == 200, answer.text
    return next(f for f in answer.json()["fields"] if f["field"] == FIELD)


def test_a_clerk_whose_grant_does_not_name_the_item_sees_it_masked_with_why(
    client: TestClient, exchange: Exchange
) -> None:
    _, base = insured(exchange)
    field = read(client, exchange, "mask.hpf.clerk", "hpf", LOAN)
    assert field["masked"] is True
    assert field["value"] == mask(base) and field["value"] != str(base)
    reason = str(field["masked_reason"])
    assert "sensitive item" in reason and "does not name it" in reason
    assert field["provenance"] is not None  # a value, certified, only masked


def test_a_clerk_whose_grant_names_the_item_sees_it_in_full(
    client: TestClient, exchange: Exchange
) -> None:
    _, base = insured(exchange)
    field = read(client, exchange, "mask.ca.clerk", "ca", ALLOWANCE)
    assert field["masked"] is False and field["masked_reason"] is None
    assert Decimal(str(field["value"])) == base


def test_the_printed_extract_keeps_the_mask(client: TestClient, exchange: Exchange) -> None:
    subject, base = insured(exchange)
    answer = client.post(
        "/v1/extracts/pdf",
        json={
            "kind": "prefill",
            "service_item": LOAN,
            "subject": subject,
            "case_no": exchange.case(LOAN, 22),
        },
        headers=exchange.token("mask.hpf.printer", "clerk", "hpf"),
    )
    assert answer.status_code == 200, answer.text
    text = pdf_text(answer.content)
    assert f"{mask(base)}（已脱敏" in text
    assert str(base) not in text
