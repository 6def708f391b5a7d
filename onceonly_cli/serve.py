"""`onceonly serve`: the exchange API under uvicorn."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from directory import log_privacy


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging, with both handlers masking ID numbers and credit codes and the
    access log writing paths without their query (subjects travel in prefill's query and in
    console pages'), so no personal number reaches the server's log in clear."""
    from uvicorn.config import LOGGING_CONFIG

    handlers = {name: dict(handler) for name, handler in LOGGING_CONFIG["handlers"].items()}
    handlers["default"]["filters"] = ["mask_keys"]
    handlers["access"]["filters"] = ["path_without_query", "mask_keys"]
    return {
        **LOGGING_CONFIG,
        "filters": {
            "mask_keys": {"()": log_privacy.MaskKeys},
            "path_without_query": {"()": log_privacy.PathWithoutQuery},
        },
        "handlers": handlers,
    }


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the exchange API (OpenAPI at /docs). Behind a reverse proxy that ends TLS, set
    ONCEONLY_TRUSTED_PROXIES to its address so https is recognised (and cookies are Secure)."""
    import uvicorn

    from api.proxy_headers import uvicorn_proxy_options

    log_privacy.install()
    base = f"http://{host}:{port}"
    typer.echo(f"Serving the API on {base} (OpenAPI: {base}/docs, web console: {base}/console/)")
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
        **uvicorn_proxy_options(),
    )
