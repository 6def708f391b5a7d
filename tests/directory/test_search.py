"""Chinese search: substrings and bigrams, ranked by field, filtered, and always current."""

from __future__ import annotations

import pytest

from directory.store import Directory, open_directory
from tests.directory.fixtures import ADMIN, entry, seeded


@pytest.fixture
def catalogue(directory: Directory) -> Directory:
    directory.sync_contracts()
    directory.entries.create(entry(), ADMIN, "t")
    directory.entries.create(
        entry(
            "302009/000003", name="企业设立登记档案", abstract="企业开办材料归档", status="draft"
        ),
        ADMIN,
        "t",
    )
    directory.entries.create(
        entry(
            "302009/000002",
            name="食品生产许可信息",
            abstract="食品生产企业许可证，含统一社会信用代码",
            status="draft",
        ),
        ADMIN,
        "t",
    )
    return directory


def codes(directory: Directory, query: str, **filters: str) -> list[str]:
    return [h.code for h in directory.search.search(query, **filters).hits]


def test_substring_of_a_name(catalogue: Directory) -> None:
    hits = catalogue.search.search("不动产")
    assert [h.name for h in hits.hits] == ["不动产登记信息"]
    assert hits.hits[0].matched[0] == "name"


def test_bigrams_find_words_that_are_not_adjacent(catalogue: Directory) -> None:
    # "企业登记" is not a substring of "企业设立登记档案", but most of its bigrams are in it.
    names = [h.name for h in catalogue.search.search("企业登记").hits]
    assert names[:2] == ["企业登记信息", "企业设立登记档案"]


def test_ranking_name_then_items_then_abstract(directory: Directory) -> None:
    in_abstract = entry("302009/000001", name="食品抽检信息", abstract="含进口冷链食品抽检结果")
    in_items = entry("302009/000002", name="进口食品信息")
    in_items["data_items"][1]["label"] = "冷链追溯码"
    in_name = entry("302009/000003", name="冷链食品经营信息")
    for document in (in_abstract, in_items, in_name):
        directory.entries.create(document, ADMIN, "t")
    hits = directory.search.search("冷链").hits
    assert [h.name for h in hits] == ["冷链食品经营信息", "进口食品信息", "食品抽检信息"]
    assert [h.matched for h in hits] == [("name",), ("data_items",), ("abstract",)]
    assert hits[0].score > hits[1].score > hits[2].score


def test_search_by_data_item_and_department(catalogue: Directory) -> None:
    assert codes(catalogue, "公积金")[0] == seeded(catalogue, "hpf_account")
    assert set(codes(catalogue, "户号")) == {seeded(catalogue, "ps_population")}
    assert len(codes(catalogue, "民政局")) == 2


def test_several_terms_must_all_match(catalogue: Directory) -> None:
    assert [h.name for h in catalogue.search.search("身份证 婚姻").hits] == ["婚姻登记信息"]
    assert catalogue.search.search("婚姻 不动产").total == 0


def test_filters(catalogue: Directory) -> None:
    assert codes(catalogue, "", sharing_type="unconditional") == [
        seeded(catalogue, "mr_enterprise"),
        seeded(catalogue, "tax_standing"),
    ]
    assert len(codes(catalogue, "许可", department="mr", status="published")) == 1
    assert catalogue.search.search("", status="draft").total == 11
    everything = codes(catalogue, "", limit=100)
    assert everything == sorted(everything) and len(everything) == 12
    assert [h.code for h in catalogue.search.search("", limit=3, offset=9).hits] == everything[9:]


def test_full_width_and_case_do_not_matter(catalogue: Directory) -> None:
    assert codes(catalogue, "ＣＲＥＤＩＴ＿ＣＯＤＥ") == codes(catalogue, "credit_code") != []


def test_edits_from_another_process_show_up_at_once(catalogue: Directory) -> None:
    assert catalogue.search.search("冷链").total == 0
    other = open_directory()
    try:
        view = other.entries.get("302009/000001")
        other.entries.patch(
            view.code, {"name": "冷链食品经营许可信息"}, view.version, ADMIN, "改名"
        )
    finally:
        other.close()
    assert [h.name for h in catalogue.search.search("冷链").hits] == ["冷链食品经营许可信息"]
    assert catalogue.search.search("食品经营").hits[0].name == "冷链食品经营许可信息"
