"""The FastAPI application: `uvicorn api.main:app`."""

from __future__ import annotations

from fastapi import FastAPI

from api.routers import health, resources
from api.routers.steward_routes import STEWARD_ROUTERS


def create_app() -> FastAPI:
    app = FastAPI(
        title="onceonly exchange API",
        version="0.1.0",
        description="Certified department data for back offices, so applicants never "
        "resubmit what the government already holds.",
    )
    app.include_router(health.router)
    app.include_router(resources.router)
    for router in STEWARD_ROUTERS:
        app.include_router(router)
    return app


app = create_app()
