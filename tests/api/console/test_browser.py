"""The console in a real browser: what stewards, clerks, analysts and auditors do all day.

Each test signs in through the sign-in form, works through the pages with clicks and the
keyboard, and leaves a screenshot of every page it visits under var/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import duckdb
import httpx
import pytest
from playwright.sync_api import Browser, Download, Page, expect
from python_calamine import CalamineWorkbook

from api import extract_seal
from contracts.registry import bundled_contracts
from directory import lateness
from tests.api.console.browser import browser, new_page, screenshot
from tests.api.console.conftest import LiveExchange
from tests.api.extract_files import qr_url
from tests.directory.fixtures import seeded
from tests.live_server import ANSWER_SECONDS

# The pages drive the same API routes whose tests run on both databases; a second browser pass
# over PostgreSQL would cost about 90 s of the suite's 15-minute budget and check no other code.
pytestmark = pytest.mark.sqlite_only

__all__ = ["browser"]  # the fixture, imported so pytest finds it here


def sign_in(browser: Browser, live: LiveExchange, role: str, token: str | None = None) -> Page:
    page = new_page(browser)
    page.goto(f"{live.url}/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.get_by_label("令牌").fill(token or live.tokens[role])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text("当前用户")
    return page


def test_sign_in_with_the_keyboard_alone(browser: Browser, live: LiveExchange) -> None:
    page = new_page(browser)
    page.goto(f"{live.url}/console/sign-in")
    screenshot(page, "sign-in")
    page.keyboard.type(live.tokens["auditor"])  # the token field has the focus
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/audit"))
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()


def test_a_bad_token_is_refused_with_advice(browser: Browser, live: LiveExchange) -> None:
    page = new_page(browser)
    page.goto(f"{live.url}/console/sign-in")
    page.get_by_label("令牌").fill("oo_not_a_token")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("令牌无效或已撤销")


def test_steward_edits_an_entry_and_sees_the_history(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "steward")
    screenshot(page, "steward-catalogue")
    page.get_by_label("关键词").fill("人口")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="301001/000001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("人口基本信息")
    expect(page.get_by_role("heading", name="实时质量")).to_be_visible()
    expect(page.locator("svg.trend")).to_be_visible()
    screenshot(page, "steward-entry")

    page.get_by_role("link", name="编辑").click()
    # A conditional resource must cite its legal basis: the message appears at the field.
    page.get_by_label("法律依据").fill("")
    page.get_by_label("修改说明").fill("试删除法律依据")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#legal_basis-error")).to_be_visible()
    expect(page.get_by_label("法律依据")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("修改说明")).to_have_value("试删除法律依据")  # nothing typed is lost
    screenshot(page, "steward-entry-edit-invalid")

    page.get_by_label("法律依据").fill("《中华人民共和国居民身份证法》第十三条")
    page.get_by_label("修改说明").fill("补充条款号")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    newest = page.locator("section.card").first
    expect(newest).to_contain_text("补充条款号")
    expect(newest.locator("td.after")).to_contain_text("第十三条")
    screenshot(page, "steward-history")

    # Restore the version before the edit, from the history page.
    page.locator("section.card").nth(1).get_by_role("button", name="恢复此版本").click()
    expect(page.get_by_role("status")).to_contain_text("已恢复")
    expect(page.locator("section.card").first.locator("td.after")).not_to_contain_text("第十三条")


def test_steward_approves_a_share_request(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "steward")
    page.get_by_role("link", name="共享申请").click()
    waiting = page.locator("section.card").first
    expect(waiting).to_contain_text("已过工作日")
    number = waiting.get_attribute("id")
    assert number is not None
    screenshot(page, "steward-share-requests")
    waiting.get_by_label("每日限额").fill("2000")
    waiting.get_by_role("button", name="同意").click()
    expect(page.get_by_role("status")).to_contain_text("已同意")
    expect(page.locator(f"#{number}")).to_have_count(0)
    decided = page.locator("table").last
    expect(decided.locator("tr", has_text=number.removeprefix("request-")).first).to_contain_text(
        "已同意"
    )


def test_steward_sees_the_quarantine_and_exports_it(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "steward")
    page.get_by_role("link", name="问题数据").click()
    expect(page.locator("tr.chosen")).to_be_visible()
    screenshot(page, "steward-quarantine")
    with page.expect_download() as download:
        page.locator("tr.chosen").get_by_role("link", name="导出退回文件").click()
    assert "退回" in download.value.suggested_filename


def test_clerk_prefills_a_form_and_objects_to_a_value(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "clerk")
    page.get_by_label("服务事项").select_option("4101000004")
    page.get_by_label("身份证号或统一社会信用代码").fill(live.person.lower())
    page.get_by_label("办件编号").fill(live.exchange.case("4101000004"))
    page.get_by_role("button", name="预填").click()
    table = page.locator("table").first
    name_row = table.locator("tr", has_text="经营者姓名")
    expect(name_row).to_contain_text("公安局")
    expect(page.get_by_role("heading", name=re.compile("免提交材料"))).to_be_visible()
    assert live.person.lower() not in page.url.lower()  # posted: the key is not in the URL
    screenshot(page, "clerk-prefill")

    name_row.get_by_role("button", name="提出异议").click()
    page.get_by_label("正确的值").fill("张三丰")
    page.get_by_label("说明").fill("申请人出示了新户口簿")
    screenshot(page, "clerk-objection")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("status")).to_contain_text("异议已提交")

    page.get_by_role("button", name="返回").click()
    expect(page.locator("tr", has_text="经营者姓名")).to_contain_text("张三丰")

    steward = sign_in(browser, live, "steward")
    steward.get_by_role("link", name="数据异议").click()
    queued = steward.locator("section.card", has_text="张三丰")
    expect(queued).to_be_visible()
    screenshot(steward, "steward-objections")
    queued.get_by_label("处理").select_option("rejected")
    queued.get_by_label("理由").fill("户籍系统记录无误")
    queued.get_by_role("button", name="处理").click()
    expect(steward.get_by_role("status")).to_contain_text("已处理")


def _clerk(live: LiveExchange, name: str, department: str) -> str:
    identity = live.exchange.directory.identity
    if name not in {u.name for u in identity.list_users()}:
        identity.create_user(name, "clerk", department)
    return identity.issue_token(name).token


def _insured(live: LiveExchange) -> tuple[str, str]:
    """A resident whose insurance records all carry one contribution base, and that base."""
    pool = live.exchange.home / "serving" / "current.duckdb"
    with duckdb.connect(str(pool), read_only=True) as con:
        key, base = con.execute(
            "SELECT h.id_number, any_value(h.monthly_base) FROM hrss_insurance h "
            "JOIN ps_population p ON p.id_number = h.id_number AND p._valid_to IS NULL "
            "WHERE h._valid_to IS NULL GROUP BY h.id_number "
            "HAVING count(DISTINCT h.monthly_base) = 1 AND count(h.monthly_base) = count(*) "
            "ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
    return str(key), str(base)


def _prefill(page: Page, live: LiveExchange, item: str, subject: str, n: int) -> None:
    page.get_by_label("服务事项").select_option(item)
    page.get_by_label("身份证号或统一社会信用代码").fill(subject)
    page.get_by_label("办件编号").fill(live.exchange.case(item, n))
    page.get_by_role("button", name="预填").click()


def test_clerks_see_a_sensitive_value_masked_or_in_full_as_their_grant_says(
    browser: Browser, live: LiveExchange
) -> None:
    subject, base = _insured(live)
    # 个人住房贷款 (hpf): the grant covers the insurance record as a whole, naming no item.
    hpf = sign_in(browser, live, "clerk", _clerk(live, "hpf.clerk", "hpf"))
    _prefill(hpf, live, "4101000031", subject, 31)
    row = hpf.locator("tr", has_text="月缴费基数")
    expect(row.locator(".tag.masked")).to_have_text("已脱敏")
    expect(row.locator(".mask-reason")).to_contain_text("共享授权未列明此项")
    expect(row.locator("output")).not_to_have_text(base)
    expect(row.get_by_role("button", name="提出异议")).to_have_count(0)
    screenshot(hpf, "clerk-masked-value")
    # 最低生活保障申请 (ca): the grant names the item, so the same value shows in full.
    ca = sign_in(browser, live, "clerk", _clerk(live, "ca.clerk", "ca"))
    _prefill(ca, live, "4101000021", subject, 31)
    row = ca.locator("tr", has_text="月缴费基数")
    expect(row.locator("output")).to_have_text(base)
    expect(row.locator(".tag.masked")).to_have_count(0)
    screenshot(ca, "clerk-full-value")


def test_a_clerk_prints_an_extract_whose_qr_code_opens_the_public_verify_page(
    browser: Browser, live: LiveExchange
) -> None:
    page = sign_in(browser, live, "clerk")
    _prefill(page, live, "4101000004", live.person, 32)
    with page.expect_download() as download:
        page.get_by_role("button", name="打印核验证明（PDF）").click()
    assert download.value.suggested_filename.endswith(".pdf")
    url = qr_url(download.value.path().read_bytes())
    assert url.startswith(f"{live.url}/verify/")

    public = new_page(browser)  # nobody signed in
    public.goto(url)
    expect(public.get_by_role("status")).to_contain_text("有效")
    expect(public.locator("body")).not_to_contain_text(live.person)
    screenshot(public, "verify-valid")
    # The digest of an extract altered by one byte: the centre's seal does not cover it.
    query = parse_qs(urlsplit(url).query)
    extract_id = urlsplit(url).path.rsplit("/", 1)[1]
    digest = query["d"][0]
    altered = ("B" if digest[0] != "B" else "C") + digest[1:]
    public.goto(extract_seal.Seal(extract_id, altered, query["t"][0]).url(live.url))
    expect(public.get_by_role("status")).to_contain_text("无效")
    screenshot(public, "verify-not-valid")


def test_a_clerk_cannot_open_steward_pages(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "clerk")
    expect(page.get_by_role("link", name="资源目录")).to_have_count(0)
    for path in ("/console/catalogue", "/console/share-requests", "/console/quarantine"):
        response = page.goto(f"{live.url}{path}")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("无权访问此页面")
    screenshot(page, "clerk-forbidden")
    # The API behind the page refuses the same clerk too.
    refused = httpx.get(
        f"{live.url}/v1/directory/share-requests/1/approve",
        headers={"Authorization": f"Bearer {live.tokens['clerk']}"},
    )
    assert refused.status_code in (403, 405)


def test_analyst_views_a_chart_and_runs_a_query(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "analyst")
    expect(page.locator(".tile.red")).to_be_visible()
    screenshot(page, "analyst-statistics")

    page.get_by_role("link", name="需求预测").click()
    chart = page.locator("img.chart")
    expect(chart).to_be_visible()
    drawn = page.request.get(f"{live.url}{chart.get_attribute('src')}")
    assert drawn.ok and drawn.headers["content-type"] == "image/svg+xml", drawn.text()[-1500:]
    page.wait_for_function(
        "() => { const img = document.querySelector('img.chart');"
        " return img.complete && img.naturalWidth > 0; }"
    )
    screenshot(page, "analyst-forecast")

    page.get_by_role("link", name="查询工作台").click()
    page.get_by_label("SQL").fill(
        "SELECT service_item_name, count(*) AS cases FROM cases GROUP BY ALL ORDER BY cases DESC"
    )
    page.get_by_role("button", name="执行查询").click()
    result = page.locator("table.result")
    expect(result.locator("th").first).to_have_text("service_item_name")
    assert result.locator("tbody tr").count() > 1
    screenshot(page, "analyst-workbench")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    assert download.value.suggested_filename == "query.csv"

    page.get_by_label("SQL").fill("DROP TABLE cases")
    page.get_by_role("button", name="执行查询").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _workbook(download: Download) -> list[list[object]]:
    rows: list[list[object]] = (
        CalamineWorkbook.from_path(str(download.path())).get_sheet_by_index(0).to_python()
    )
    return rows


def test_analyst_plans_windows_and_exports_the_plan(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "analyst")
    page.get_by_role("link", name="窗口排班").click()
    chart = page.locator("svg.staffing-chart")
    expect(chart).to_be_visible()
    rows = page.locator("section.card tbody tr")
    expect(rows).to_have_count(7)  # one department's week, Monday to Sunday
    expect(page.get_by_role("status")).to_contain_text("回测")
    assert chart.locator("rect.morning").count() >= 7
    screenshot(page, "analyst-staffing")

    def windows() -> list[int]:
        return [int(t) for t in rows.locator("td:nth-child(7)").all_inner_texts()]

    usual = windows()
    assert sum(usual) > 0
    page.get_by_label("服务水平 %").fill("99")
    page.get_by_label("等候不超过（分钟）").fill("1")
    page.get_by_role("button", name="计算").click()
    expect(page.get_by_role("status")).to_contain_text("99%")
    strict = windows()
    assert all(a <= b for a, b in zip(usual, strict, strict=True)) and sum(strict) > sum(usual)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    sheet = _workbook(download.value)
    assert sheet[0][0] == "department" and len(sheet) == 1 + 7
    assert [int(float(str(r[sheet[0].index("windows")]))) for r in sheet[1:]] == strict


def test_analyst_filters_warnings_and_exports_them(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "analyst")
    warnings = page.locator("#warnings")
    warnings.get_by_label("颜色").select_option("green")
    warnings.get_by_role("button", name="筛选").click()
    shown = page.locator("#warnings tbody tr")
    expect(shown.first).to_be_visible()
    assert set(page.locator("#warnings tbody .tag").all_inner_texts()) == {"绿牌"}
    heading = page.locator("#warnings h2 small").inner_text()
    total = int(re.sub(r"\D", "", heading.split("共")[1]))
    assert shown.count() == min(total, 50)
    if total > 50:
        page.locator("#warnings").get_by_role("link", name="下一页").click()
        expect(page.locator("#warnings nav span")).to_contain_text("第 2")
    screenshot(page, "analyst-warnings-green")
    with page.expect_download() as download:
        page.locator("#warnings").get_by_role("link", name="导出 Excel").click()
    sheet = _workbook(download.value)
    assert len(sheet) - 1 == total
    assert {r[sheet[0].index("colour")] for r in sheet[1:]} == {"green"}

    statistics = page.locator("#statistics")
    statistics.get_by_label("维度").select_option("department")
    statistics.get_by_role("button", name="筛选").click()
    count = int(re.sub(r"\D", "", page.locator("#statistics h2 small").inner_text()))
    with page.expect_download() as download:
        page.locator("#statistics").get_by_role("link", name="导出 Excel").click()
    sheet = _workbook(download.value)
    assert len(sheet) - 1 == count and {r[sheet[0].index("dimension")] for r in sheet[1:]} == {
        "department"
    }


def test_auditor_filters_the_log_and_sees_the_chain(browser: Browser, live: LiveExchange) -> None:
    # The test makes the read it looks for: run alone or on another worker than the clerk's
    # test, the log would otherwise hold no prefill.
    read = httpx.get(
        f"{live.url}/v1/prefill",
        params={
            "service_item": "4101000004",
            "subject": live.person,
            "case_no": live.exchange.case("4101000004"),
        },
        headers={"Authorization": f"Bearer {live.tokens['clerk']}"},
        timeout=ANSWER_SECONDS,
    )
    assert read.status_code == 200, read.text
    page = sign_in(browser, live, "auditor")
    expect(page.get_by_role("status")).to_contain_text("链完整")
    page.get_by_label("操作").fill("prefill")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("prefill")
    for text in rows.all_inner_texts():
        assert "prefill" in text
    screenshot(page, "auditor-log")


def test_english_toggle(browser: Browser, live: LiveExchange) -> None:
    page = sign_in(browser, live, "analyst")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("link", name="Forecasts")).to_be_visible()
    screenshot(page, "analyst-statistics-en")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("link", name="需求预测")).to_be_visible()


def test_steward_files_a_request_and_surplus_items_are_refused_at_the_field(
    browser: Browser, live: LiveExchange
) -> None:
    homes = seeded(live.exchange.directory, "nr_real_estate")
    page = sign_in(browser, live, "steward")  # ps
    page.get_by_role("link", name="共享申请").click()
    form = page.locator("#new-request")
    form.get_by_label("资源编码").fill(homes)
    form.get_by_label("服务事项编码").fill("4101000009")  # 户口迁移, a ps service item
    form.get_by_label("数据项").fill("owner_key area")
    form.get_by_label("用途说明").fill("核验迁入地住房")
    form.get_by_label("法律依据").fill("《户口登记条例》")
    form.get_by_role("button", name="提交申请").click()
    form = page.locator("#new-request")
    expect(form.get_by_role("alert").first).to_contain_text("1 problem")
    expect(form.locator("#items-error")).to_contain_text("does not need area")
    expect(form.locator("#items-error")).to_contain_text("minimum necessary")
    expect(form.get_by_label("数据项")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("数据项")).to_have_value("owner_key area")  # nothing typed is lost
    screenshot(page, "steward-share-request-refused")


def test_steward_settles_a_conflict_and_sees_late_deliveries(
    browser: Browser, live: LiveExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = live.exchange.home / "serving" / "current.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        (resource,) = con.execute(
            "SELECT other_resource FROM quality.conflicts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0]
    department = bundled_contracts()[resource].department
    identity = live.exchange.directory.identity
    identity.create_user("browser.conflicts", "steward", department)
    page = new_page(browser)
    page.goto(f"{live.url}/console/sign-in")
    page.get_by_label("令牌").fill(identity.issue_token("browser.conflicts").token)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("link", name="数据冲突").click()
    first = page.locator("section.card").first
    expect(first).to_contain_text("权威值")
    expect(first).to_contain_text("批次")
    screenshot(page, "steward-conflicts")
    first.get_by_label("处理").select_option("explained")
    first.get_by_label("说明").fill("姓名曾依法变更，档案保留原名")
    first.get_by_role("button", name="处理").click()
    expect(page.get_by_role("status")).to_contain_text("已处理")
    expect(page.locator("#settled-conflicts")).to_contain_text("姓名曾依法变更，档案保留原名")

    page.get_by_role("link", name="质量概览").click()
    expect(page.locator("#quality-overview")).to_contain_text("按时")
    monkeypatch.setattr(lateness, "clock", lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=40))
    page.get_by_role("link", name="资源目录").click()
    expect(page.locator("#late-deliveries")).to_contain_text("迟报资源")
    screenshot(page, "steward-home-late")
    page.get_by_role("link", name="质量概览").click()
    expect(page.locator("#quality-overview tr.late").first).to_contain_text("迟报")
    screenshot(page, "steward-quality-overview")
