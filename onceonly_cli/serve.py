"""`onceonly serve`: the exchange API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the exchange API (OpenAPI at /docs)."""
    import uvicorn

    base = f"http://{host}:{port}"
    typer.echo(f"Serving the API on {base} (OpenAPI: {base}/docs, web console: {base}/console/)")
    uvicorn.run("api.main:app", host=host, port=port, log_level="info")
