"""Headless Chromium from the system's packages, driven by Playwright, for the console tests.

Playwright's own browser download cannot run on a closed network, so the tests launch the
distribution's Chromium by path (`make test` installs it; CHROMIUM overrides the path). The
flags keep Chromium from calling home, which a closed network refuses noisily.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--lang=zh-CN",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREEN = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package "
            "(or set CHROMIUM to a Chromium binary)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=SCREEN, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(60_000)  # an upper bound on a busy machine, not a speed test
    return context.new_page()


def screenshot(page: Page, name: str) -> None:
    """Save the page as seen at 1366x768, and check nothing spills out sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than a 1366px screen"
