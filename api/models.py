"""Response models of the health and resource routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(examples=["0.1.0"])


class Readiness(BaseModel):
    ready: bool
    snapshot_version: int | None = Field(examples=[3])
    snapshot_age_seconds: float | None = Field(examples=[42.0])


class ResourceSummary(BaseModel):
    """One department resource as certified in the published snapshot."""

    id: str = Field(examples=["ps_population"])
    name: str = Field(examples=["人口基本信息"])
    department: str = Field(examples=["ps"])
    department_name: str = Field(examples=["公安局"])
    sharing_type: str = Field(examples=["conditional"])
    batches: int = Field(examples=[2])
    rows_landed: int = Field(examples=[20000])
    rows_certified: int = Field(examples=[19850])
    rows_quarantined: int = Field(examples=[120])
    rows_duplicate: int = Field(examples=[30])
    last_certified_at: dt.datetime | None = None
    last_batch_failed_gate: bool = False
