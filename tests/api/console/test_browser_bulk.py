"""The clerk's bulk prefill and changed-since-prefill pages in a real browser.

A clerk uploads a list of applicants through the form, watches the job's page fill its
progress bar, downloads the workbook; a file that is no list is refused at the form; after
the population register corrects an applicant's name, the notices page shows the case, the
old and new name and the batch. Screenshots go under var/screenshots/.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from python_calamine import CalamineWorkbook

from api.main import create_app
from tests.api.conftest import OPEN_CASES_PER_ITEM, Exchange, copied_exchange
from tests.api.console.browser import browser, new_page, screenshot
from tests.api.snapshots import SOLE_PROPRIETOR, current_snapshot_version, publish_corrected_name
from tests.live_server import ANSWER_SECONDS, serving_in_thread

pytestmark = pytest.mark.sqlite_only  # the routes' own tests run on both databases

__all__ = ["browser"]  # the fixture, imported so pytest finds it here
APPLICANTS = 3000
NEW_NAME = "李更正"


@dataclass
class Served:
    exchange: Exchange
    url: str
    token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Served]:
    with copied_exchange(tmp_path_factory, "console-bulk", backend) as exchange:
        exchange.directory.identity.create_user("bulk.mr.clerk", "clerk", "mr")
        token = exchange.directory.identity.issue_token("bulk.mr.clerk").token
        with serving_in_thread(create_app(directory=exchange.directory)) as url:
            yield Served(exchange, url, token)


def sign_in(browser: Browser, served: Served) -> Page:
    page = new_page(browser)
    page.goto(f"{served.url}/console/")
    page.get_by_label("令牌").fill(served.token)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text("当前用户")
    return page


def test_clerk_uploads_a_list_watches_progress_and_downloads_the_workbook(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    exchange = served.exchange
    lines = ["证件号码,办件编号"] + [
        f"{exchange.person},{exchange.case(SOLE_PROPRIETOR, n % OPEN_CASES_PER_ITEM)}"
        for n in range(APPLICANTS)
    ]
    listing = tmp_path / "申请人名单.csv"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page = sign_in(browser, served)
    page.get_by_role("link", name="批量预填").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("批量预填")
    page.get_by_label("服务事项").select_option(SOLE_PROPRIETOR)
    page.get_by_label("申请人名单").set_input_files(str(listing))
    screenshot(page, "clerk-bulk-upload")
    page.get_by_role("button", name="上传并预填").click()
    expect(page).to_have_url(re.compile(r"/console/prefill/bulk/[0-9a-f]{32}$"))
    expect(page.locator("progress")).to_have_attribute("max", str(APPLICANTS))
    screenshot(page, "clerk-bulk-progress")
    expect(page.locator(".status")).to_have_text("已完成", timeout=ANSWER_SECONDS * 1000)
    expect(page.locator("progress")).to_have_attribute("value", str(APPLICANTS))
    screenshot(page, "clerk-bulk-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载结果工作簿").click()
    saved = tmp_path / "prefill.xlsx"
    download.value.save_as(saved)
    book = CalamineWorkbook.from_filelike(io.BytesIO(saved.read_bytes()))
    header, *rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == APPLICANTS and header[:4] == [
        "行号 row",
        "证件号码 key",
        "办件编号 case",
        "结果 outcome",
    ]
    assert {r[1] for r in rows} == {exchange.person}


def test_a_file_that_is_no_list_is_refused_at_the_form(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    wrong = tmp_path / "照片.csv"
    wrong.write_text("姓名,电话\n张三,123\n", encoding="utf-8")
    page = sign_in(browser, served)
    page.goto(f"{served.url}/console/prefill/bulk")
    page.get_by_label("服务事项").select_option(SOLE_PROPRIETOR)
    page.get_by_label("申请人名单").set_input_files(str(wrong))
    page.get_by_role("button", name="上传并预填").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("bulk_file_invalid")
    expect(alert).to_contain_text("办件编号")
    screenshot(page, "clerk-bulk-refused")


def test_the_clerk_sees_a_value_corrected_since_prefill(browser: Browser, served: Served) -> None:
    exchange = served.exchange
    case = exchange.case(SOLE_PROPRIETOR, 33)
    headers = {"Authorization": f"Bearer {served.token}"}
    filled = httpx.post(
        f"{served.url}/v1/prefill",
        json={"service_item": SOLE_PROPRIETOR, "subject": exchange.person, "case_no": case},
        headers=headers,
        timeout=ANSWER_SECONDS,
    )
    assert filled.status_code == 200, filled.text
    old = next(f["value"] for f in filled.json()["fields"] if f["field"] == "经营者姓名")
    page = sign_in(browser, served)
    page.get_by_role("link", name="数据变更提醒").click()
    expect(page.get_by_role("status")).to_contain_text("均未变更")

    version = publish_corrected_name(exchange.home, exchange.person, NEW_NAME, day=3)
    assert current_snapshot_version() == version
    deadline = time.monotonic() + ANSWER_SECONDS
    while (
        httpx.get(f"{served.url}/v1/prefill/changes", headers=headers).json()["snapshot_version"]
        != version
    ):
        assert time.monotonic() < deadline, "the server never switched to the new snapshot"
        time.sleep(0.2)
    page.reload()
    row = page.get_by_role("row").filter(has_text=case)
    expect(row).to_contain_text(NEW_NAME)
    expect(row.locator("del")).to_have_text(old)
    expect(row).to_contain_text("经营者姓名")
    screenshot(page, "clerk-changes")
