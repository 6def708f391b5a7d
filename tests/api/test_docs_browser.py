"""The documentation pages in a real browser on a closed network: Swagger UI and ReDoc draw
the API from the app's own assets, the pages' Content-Security-Policy refuses nothing of the
app's own, and whatever they would fetch from another host (ReDoc's footer logo) is refused
by that policy before it leaves the browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Request, expect

from api.main import create_app
from tests.api.console.browser import browser, new_page
from tests.directory.fixtures import open_sample
from tests.live_server import serving_in_thread

__all__ = ["browser"]  # the fixture, imported so pytest finds it here
# The pages draw the API's description: which database holds the directory changes nothing.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("docs") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONCEONLY_HOME", str(home))
        open_sample(tmp_path_factory.getbasetemp(), home).close()
        with serving_in_thread(create_app()) as url:
            yield url


@pytest.mark.parametrize(
    ("path", "drawn"),
    [("/docs", ".swagger-ui .info .title"), ("/redoc", ".api-info h1")],
)
def test_the_docs_draw_from_the_app_alone(
    browser: Browser, served: str, path: str, drawn: str, tmp_path: Path
) -> None:
    page = new_page(browser)
    elsewhere: list[str] = []
    refused: list[str] = []

    def outgoing(request: Request) -> None:
        blocked = request.failure in ("csp", "net::ERR_BLOCKED_BY_CSP")
        if not request.url.startswith((served, "data:", "blob:")) and not blocked:
            elsewhere.append(f"{request.url} ({request.failure or 'fetched'})")

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text and served in message.text:
            refused.append(message.text)

    page.on("requestfinished", outgoing)
    page.on("requestfailed", outgoing)
    page.on("console", console)
    page.goto(f"{served}{path}")
    # A page drawing the whole API description takes a while on a loaded machine.
    expect(page.locator(drawn).first).to_contain_text("onceonly exchange API", timeout=60_000)
    if path == "/docs":
        expect(page.locator(".opblock-tag").first).to_be_visible()
    assert elsewhere == []
    assert refused == []
    page.context.close()
