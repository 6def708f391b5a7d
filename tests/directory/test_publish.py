"""The whole catalogue as JSON and as DCAT-style JSON-LD for the upper-level platform."""

from __future__ import annotations

import datetime as dt
import json

from directory.publish import as_dcat, as_json
from directory.store import Directory
from tests.directory.fixtures import seeded

AT = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)


def test_json_export_has_every_entry_with_version_and_figures(sample: Directory) -> None:
    code = seeded(sample, "mr_enterprise")
    sample.figures.record(code, "企业登记信息_20261119.xlsx", AT, 0.987, 2000)
    exported = as_json(sample.entries.all(), sample.figures.all(), AT)
    assert exported["count"] == 9 == len(exported["entries"])
    by_code = {e["code"]: e for e in exported["entries"]}
    assert by_code[code]["version"] == 2
    assert by_code[code]["figures"]["certified_rows"] == 2000
    assert by_code[code]["legal_basis"] == ""
    json.dumps(exported, ensure_ascii=False)  # plain JSON all the way down


def test_dcat_jsonld(sample: Directory) -> None:
    document = as_dcat(sample.entries.all(), AT, "https://data.example.gov.cn/directory")
    assert document["@type"] == "dcat:Catalog"
    assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    datasets = {d["dct:identifier"]: d for d in document["dcat:dataset"]}
    population = datasets["301001/000001"]
    assert population["@id"] == "https://data.example.gov.cn/directory/resources/301001/000001"
    assert population["@type"] == "dcat:Dataset"
    assert population["dct:title"] == {"@language": "zh", "@value": "人口基本信息"}
    assert population["dct:publisher"]["foaf:name"]["@value"] == "公安局"
    assert population["dct:accrualPeriodicity"]["@id"] == "http://purl.org/cld/freq/daily"
    assert population["dct:accessRights"]["@id"] == "oo:conditional"
    assert population["dct:issued"] == {"@value": "2026-01-15", "@type": "xsd:date"}
    assert population["dct:conformsTo"]["@id"].endswith("/contracts/ps_population/1.0.0")
    assert {d["dct:format"] for d in population["dcat:distribution"]} == {"api"}
    assert [r["@id"].rsplit("/", 2)[-2:] for r in population["dct:relation"]] == [
        ["304001", "000001"],
        ["303001", "000001"],
    ]
    items = {i["oo:name"]: i for i in population["oo:dataItem"]}
    assert items["id_number"]["oo:classification"] == "personal"
    assert datasets["307001/000001"]["oo:openToPublic"] is True
