"""Liveness for load balancers and `make run`; deliberately unauthenticated and data-free."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter

from api.models import Health
from api.settings import pool_path

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Is the API up, and is there a pool?")
def health() -> Health:
    return Health(status="ok", pool_present=pool_path().exists(), version=version("onceonly"))
