"""How the analysts' routes reach the analytical database and answer from it.

Shared by the routers that read it (`api.routers.analytics`, `api.routers.staffing`), which
may not import each other: the per-request cursor on the database the app holds open, the
503 when it has not been built, rows as dictionaries with NaN made null, and the error shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any

import duckdb
from fastapi import Depends, HTTPException, Request, status

from api.auth import Caller, require_role
from api.deps import analytics_of, get_audit
from api.middleware import request_id
from directory.actors import Role
from directory.audit import AuditLog, actor_event
from snapshot.analytics.config import load_settings

Analyst = Annotated[Caller, Depends(require_role(Role.analyst, Role.admin))]
Audit = Annotated[AuditLog, Depends(get_audit)]


def analytics_db(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the database the app holds open (`api.lifespan`)."""
    try:
        with analytics_of(request.app).cursor(load_settings().workbench) as con:
            yield con
    except FileNotFoundError as error:
        raise analytics_error(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "analytics_missing",
            "the analytics have not been built yet: run `onceonly analytics build` after "
            "`onceonly ingest`, or wait for the pipeline to publish them",
        ) from error


Database = Annotated[duckdb.DuckDBPyConnection, Depends(analytics_db)]


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [{n: finite(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def finite(value: Any) -> Any:
    """NaN (e.g. MASE of a series that never changed) is not JSON: it becomes null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def exported(
    request: Request, caller: Caller, audit: AuditLog, what: str, filters: str, count: int
) -> None:
    """Log a download: an export leaves the exchange as a file, so who took which rows is
    kept (the rows are de-identified; no applicant key is in them or in the entry)."""
    audit.append(
        actor_event(
            caller.actor,
            "analytics.export",
            "served",
            reason=f"{what} as xlsx, {count} rows ({filters})",
            request_id=request_id(request),
        )
    )


def analytics_error(code: int, name: str, message: str) -> HTTPException:
    return HTTPException(code, detail={"code": name, "message": message})
