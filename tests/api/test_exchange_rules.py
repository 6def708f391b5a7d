"""Two rules of the exchange over HTTP, on a pool built by the real pipeline: a sensitive item
is masked unless the grant names it, and a record held in quarantine is named, with the rule
it broke, where its material would have been replaced.

The sample has neither case for a clerk (its grants name every item they cover, and the small
pool has no quarantined property), so each test makes one through the real components: a
steward reclassifies an item, the service item comes to need the whole resource (so minimum
necessary allows a whole-resource grant) and the grant is replaced by one; the land registry
delivers a property record with an impossible date."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.exchange.answers import mask
from api.exchange.catalogue import REFRESH_SECONDS
from api.main import create_app
from contracts.model import Classification
from directory.sharing import RequestStatus
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending, publish_snapshot
from tests.api.conftest import Exchange, copied_exchange
from tests.directory.fixtures import steward

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记 (mr): population and real estate
REAL_ESTATE = "nr/nr_real_estate"
BROKEN_DATE = "2026-02-30"  # 登记日期 that no calendar has: rule registered_date.type


@dataclass
class Pool:
    exchange: Exchange
    owner: str  # a resident whose only property record is in quarantine


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Pool]:
    with copied_exchange(tmp_path_factory, "rules", backend) as built:
        yield Pool(built, _deliver_a_broken_property(built.home))


def _deliver_a_broken_property(home: Path) -> str:
    """The land registry's next full extract: every record again, plus one for a resident who
    owned nothing, whose registration date does not exist. Landed, certified and published."""
    with duckdb.connect(str(home / "serving" / "current.duckdb"), read_only=True) as con:
        owner = con.execute(
            "SELECT id_number FROM ps_population WHERE _valid_to IS NULL AND id_number NOT IN "
            "(SELECT owner_key FROM nr_real_estate) ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
    (first,) = (home / "landing" / REAL_ESTATE).glob("*.parquet")
    delivered = pq.read_table(first)
    record = {
        "不动产权证号": "豫(2026)郑州市不动产权第0099001号",
        "权利人证件号": owner,
        "权利人": "测试",
        "权利人类型": "个人",
        "坐落": "郑州市金水区花园路1号",
        "建筑面积": 88.5,
        "用途": "商业",
        "登记日期": BROKEN_DATE,
        "抵押状态": "否",
    }
    extract = pa.concat_tables([delivered, pa.Table.from_pylist([record], delivered.schema)])
    pq.write_table(extract, first.with_name("不动产登记信息_20261121.parquet"))
    defs = build_definitions()
    land_pending(defs, get_instance())
    publish_snapshot(defs, get_instance())
    return str(owner)


@pytest.fixture(scope="module")
def client(pool: Pool) -> Iterator[TestClient]:
    with TestClient(create_app(directory=pool.exchange.directory)) as started:
        yield started


@pytest.fixture(scope="module")
def clerk(pool: Pool) -> dict[str, str]:
    return pool.exchange.token("rules.clerk", "clerk", "mr")


def test_a_quarantined_record_is_named_with_the_rule_it_broke(
    pool: Pool, client: TestClient, clerk: dict[str, str]
) -> None:
    answer = client.get(
        "/v1/prefill",
        params={
            "service_item": SOLE_PROPRIETOR,
            "subject": pool.owner,
            "case_no": pool.exchange.case(SOLE_PROPRIETOR),
        },
        headers=clerk,
    )
    assert answer.status_code == 200, answer.text
    materials = {m["material"]: m for m in answer.json()["materials"]}
    premises = materials["经营场所使用证明"]
    assert premises["no_longer_needed"] is False and premises["reason_code"] == "quarantined"
    assert "registered_date.type" in premises["reason"] and "登记日期" in premises["reason"]
    assert materials["经营者身份证明"]["no_longer_needed"] is True
    fields = {f["field"]: f for f in answer.json()["fields"]}
    assert fields["经营场所"]["value"] is None
    assert "registered_date.type" in fields["经营场所"]["missing_reason"]
    # Other owners' property still replaces the material.
    owner = client.get(
        "/v1/prefill",
        params={
            "service_item": SOLE_PROPRIETOR,
            "subject": pool.exchange.person,
            "case_no": pool.exchange.case(SOLE_PROPRIETOR, 1),
        },
        headers=clerk,
    ).json()
    premises = next(m for m in owner["materials"] if m["material"] == "经营场所使用证明")
    assert premises["reason_code"] == "replaced"


def test_a_sensitive_item_is_masked_unless_the_grant_names_it(
    pool: Pool, client: TestClient, clerk: dict[str, str]
) -> None:
    directory = pool.exchange.directory
    person = pool.exchange.person
    people = directory.entries.by_contract("ps_population")
    assert people is not None
    items = [
        i.model_copy(update={"classification": Classification.sensitive}) if i.name == "name" else i
        for i in people.document.data_items
    ]
    directory.entries.patch(
        people.code,
        {"data_items": [i.model_dump(mode="json") for i in items]},
        people.version,
        steward("ps"),
        "姓名列为敏感项",
    )
    time.sleep(REFRESH_SECONDS + 0.1)  # the API's catalogue cache picks the edit up
    pool_file = pool.exchange.home / "serving" / "current.duckdb"
    with duckdb.connect(str(pool_file), read_only=True) as con:
        (name,) = con.execute(
            "SELECT name FROM ps_population WHERE id_number = ? AND _valid_to IS NULL", [person]
        ).fetchall()[0]

    def read(case: str) -> tuple[dict[str, object], dict[str, object]]:
        params = {"service_item": SOLE_PROPRIETOR, "case_no": case}
        prefill = client.get("/v1/prefill", params=params | {"subject": person}, headers=clerk)
        lookup = client.get(f"/v1/subjects/{person}", params=params, headers=clerk)
        assert prefill.status_code == lookup.status_code == 200, prefill.text + lookup.text
        field = next(f for f in prefill.json()["fields"] if f["field"] == "经营者姓名")
        resource = next(r for r in lookup.json()["resources"] if r["resource"] == "ps_population")
        return field, resource["records"][0]["items"]

    # The sample's grant names the items it covers, name among them: shown as it is.
    field, items = read(pool.exchange.case(SOLE_PROPRIETOR, 2))
    assert (field["value"], field["masked"]) == (name, False)
    assert items["name"] == {
        "value": name,
        "masked": False,
        "masked_reason": None,
        "objections": [],
    }

    # The service item comes to need every item of the population (a household register).
    mapping = directory.services.get(SOLE_PROPRIETOR).mapping.model_dump(mode="json")
    mapping["materials"].append(
        {
            "name": "居民户口簿",
            "replaced_by": [
                {"resource": people.code, "item": i.name} for i in people.document.data_items
            ],
        }
    )
    directory.services.set_mapping(SOLE_PROPRIETOR, mapping, steward("mr"))
    # A grant of the whole resource names no item: the sensitive one is masked.
    (named,) = [
        r
        for r in directory.requests.list("mr", "outgoing", RequestStatus.granted)
        if r.resource_code == people.code and r.service_item_code == SOLE_PROPRIETOR
    ]
    directory.requests.revoke(named.id, steward("ps"), "改为整体授权")
    whole = directory.requests.submit(
        steward("mr"),
        "mr",
        people.code,
        SOLE_PROPRIETOR,
        "个体工商户设立登记核验经营者身份和户籍",
        "《促进个体工商户发展条例》",
    )
    assert whole.items is None
    directory.requests.approve(whole.id, steward("ps"), dt.date.today() + dt.timedelta(days=30))
    time.sleep(REFRESH_SECONDS + 0.1)  # the mapping edit, too
    field, items = read(pool.exchange.case(SOLE_PROPRIETOR, 3))
    assert field["masked"] is True and field["value"] == mask(name) != name
    assert items["name"]["masked"] is True and items["name"]["value"] == field["value"]
    assert items["gender"]["masked"] is False  # only the sensitive item
    # Each masked value says why, naming the grant that does not name it.
    assert f"grant #{whole.id} does not name it" in field["masked_reason"]
    assert items["name"]["masked_reason"] == field["masked_reason"]
    assert items["gender"]["masked_reason"] is None
