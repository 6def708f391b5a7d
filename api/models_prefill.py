"""Models of the clerk's bulk prefill jobs and of the notices of values changed since a
prefill."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field


class BulkJob(BaseModel):
    """A bulk prefill job's progress; its workbook is ready once `status` is `done`."""

    job: str = Field(examples=["5f0c1e3a9b2d4c6e8f7a1b2c3d4e5f60"])
    service_item: str = Field(examples=["4101000004"])
    status: Literal["running", "done", "failed"]
    rows_total: int = Field(description="Applicants in the list")
    rows_done: int = Field(description="Applicants prefilled (or refused) so far")
    served: int
    partial: int
    refused: int
    snapshot_version: int
    created_at: str
    finished_at: str | None = None
    error: str | None = Field(default=None, description="Why a failed job stopped")
    progress: str = Field(description="This route, to poll")
    workbook: str | None = Field(default=None, description="The workbook's route, once done")


class ChangedValue(BaseModel):
    """One value of a case's form that a later batch corrected at its source."""

    field: str = Field(examples=["经营者姓名"])
    resource: str = Field(examples=["ps_population"])
    item: str = Field(examples=["name"])
    old_value: Any = Field(description="What the prefill put into the form")
    new_value: Any = Field(description="What the source says now")
    old_batch: str
    new_batch: str = Field(description="The superseding batch, certified and published")
    old_certified_at: dt.datetime
    new_certified_at: dt.datetime
    masked: bool = False


class ChangeNotice(BaseModel):
    """An open case of the clerk's department whose form holds values since corrected."""

    case_no: str
    service_item: str
    subject: str
    prefilled_by: str
    prefilled_at: dt.datetime
    changes: list[ChangedValue]


class ChangeNotices(BaseModel):
    department: str
    snapshot_version: int
    notices: list[ChangeNotice]
