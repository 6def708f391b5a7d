"""`onceonly serve`: the exchange API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the exchange API (OpenAPI at /docs). Behind a reverse proxy that ends TLS, set
    ONCEONLY_TRUSTED_PROXIES to its address so https is recognised (and cookies are Secure)."""
    import uvicorn

    from api.settings import uvicorn_proxy_options

    base = f"http://{host}:{port}"
    typer.echo(f"Serving the API on {base} (OpenAPI: {base}/docs, web console: {base}/console/)")
    uvicorn.run("api.main:app", host=host, port=port, log_level="info", **uvicorn_proxy_options())
