"""The stewards' catalogue console in a real browser: the filtered catalogue kept in the URL,
its export, the bulk import's dry run and confirmation, the lifecycle on the edit form, and the
quality over time; each page visited leaves a screenshot under var/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending, publish_snapshot
from tests.api.console.browser import browser, new_page, screenshot
from tests.api.console.conftest import LiveExchange
from tests.live_server import ANSWER_SECONDS

# The pages drive API routes whose tests run on both databases (tests/api/test_catalogue_bulk).
pytestmark = pytest.mark.sqlite_only

__all__ = ["browser"]  # the fixture, imported so pytest finds it here
PEOPLE = "301001/000001"  # 人口基本信息 (ps), published in the sample


def sign_in(browser: Browser, live: LiveExchange) -> Page:
    page = new_page(browser)
    page.goto(f"{live.url}/console/sign-in")
    page.get_by_label("令牌").fill(live.tokens["steward"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text("当前用户")
    return page


def api(live: LiveExchange, path: str, **params: str) -> httpx.Response:
    answer = httpx.get(
        f"{live.url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {live.tokens['steward']}"},
        timeout=ANSWER_SECONDS,
    )
    assert answer.status_code == 200, answer.text
    return answer


def test_filtered_catalogue_is_a_bookmark_and_exports_what_it_shows(
    browser: Browser, live: LiveExchange, tmp_path: Path
) -> None:
    page = sign_in(browser, live)
    page.get_by_label("更新周期").select_option("monthly")
    page.get_by_label("状态").select_option("published")
    page.get_by_label("数据分级").select_option("sensitive")
    page.get_by_role("button", name="搜索").click()
    query = parse_qs(urlparse(page.url).query, keep_blank_values=True)
    assert query == {
        "update_cycle": ["monthly"],
        "status": ["published"],
        "data_grade": ["sensitive"],
    }
    wanted = {k: v[0] for k, v in query.items()}
    expected = api(live, "/v1/directory/entries", **wanted, limit="200").json()
    everything = api(live, "/v1/directory/entries", limit="200").json()
    assert 2 <= expected["total"] < everything["total"]
    expect(page.locator("#catalogue-total")).to_have_text(str(expected["total"]))
    rows = page.locator("#catalogue-results tbody tr")
    expect(rows).to_have_count(expected["total"])
    for row in rows.all():
        expect(row).to_contain_text("每月")
        expect(row).to_contain_text("敏感信息")
    screenshot(page, "steward-catalogue-filtered")

    bookmarked = sign_in(browser, live)
    bookmarked.goto(page.url)  # the bookmark opens the same view, filters selected
    expect(bookmarked.get_by_label("更新周期")).to_have_value("monthly")
    expect(bookmarked.get_by_label("数据分级")).to_have_value("sensitive")
    expect(bookmarked.locator("#catalogue-results tbody tr")).to_have_count(expected["total"])

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    saved = tmp_path / "filtered.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        codes = {row[0] for row in list(csv.reader(handle))[1:]}
    assert codes == {h["code"] for h in expected["hits"]}


def _export(live: LiveExchange) -> list[list[str]]:
    sheet = api(live, "/v1/directory/export.csv", department="ps").content
    return list(csv.reader(io.StringIO(sheet.decode("utf-8-sig"), newline="")))


def _write(path: Path, table: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table)
    return path


def _dry_run(page: Page, path: Path, reason: str) -> None:
    page.goto(page.url.split("/console/")[0] + "/console/catalogue")
    page.get_by_label("目录文件").set_input_files(str(path))
    page.get_by_label("导入原因").fill(reason)
    page.get_by_role("button", name="试运行").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("批量导入试运行")


def test_import_dry_run_then_confirm(browser: Browser, live: LiveExchange, tmp_path: Path) -> None:
    page = sign_in(browser, live)
    table = _export(live)
    _dry_run(page, _write(tmp_path / "same.csv", table), "往返检查")
    expect(page.locator("#import-no-changes")).to_be_visible()  # export -> import: no change
    expect(page.locator("#import-confirm")).to_have_count(0)

    header = table[0]
    for row in table[1:]:
        if row[0] == PEOPLE:
            row[header.index("信息资源摘要")] = "浏览器批量修改的摘要"
    before = live.exchange.directory.entries.get(PEOPLE).version
    _dry_run(page, _write(tmp_path / "edited.csv", table), "统一摘要")
    changes = page.locator("#import-changes")
    expect(changes).to_contain_text(PEOPLE)
    expect(changes).to_contain_text("浏览器批量修改的摘要")
    expect(page.locator("#count-update strong")).to_have_text("1")
    expect(page.locator("#count-refused strong")).to_have_text("0")
    screenshot(page, "steward-catalogue-import-dry-run")
    assert live.exchange.directory.entries.get(PEOPLE).version == before  # nothing written
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("p.notice")).to_contain_text("导入完成")
    after = live.exchange.directory.entries.get(PEOPLE)
    assert after.version == before + 1 and after.document.abstract == "浏览器批量修改的摘要"

    for row in table[1:]:
        if row[0] == PEOPLE:
            row[header.index("状态")] = "草稿"
    _dry_run(page, _write(tmp_path / "back.csv", table), "退回草稿")
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("a published entry cannot become draft")
    expect(errors).to_contain_text("deprecated, withdrawn")
    expect(page.locator("#import-confirm")).to_have_count(0)
    assert int(page.locator("#count-refused strong").inner_text()) >= 1
    screenshot(page, "steward-catalogue-import-refused")


def test_edit_form_offers_only_the_allowed_next_states(
    browser: Browser, live: LiveExchange
) -> None:
    page = sign_in(browser, live)
    page.goto(f"{live.url}/console/entries/{PEOPLE}/edit")
    options = page.get_by_label("状态").locator("option")
    expect(options).to_have_count(3)
    assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == [
        "deprecated",
        "published",
        "withdrawn",
    ]
    # A form opened before someone else published it still offers draft: the API refuses.
    page.get_by_label("状态").evaluate("s => s.add(new Option('草稿', 'draft'))")
    page.get_by_label("状态").select_option("draft")
    page.get_by_label("修改说明").fill("退回草稿")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#status-error")).to_contain_text("cannot become draft")
    expect(page.locator("#status-error")).to_contain_text("deprecated, withdrawn")
    screenshot(page, "steward-entry-edit-lifecycle")


def test_quality_over_time(browser: Browser, live: LiveExchange) -> None:
    # A second delivery of the population register, so the resource has a history.
    folder = live.exchange.home / "landing" / "ps" / "ps_population"
    first = sorted(folder.iterdir())[0]
    second = folder / re.sub(r"\d{8}", "20261201", first.name)
    second.write_bytes(first.read_bytes() + b"\r\n")
    defs = build_definitions()
    land_pending(defs, get_instance())
    publish_snapshot(defs, get_instance())
    batches = api(live, "/v1/quality/ps_population/batches").json()
    assert len(batches) >= 2

    page = sign_in(browser, live)
    page.get_by_role("link", name="质量概览").click()
    page.get_by_role("link", name="质量趋势").click()
    expect(page).to_have_url(re.compile(r"/console/quality/history"))
    section = page.locator("#history-ps_population")
    expect(section.locator("svg.spark circle")).to_have_count(len(batches))
    expect(section.locator("tbody tr")).to_have_count(len(batches))
    newest = batches[0]
    scores = newest["scores"]
    shown = f"{sum(scores.values()) / len(scores) * 100:.1f}%" if scores else "-"
    expect(section.locator("tbody tr").first).to_contain_text(shown)
    expect(section.locator("tbody tr").first).to_contain_text(newest["file_name"])
    expect(section.locator("tbody tr").first).to_contain_text("及时")
    screenshot(page, "steward-quality-history")
