"""Liveness and readiness, for load balancers and `make run`; no subject data here."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter, Request, Response, status

from api.deps import snapshots_of
from api.models import Health, Readiness
from api.serving import NoSnapshot

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Is the process up?")
def health() -> Health:
    return Health(status="ok", version=version("onceonly"))


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Is a certified snapshot in service, and how old is it?",
    responses={503: {"model": Readiness, "description": "No snapshot published yet"}},
)
def ready(request: Request, response: Response) -> Readiness:
    try:
        snapshot = snapshots_of(request.app).current()
    except NoSnapshot:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Readiness(ready=False, snapshot_version=None, snapshot_age_seconds=None)
    return Readiness(
        ready=True,
        snapshot_version=snapshot.version,
        snapshot_age_seconds=round(snapshot.age_seconds, 1),
    )
