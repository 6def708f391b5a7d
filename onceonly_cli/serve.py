"""`onceonly serve`: the exchange API under uvicorn."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from directory import log_privacy

WORKER_HEALTHCHECK_SECONDS = 120


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging, with both handlers masking ID numbers and credit codes and the
    access log writing paths without their query (subjects travel in prefill's query and in
    console pages'), so no personal number reaches the server's log in clear."""
    from uvicorn.config import LOGGING_CONFIG

    handlers = {name: dict(handler) for name, handler in LOGGING_CONFIG["handlers"].items()}
    handlers["default"]["filters"] = ["mask_keys"]
    handlers["access"]["filters"] = ["path_without_query", "mask_keys"]
    # Each check of the public verification page (extract id and verdict, nothing personal).
    verify = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return {
        **LOGGING_CONFIG,
        "loggers": {**LOGGING_CONFIG["loggers"], "onceonly.verify": verify},
        "filters": {
            "mask_keys": {"()": log_privacy.MaskKeys},
            "path_without_query": {"()": log_privacy.PathWithoutQuery},
        },
        "handlers": handlers,
    }


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (uvicorn restarts one that dies). With more "
            "than one, or on several hosts, put the directory in PostgreSQL "
            "(ONCEONLY_DIRECTORY_URL) and give every process the same ONCEONLY_AUDIT_KEY "
            "and ONCEONLY_SIGNING_KEY.",
        ),
    ] = 1,
) -> None:
    """Serve the exchange API (OpenAPI at /docs). Behind a reverse proxy that ends TLS, set
    ONCEONLY_TRUSTED_PROXIES to its address so https is recognised (and cookies are Secure).

    Each process holds its own directory connections, caches and audit writer; what must
    hold across them is kept in the directory database (token and grant changes, the audit
    chain's head), so a token revoked in one process, or by `onceonly token revoke`, is
    refused by every process on its next request."""
    import uvicorn

    from api.proxy_headers import uvicorn_proxy_options

    log_privacy.install()
    base = f"http://{host}:{port}"
    processes = f" in {workers} processes" if workers > 1 else ""
    typer.echo(
        f"Serving the API on {base}{processes} (OpenAPI: {base}/docs, web console: {base}/console/)"
    )
    uvicorn.run(
        "api.main:app",  # an import string: each worker process imports the app itself
        host=host,
        port=port,
        workers=workers,
        # A new worker answers the supervisor's first health check only once it has imported
        # the command line and the app (seconds; tens on a busy host): uvicorn's 5 s default
        # kills and restarts workers that were merely starting.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_level="info",
        log_config=uvicorn_log_config(),
        **uvicorn_proxy_options(),
    )
