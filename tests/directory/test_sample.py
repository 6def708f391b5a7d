"""The shipped sample: realistic service items mapped to every sample resource, share
requests in every state, and a real once-only figure for `make run`."""

from __future__ import annotations

from pathlib import Path

import yaml

from directory.sample import SAMPLE_DIR, load_sample
from directory.sharing import RequestStatus
from directory.store import Directory
from directory.summary import format_summary
from tests.directory.fixtures import SAMPLE_DAY


def test_the_sample_files_agree_with_the_service_items() -> None:
    items = yaml.safe_load((SAMPLE_DIR / "service_items.yaml").read_text(encoding="utf-8"))
    codes = {i["code"] for i in items["items"]}
    materials = yaml.safe_load((SAMPLE_DIR / "materials.yaml").read_text(encoding="utf-8"))
    bundles = yaml.safe_load((SAMPLE_DIR / "bundles.yaml").read_text(encoding="utf-8"))
    assert set(materials) <= codes
    assert {c for b in bundles for c in b["service_items"]} <= codes


def test_the_sample_maps_at_least_twelve_items_over_every_resource(sample: Directory) -> None:
    mapped = [v for v in sample.services.items() if v.mapping.materials]
    assert len(mapped) >= 12
    used = {r.resource for v in mapped for m in v.mapping.materials for r in m.replaced_by}
    sharable = {e.code for e in sample.entries.all() if e.document.contract_id != "gsc_cases"}
    assert used == sharable
    assert all(e.document.status.value == "published" for e in sample.entries.all())


def test_the_sample_has_every_request_state_and_a_real_figure(sample: Directory) -> None:
    states = {r.status for r in sample.requests.list(today=SAMPLE_DAY)}
    assert states == set(RequestStatus)
    assert any(r.overdue for r in sample.requests.list(today=SAMPLE_DAY))
    figure = sample.once_only(SAMPLE_DAY)
    assert figure.materials_total >= 60
    assert 0.4 < figure.share < 0.8
    assert any(m.state.value == "blocked" for i in figure.items for m in i.materials)


def test_loading_twice_changes_nothing_and_the_summary_has_it_all(
    sample: Directory, onceonly_home: Path
) -> None:
    versions = {e.code: e.version for e in sample.entries.all()}
    requests = len(sample.requests.list())
    summary = load_sample(sample, SAMPLE_DAY)
    assert {e.code: e.version for e in summary.entries} == versions
    assert len(summary.requests) == requests
    text = format_summary(summary)
    assert "Resource catalogue: 9 entries" in text
    assert "Share requests: " in text and "OVERDUE" in text
    assert "Once-only figure on 2026-11-20: " in text and "materials no longer needed" in text
    assert "开办餐饮店" in text
