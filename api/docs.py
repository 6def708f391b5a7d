"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc`, served without a CDN.

FastAPI's own pages load Swagger UI and ReDoc from a public CDN, which a service centre's
closed network does not reach. The assets come from the `fastapi-offline` package instead
(Swagger UI, Apache-2.0; ReDoc, MIT; the package, MIT), served by the app under
`/docs-assets/`, and the pages start them without inline script, so their
Content-Security-Policy allows the app's own origin and nothing else. ReDoc styles itself
with generated `<style>` elements, so its page also allows inline styles (never scripts).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
VENDOR = f"{ASSETS}/vendor"
VENDOR_DIRECTORY = Path(fastapi_offline.__file__).parent / "static"
OWN_DIRECTORY = Path(__file__).parent / "static" / "docs"

_STRICT = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SWAGGER_POLICY = _STRICT
REDOC_POLICY = f"{_STRICT}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"


def _page(title: str, body: str, head: str, policy: str) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="icon" href="{VENDOR}/favicon.png">\n{head}</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def install(app: FastAPI) -> None:
    """Mount the assets and the two pages; the app is built with FastAPI's own pages off."""
    openapi_url = escape(app.openapi_url or "/openapi.json")
    app.mount(VENDOR, StaticFiles(directory=VENDOR_DIRECTORY), name="docs-vendor")
    app.mount(ASSETS, StaticFiles(directory=OWN_DIRECTORY), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _page(
            f"{app.title} - Swagger UI",
            f'<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>\n'
            f'<script src="{VENDOR}/swagger-ui-bundle.js"></script>\n'
            f'<script src="{ASSETS}/swagger-init.js"></script>\n',
            f'<link rel="stylesheet" href="{VENDOR}/swagger-ui.css">\n',
            SWAGGER_POLICY,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _page(
            f"{app.title} - ReDoc",
            f'<redoc spec-url="{openapi_url}"></redoc>\n'
            f'<script src="{VENDOR}/redoc.standalone.js"></script>\n',
            "",
            REDOC_POLICY,
        )
