"""The whole catalogue as JSON, and as DCAT-style JSON-LD for the upper-level platform.

DCAT is the W3C vocabulary data portals exchange catalogues in; the national and provincial
sharing platforms harvest catalogues, so each entry becomes a dcat:Dataset with Dublin Core
terms, and what DCAT has no term for (sharing type and condition, legal basis, data items) is
kept under this directory's own namespace rather than dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from directory.entries import EntryView
from directory.figures import Figures
from directory.model import EntryDocument, UpdateCycle

DEFAULT_BASE_URI = "urn:onceonly:directory"
_FREQUENCY = {
    UpdateCycle.realtime: "continuous",
    UpdateCycle.daily: "daily",
    UpdateCycle.weekly: "weekly",
    UpdateCycle.monthly: "monthly",
    UpdateCycle.quarterly: "quarterly",
    UpdateCycle.yearly: "annual",
    UpdateCycle.irregular: "irregular",
}


def as_json(
    entries: Sequence[EntryView], figures: dict[str, Figures], at: dt.datetime
) -> dict[str, Any]:
    """Every entry's document with its version and live figures."""
    out = []
    for view in entries:
        figure = figures.get(view.code)
        out.append(
            {
                **view.document.as_json(),
                "version": view.version,
                "updated_at": view.updated_at.isoformat(),
                "updated_by": view.updated_by,
                "figures": None
                if figure is None
                else {
                    "last_batch": figure.last_batch,
                    "certified_at": figure.certified_at.isoformat(),
                    "quality_score": figure.quality_score,
                    "certified_rows": figure.certified_rows,
                },
            }
        )
    return {"exported_at": at.isoformat(), "count": len(out), "entries": out}


def _zh(text: str) -> dict[str, str]:
    return {"@language": "zh", "@value": text}


def _resource(base: str, code: str) -> str:
    return f"{base}/resources/{code}"


def _dataset(document: EntryDocument, version: int, base: str) -> dict[str, Any]:
    d = document
    dataset: dict[str, Any] = {
        "@id": _resource(base, d.code),
        "@type": "dcat:Dataset",
        "dct:identifier": d.code,
        "dct:title": _zh(d.name),
        "dct:description": _zh(d.abstract),
        "dct:publisher": {
            "@type": "foaf:Organization",
            "dct:identifier": d.provider_department,
            "foaf:name": _zh(d.provider_name),
        },
        "dct:accrualPeriodicity": {"@id": f"http://purl.org/cld/freq/{_FREQUENCY[d.update_cycle]}"},
        "dcat:theme": d.classification.prefix,
        "dct:accessRights": {"@id": f"oo:{d.sharing_type.value}"},
        "oo:sharingCondition": d.sharing_condition,
        "oo:legalBasis": d.legal_basis,
        "oo:openToPublic": d.open_to_public,
        "oo:openCondition": d.open_condition,
        "oo:status": d.status.value,
        "oo:steward": d.steward,
        "dcat:version": str(version),
        "dct:relation": [{"@id": _resource(base, c)} for c in d.related_codes],
        "dcat:distribution": [
            {"@type": "dcat:Distribution", "dct:format": method.value}
            for method in d.sharing_methods
        ],
        "oo:dataItem": [
            {
                "oo:name": i.name,
                "rdfs:label": _zh(i.label),
                "oo:dataType": i.type.value,
                "oo:length": i.length,
                "dct:description": _zh(i.description),
                "oo:classification": i.classification.value,
                "oo:sharingType": d.item_sharing_type(i).value,
            }
            for i in d.data_items
        ],
    }
    if d.publish_date is not None:
        dataset["dct:issued"] = {"@value": d.publish_date.isoformat(), "@type": "xsd:date"}
    if d.replaced_by:
        dataset["dct:isReplacedBy"] = {"@id": _resource(base, d.replaced_by)}
    if d.contract_id:
        dataset["dct:conformsTo"] = {
            "@id": f"{base}/contracts/{d.contract_id}/{d.contract_version}"
        }
    return dataset


def as_dcat(
    entries: Sequence[EntryView], at: dt.datetime, base: str = DEFAULT_BASE_URI
) -> dict[str, Any]:
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "oo": f"{base}/ns#",
        },
        "@id": f"{base}/catalogue",
        "@type": "dcat:Catalog",
        "dct:title": _zh("政务信息资源目录"),
        "dct:modified": {"@value": at.isoformat(), "@type": "xsd:dateTime"},
        "dcat:dataset": [_dataset(v.document, v.version, base) for v in entries],
    }
