"""`onceonly ingest` end to end: real Dagster runs into real DuckDB files.

The summary shows each failure in the words of the run's log; a format the contract lists is
landed by its content; an ingest that certifies nothing publishes nothing; a bad row delivered
again stays one open quarantine entry; and every row read is accounted for.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from contracts.registry import bundled_contracts
from onceonly_cli.main import app
from pipelines.asset_keys import SNAPSHOT_KEY
from pipelines.instance import get_instance
from pipelines.landing.errors import LandingError
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import land_file
from tests.onceonly_cli.test_empty_home import flat
from tests.pipelines.certify.support import HEADER, people, person
from tests.pipelines.landing import feeds
from tests.pipelines.landing.test_file_types import INSURANCE_HEADER, insurance_rows

runner = CliRunner()
CONTRACTS = bundled_contracts()


def ingest(code: int = 0) -> str:
    result: Result = runner.invoke(app, ["ingest"])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return flat(result.output)


def drop(home: Path, contract_id: str, name: str) -> Path:
    contract = CONTRACTS[contract_id]
    folder = home / "landing" / contract.department / contract_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def certified(home: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(home / "pool" / "certified.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def snapshot_versions(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "serving").glob("pool_v*.duckdb"))


def snapshot_materialisations() -> int:
    records = get_instance().fetch_materializations(SNAPSHOT_KEY, limit=100).records
    return len(records)


def loader_message(tmp_path: Path, path: Path, contract_id: str) -> str:
    """What the landing run itself raises (and logs) for `path`, from a scratch pool."""
    contract = CONTRACTS[contract_id]
    with (
        duckdb.connect(str(tmp_path / "scratch.duckdb")) as con,
        pytest.raises(LandingError) as raised,
    ):
        land_file(
            con, LandingFile(path, contract_id, contract.department), contract, tmp_path / "tmp"
        )
    return str(raised.value)


def assert_accounted(home: Path) -> None:
    """Every row read is landed or rejected; every landed row certified, quarantined or a
    duplicate; the counts add up per file and per batch."""
    with duckdb.connect(str(home / "pool" / "pool.duckdb"), read_only=True) as con:
        files = con.execute(
            "SELECT file_hash, rows_read, rows_landed, rows_rejected FROM landing.files"
        ).fetchall()
    assert files and all(read == landed + rejected for _, read, landed, rejected in files)
    batches = certified(
        home,
        "SELECT batch, rows_landed, rows_certified + rows_quarantined + rows_duplicate "
        "FROM quality.batches",
    )
    landed = {file_hash: rows for file_hash, _, rows, _ in files}
    assert {b: n for b, n, _ in batches} == landed
    assert all(n == split for _, n, split in batches)


def test_failures_show_the_message_of_the_run_log(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    workbook = feeds.write_excel(
        drop(onceonly_home, "mr_enterprise", "企业登记信息_20261120.xlsx"),
        ["统一社会信用代码", "企业名称"],
        [[feeds.credit_code(), "郑州云帆科技有限公司"]] * 50,
        "企业登记信息",
    )
    workbook.write_bytes(workbook.read_bytes()[: workbook.stat().st_size // 2])
    empty_parquet = drop(onceonly_home, "nr_real_estate", "不动产登记信息_20261120.parquet")
    empty_parquet.write_bytes(b"")
    cut_parquet = feeds.write_parquet(
        drop(onceonly_home, "nr_real_estate", "不动产登记信息_20261121.parquet"),
        {"不动产权证号": ["a"] * 100, "权利人证件号": [feeds.id_number()] * 100},
    )
    cut_parquet.write_bytes(cut_parquet.read_bytes()[:-40])
    bracketed = feeds.write_csv(
        drop(onceonly_home, "ps_population", "人口基本信息_20261120.csv"),
        ["foo", "bar"],
        [["1", "2"]],
        "utf-8",
    )
    output = ingest(code=1)
    for path, contract_id in (
        (workbook, "mr_enterprise"),
        (empty_parquet, "nr_real_estate"),
        (cut_parquet, "nr_real_estate"),
        (bracketed, "ps_population"),
    ):
        assert f"{contract_id} {flat(loader_message(tmp_path, path, contract_id))}" in output
    assert "the workbook cannot be opened (invalid Zip archive" in output
    assert "the file is empty (0 bytes)" in output
    assert "not found in the header row [foo, bar]" in output
    assert "DESCRIBE" not in output and "^^^" not in output and "Traceback" not in output
    assert "不动产登记信息_20261121.parquet: the Parquet file cannot be read" in output
    assert str(cut_parquet) not in output  # the department's file name, not this host's path


def test_formats_the_contract_lists_land_by_content_and_others_are_refused_plainly(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")  # the summary and status tables cut nothing at 80
    for name in ("社会保险参保信息_20261120.xlsx", "社会保险参保信息_20261121.csv"):
        rows = insurance_rows() if name.endswith("20.xlsx") else [insurance_rows()[0]]
        feeds.write_excel(drop(onceonly_home, "hrss_insurance", name), INSURANCE_HEADER, rows, "")
    feeds.write_excel(
        drop(onceonly_home, "ps_population", "人口基本信息_20261120.xlsx"),
        feeds.POPULATION_HEADER,
        feeds.population_rows(),
        "人口基本信息",
    )
    output = ingest(code=1)
    assert "not landed" not in output and "does not match" not in output
    assert "UTF-8" not in output
    assert "…" not in output and "resource hrss_insurance" in output
    assert (
        "ps_population 人口基本信息_20261120.xlsx: the file is an Excel workbook (.xlsx), but "
        "its contract expects CSV text (.csv, .txt, .tsv). Ask the department to deliver CSV "
        "text; or, if it may deliver an Excel workbook from now on, list excel in the "
        "contract's source.formats"
    ) in output
    assert certified(
        onceonly_home, "SELECT file_name, rows_certified FROM quality.batches ORDER BY 1"
    ) == [("社会保险参保信息_20261120.xlsx", 2), ("社会保险参保信息_20261121.csv", 1)]
    assert_accounted(onceonly_home)


def test_an_ingest_that_certifies_nothing_publishes_nothing(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    feeds.write_csv(
        drop(onceonly_home, "ps_population", "人口基本信息_1.csv"), HEADER, people(3), "gbk"
    )
    assert "published snapshot v1" in ingest()
    manifest = (onceonly_home / "serving" / "current.json").read_text(encoding="utf-8")
    assert snapshot_versions(onceonly_home) == ["pool_v1.duckdb"]
    assert snapshot_materialisations() == 1

    assert "nothing new certified, snapshot v1 keeps serving" in ingest()
    drop(onceonly_home, "ps_population", "人口基本信息_2.csv").write_bytes(b"")
    assert "nothing new certified, snapshot v1 keeps serving" in ingest(code=1)
    assert snapshot_versions(onceonly_home) == ["pool_v1.duckdb"]
    assert (onceonly_home / "serving" / "current.json").read_text(encoding="utf-8") == manifest
    assert snapshot_materialisations() == 1

    feeds.write_csv(
        drop(onceonly_home, "ps_population", "人口基本信息_3.csv"), HEADER, people(2, 10), "gbk"
    )
    assert "published snapshot v2" in ingest(code=1)  # the empty file still fails
    assert json.loads((onceonly_home / "serving" / "current.json").read_text())["version"] == 2
    assert snapshot_materialisations() == 2


def test_a_bad_row_delivered_again_stays_one_open_quarantine_entry(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    unknown_gender = person(sequence="401", gender="未知")
    feeds.write_csv(
        drop(onceonly_home, "ps_population", "人口基本信息_20261120.csv"),
        HEADER,
        [*people(3), unknown_gender],
        "gbk",
    )
    ingest()
    # A new file: new rows, one exact copy, and the same bad row again.
    feeds.write_csv(
        drop(onceonly_home, "ps_population", "人口基本信息_20261121.csv"),
        HEADER,
        [*people(2, 20), unknown_gender, people(2, 20)[0]],
        "gbk",
    )
    output = ingest()
    assert "published snapshot v2" in output
    batches = certified(
        onceonly_home,
        "SELECT file_name, rows_landed, rows_certified, rows_quarantined, rows_duplicate "
        "FROM quality.batches ORDER BY file_name",
    )
    assert batches == [
        ("人口基本信息_20261120.csv", 4, 3, 1, 0),
        ("人口基本信息_20261121.csv", 4, 2, 1, 1),
    ]
    open_entries = certified(
        onceonly_home,
        "SELECT file_name, rule_ids FROM quality.quarantine WHERE status = 'open'",
    )
    assert len(open_entries) == 1 and open_entries[0][0] == "人口基本信息_20261120.csv"
    assert "ps_population.gender_enum" in open_entries[0][1]
    assert_accounted(onceonly_home)
    # Corrected at the source, the row certifies and its one entry is resolved.
    feeds.write_csv(
        drop(onceonly_home, "ps_population", "人口基本信息_20261122.csv"),
        HEADER,
        [person(sequence="401")],
        "gbk",
    )
    ingest()
    assert certified(
        onceonly_home, "SELECT status, count(*) FROM quality.quarantine GROUP BY 1"
    ) == [("resolved", 1)]
    assert_accounted(onceonly_home)
