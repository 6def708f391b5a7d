"""Response models of the API (every response has one, so the OpenAPI description is exact)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    pool_present: bool
    version: str = Field(examples=["0.1.0"])


class ResourceSummary(BaseModel):
    """One department resource as landed in the pool."""

    id: str = Field(examples=["ps_population"])
    name: str = Field(examples=["人口基本信息"])
    department: str = Field(examples=["ps"])
    department_name: str = Field(examples=["公安局"])
    sharing_type: str = Field(examples=["conditional"])
    files_landed: int = Field(examples=[2])
    rows_landed: int = Field(examples=[20000])
    rows_rejected: int = Field(examples=[3])
    rows_with_key_problems: int = Field(examples=[410])
    last_delivery_at: dt.datetime | None = None
