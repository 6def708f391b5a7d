"""The steward's home page in a real browser: the inbox with counts, oldest first, each item
linking to where it is handled, and the webhook page registering a receiver; screenshots of
both under var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from directory.webhook_sender import http_client, run_pass
from tests.api.console.browser import browser, new_page, screenshot
from tests.api.inbox_exchange import (
    InboxServer,
    ask_hrss_again,
    object_to_a_value,
    serving_inbox,
)
from tests.directory.fixtures import bearer
from tests.live_server import free_port

# As the other browser tests: the routes behind the pages run on both databases.
pytestmark = pytest.mark.sqlite_only

__all__ = ["browser"]  # the fixture, imported so pytest finds it here


Served = InboxServer


@pytest.fixture
def served(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving_inbox(onceonly_home, tmp_path_factory.getbasetemp()) as server:
        yield server


def test_the_steward_home_page_shows_the_inbox_and_the_webhook_page(
    browser: Browser, served: Served
) -> None:
    objection = object_to_a_value(served.directory)
    request = ask_hrss_again(served.directory)
    token = bearer(served.directory, "hrss_steward")["Authorization"].removeprefix("Bearer ")
    page = new_page(browser)
    page.goto(f"{served.url}/console/")
    page.get_by_label("令牌").fill(token)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/catalogue"))

    inbox = page.locator("#inbox")
    expect(inbox.get_by_role("heading")).to_have_text("待办事项（5）")
    for kind in ("share_request", "objection", "conflict", "gate_failure", "quarantine"):
        expect(inbox.locator(f'#inbox-counts li[data-kind="{kind}"] strong')).to_have_text("1")
    rows = inbox.locator("tr.inbox-item")
    expect(rows).to_have_count(5)
    kinds = [rows.nth(n).get_attribute("data-kind") for n in range(5)]
    assert kinds == ["conflict", "gate_failure", "quarantine", "objection", "share_request"]
    expect(rows.nth(2)).to_contain_text("问题数据待退回")
    screenshot(page, "steward-inbox")

    rows.nth(3).get_by_role("link", name="去处理").click()
    expect(page).to_have_url(re.compile(rf"/console/objections#objection-{objection}$"))
    expect(page.locator(f"#objection-{objection}")).to_be_visible()
    page.go_back()
    page.locator("tr.inbox-item").nth(4).get_by_role("link", name="去处理").click()
    expect(page).to_have_url(re.compile(rf"/console/share-requests#request-{request}$"))
    expect(page.locator(f"#request-{request}")).to_be_visible()

    page.get_by_role("link", name="事件推送").click()
    expect(page.locator("#webhook")).to_contain_text("尚未登记推送地址")
    page.get_by_label("接收地址").fill("ftp://not.a.receiver/")
    page.get_by_label("接收地址").evaluate("input => input.type = 'text'")  # past the browser
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#url-error")).to_contain_text("is not an http(s) URL")
    nobody_listens = f"http://127.0.0.1:{free_port()}/onceonly/events"
    page.get_by_label("接收地址").fill(nobody_listens)
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#webhook-secret code")).to_have_text(re.compile(r"^whsec_"))
    expect(page.locator("#webhook")).to_contain_text(nobody_listens)
    screenshot(page, "steward-webhook-registered")

    # The worker's passes: the items there before are seen, a new one is tried and fails.
    with http_client() as client:
        run_pass(served.directory, served.snapshot.query_records, client)
        object_to_a_value(served.directory, claimed="张卫")
        (tried,) = run_pass(served.directory, served.snapshot.query_records, client).attempts
    page.goto(f"{served.url}/console/webhook")  # the secret was shown once, not again
    expect(page.locator("#webhook-secret")).to_have_count(0)
    row = page.locator(f"#delivery-{tried.id}")
    expect(row).to_contain_text("inbox.objection")
    expect(row).to_contain_text("待投递")
    expect(row).to_contain_text("ConnectError")
    expect(page.locator("#deliveries tr.skipped")).to_have_count(5)
    screenshot(page, "steward-webhook")
