"""The FastAPI application: `uvicorn api.main:app`."""

from __future__ import annotations

from fastapi import FastAPI

from api import docs, errors
from api.console import install as install_console
from api.lifespan import lifespan
from api.middleware import ExchangeMiddleware
from api.refusals import RefusalAudit
from api.routers import (
    analytics,
    audit,
    clerk,
    clerk_bulk,
    clerk_changes,
    extracts,
    health,
    objections,
    quality,
    quality_overview,
    resources,
    staffing,
    steward,
    steward_admin,
    steward_bulk,
    steward_conflicts,
    steward_inbox,
    steward_services,
    steward_sharing,
    steward_webhooks,
    verify_page,
)
from directory import log_privacy
from directory.store import Directory


def create_app(*, directory: Directory | None = None) -> FastAPI:
    """The app; what it holds open (`api.lifespan`) is opened when it starts serving.

    `directory`: one the caller opened and closes itself (a test that prepared it before
    serving); by default the app opens the configured one and closes it when it stops."""
    log_privacy.install()  # however the app is served: no personal number in a log line
    app = FastAPI(
        title="onceonly exchange API",
        version="0.1.0",
        description="Certified department data for back offices, so applicants never "
        "resubmit what the government already holds. Authenticate with `Authorization: "
        "Bearer <token>` (tokens from `onceonly token create`). Errors share one JSON shape, "
        '`{"code": ..., "message": ...}`, whose message says what to do.',
        # FastAPI's own pages load their assets from a CDN; `api.docs` serves them itself.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan(directory),
    )
    errors.install(app)
    docs.install(app)
    # /health, /ready and /metrics carry no data and answer unauthenticated, for the load
    # balancer and Prometheus; /verify/{extract_id} is the one deliberately public data route
    # (a printed extract's QR code: valid or not, and the issuer); every other route requires
    # a bearer token (tests/api/test_public_routes.py holds the allow-list).
    app.add_middleware(RefusalAudit)  # inside ExchangeMiddleware: sees its request id
    app.add_middleware(ExchangeMiddleware)
    app.include_router(health.router)
    app.include_router(resources.router)
    app.include_router(clerk_bulk.router)
    app.include_router(clerk_changes.router)
    app.include_router(clerk.router)
    app.include_router(quality.router)
    app.include_router(quality_overview.router)
    app.include_router(extracts.router)
    app.include_router(analytics.router)
    app.include_router(staffing.router)
    app.include_router(objections.router)
    app.include_router(audit.router)
    app.include_router(steward_bulk.router)
    app.include_router(steward.router)
    app.include_router(steward_services.router)
    app.include_router(steward_sharing.router)
    app.include_router(steward_admin.router)
    app.include_router(steward_conflicts.router)
    app.include_router(steward_inbox.router)
    app.include_router(steward_webhooks.router)
    app.include_router(verify_page.router)
    install_console(app)
    return app


app = create_app()
