"""A delivery certified region shard by region shard: the same rows as certified whole, rows
accounted per shard and in total, and a failed shard holding back only itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contracts.keys import normalize_id_number
from contracts.model import KeyRole
from contracts.shards import DIGITS, NO_REGION, shard_column, shard_names, shard_of_key
from pipelines.certify.sharded import PARTLY, certify_delivery
from pipelines.landing.schema import landed_shards
from snapshot.quality import LAST_CERTIFIED
from tests.pipelines.certify.support import CONTRACTS, Pool, person
from tests.pipelines.landing import feeds

pytestmark = pytest.mark.usefixtures("province_shards")

T1 = dt.datetime(2026, 11, 20, 9, 0)
T2 = dt.datetime(2026, 11, 21, 9, 0)
REGIONS = {"11": "110105", "41": "410102", "44": "440106"}


def resident(region: str, sequence: int, **kw: str) -> list[str]:
    """A population row with an ID number issued in `region` (six digits)."""
    row = person(sequence=f"{sequence:03d}", name=f"居民{sequence}", **kw)
    row[0] = feeds.id_number(region=region, sequence=f"{sequence:03d}")
    return row


def several_provinces(*, bare_in: str | None = None) -> list[list[str]]:
    """Residents of three provinces, with a bad key, a wrong gender and an exact copy;
    `bare_in`: that province's addresses all missing (its gate fails)."""
    rows = []
    for province, region in REGIONS.items():
        address = {"address": ""} if province == bare_in else {}
        rows += [resident(region, n, **address) for n in range(1, 40, 2)]
    bad_check = resident(REGIONS["44"], 201)
    bad_check[0] = bad_check[0][:-1] + ("0" if bad_check[0][-1] != "0" else "1")
    rows += [bad_check, resident(REGIONS["11"], 203, gender="女"), list(rows[0])]
    return rows


def test_the_shard_is_the_province_of_the_normalised_key() -> None:
    legacy = "110105" + "900307" + "123"  # a 15-digit number: normalised to 18, same region
    assert shard_of_key(normalize_id_number(legacy), KeyRole.id_number) == "11"
    assert shard_of_key(feeds.id_number(region="440106"), KeyRole.id_number) == "44"
    assert shard_of_key(feeds.credit_code(region="310115"), KeyRole.credit_code) == "31"
    assert shard_of_key(None, KeyRole.id_number) == NO_REGION
    column = shard_column(CONTRACTS["ps_population"])
    assert column is not None and column.name == "id_number"
    # Case numbers key the cases' history: the applicant's region may change, so one shard.
    assert shard_column(CONTRACTS["gsc_cases"]) is None


def test_the_level_decides_how_much_of_the_region_code_names_the_shard() -> None:
    key = feeds.id_number(region="410105")
    assert [shard_of_key(key, KeyRole.id_number, level) for level in DIGITS] == [
        NO_REGION,
        "41",
        "4101",
    ]
    assert shard_names("none") == (NO_REGION,)
    assert len(shard_names("province")) == 35 and shard_names("province")[-1] == NO_REGION
    prefectures = shard_names("prefecture")
    assert {"1101", "4101", "4403", "3101", NO_REGION} <= set(prefectures)
    assert all(len(s) == 4 for s in prefectures if s != NO_REGION)
    # Every key a province shard holds falls in one of that province's prefecture shards.
    assert all(s[:2] in shard_names("province") for s in prefectures)


def test_certified_per_shard_is_certified_whole(tmp_path: Path) -> None:
    whole, sharded = Pool(tmp_path / "whole"), Pool(tmp_path / "sharded")
    first, second = several_provinces(), several_provinces()
    second[1][1] = "更正"  # a correction in province 11
    reports = []
    for rows, now, name in (
        (first, T1, "人口基本信息_20261120.csv"),
        (second, T2, "人口基本信息_20261121.csv"),
    ):
        expected = whole.deliver(rows, name=name, now=now)
        batch = sharded.land(rows, name=name)
        with sharded.connect() as con:
            assert landed_shards(con, CONTRACTS["ps_population"], batch) == ["00", "11", "41", "44"]
            delivery = certify_delivery(con, CONTRACTS["ps_population"], batch, now=now)
        reports.append(delivery)
        total = delivery.total
        assert delivery.accounted and total.status == "certified"
        for field in ("rows_landed", "rows_certified", "rows_quarantined", "rows_duplicate"):
            assert getattr(total, field) == getattr(expected, field), field
        assert total.rows_new_versions == expected.rows_new_versions
        assert total.scores == pytest.approx(expected.scores)
    first_shards = {s.shard: s for s in reports[0].shards}
    assert first_shards["00"].rows_quarantined == 1 and first_shards["00"].rows_certified == 0
    assert first_shards["11"].rows_duplicate == 1 and first_shards["11"].rows_quarantined == 1
    assert first_shards["44"].rows_certified == first_shards["41"].rows_certified == 20
    for table in ("certified.ps_population", "certified.quality.quarantine"):
        assert sharded.query(f"SELECT * FROM {table} ORDER BY ALL") == whole.query(
            f"SELECT * FROM {table} ORDER BY ALL"
        ), table
    assert sharded.query(
        "SELECT shard, rows_landed, rows_certified + rows_quarantined + rows_duplicate "
        "FROM certified.quality.shards WHERE batch = ? ORDER BY shard",
        [reports[0].total.batch],
    ) == [(s.shard, s.rows_landed, s.rows_landed) for s in reports[0].shards]


def test_a_failed_shard_holds_back_only_itself(tmp_path: Path) -> None:
    pool = Pool(tmp_path)
    batch = pool.land(several_provinces(bare_in="41"))
    with pool.connect() as con:
        delivery = certify_delivery(con, CONTRACTS["ps_population"], batch, now=T1)
    by_shard = {s.shard: s.status for s in delivery.shards}
    assert by_shard == {
        "00": "certified",
        "11": "certified",
        "41": "gate_failed",
        "44": "certified",
    }
    assert delivery.total.status == PARTLY and delivery.accounted
    assert delivery.total.rows_certified == 20 + 20  # provinces 11 and 44
    assert pool.query(
        "SELECT DISTINCT substring(id_number, 1, 2) FROM certified.ps_population ORDER BY 1"
    ) == [("11",), ("44",)]
    # Its certified regions serve, so the resource counts as certified, and the failure shows.
    in_pool = LAST_CERTIFIED.replace("quality.", "certified.quality.")
    [(_, last_certified)] = pool.query(in_pool)
    [(failures,)] = pool.query("SELECT gate_failures FROM certified.quality.batches")
    assert last_certified is not None and failures and failures[0].startswith("41:")
    # Delivered again, nothing is certified twice: the recorded outcome is returned.
    with pool.connect() as con:
        again = certify_delivery(con, CONTRACTS["ps_population"], batch, now=T2)
    assert again.total.status == f"already {PARTLY}"
    assert [s.status for s in again.shards] == [f"already {s}" for s in by_shard.values()]


def test_an_empty_delivery_is_one_shard_and_recorded(tmp_path: Path) -> None:
    whole, sharded = Pool(tmp_path / "whole"), Pool(tmp_path / "sharded")
    expected = whole.deliver([], now=T1)
    batch = sharded.land([])
    with sharded.connect() as con:
        assert landed_shards(con, CONTRACTS["ps_population"], batch) == [NO_REGION]
        delivery = certify_delivery(con, CONTRACTS["ps_population"], batch, now=T1)
    assert delivery.total.status == expected.status and delivery.total.rows_landed == 0
    assert sharded.query("SELECT count(*) FROM certified.quality.batches") == [(1,)]
