"""Request and response models of the clerk-facing exchange routes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

PERSON = "410102198503071234"
CASE = "41010020261120000001"


class Provenance(BaseModel):
    """Where a certified value came from, and as of when."""

    resource: str = Field(examples=["ps_population"])
    resource_code: str = Field(examples=["301001/000001"])
    resource_name: str = Field(examples=["人口基本信息"])
    department: str = Field(examples=["ps"])
    department_name: str = Field(examples=["公安局"])
    certified_at: dt.datetime
    batch: str = Field(description="Content hash of the delivery that certified it")
    file_name: str | None = Field(default=None, examples=["人口基本信息_20261120.csv"])


class ObjectionFlag(BaseModel):
    """An open data objection (数据异议) on this value: use it with care."""

    objection_id: int
    claimed_value: str
    filed_at: dt.datetime


class FieldValue(BaseModel):
    value: Any = Field(examples=["张伟"])
    masked: bool = Field(default=False, description="Sensitive item shown masked")
    masked_reason: str | None = Field(
        default=None, description="Why the value is masked (absent when it is shown in full)"
    )
    objections: list[ObjectionFlag] = Field(default_factory=list)


class Record(BaseModel):
    provenance: Provenance
    items: dict[str, FieldValue]


class ResourceAnswer(BaseModel):
    resource: str = Field(examples=["ps_population"])
    resource_name: str = Field(examples=["人口基本信息"])
    records: list[Record]


class Refusal(BaseModel):
    """What was not returned, and why; the reason says what to do."""

    resource: str = Field(examples=["hpf_account"])
    items: list[str] = Field(examples=[["balance"]])
    code: str = Field(examples=["no_grant"])
    reason: str = Field(examples=["mr holds no grant for 305001/000001; submit a share request"])


class SubjectAnswer(BaseModel):
    subject: str = Field(description="The normalised key", examples=[PERSON])
    subject_kind: str = Field(examples=["person"])
    service_item: str = Field(examples=["4101000001"])
    case_no: str = Field(examples=["ZZ2026112100001"])
    snapshot_version: int
    as_of: dt.datetime | None = None
    resources: list[ResourceAnswer]
    refused: list[Refusal]


class PrefillField(BaseModel):
    field: str = Field(examples=["法定代表人姓名"])
    resource: str = Field(examples=["ps_population"])
    item: str = Field(examples=["name"])
    value: Any = Field(examples=["张伟"])
    masked: bool = False
    masked_reason: str | None = Field(
        default=None, description="Why the value is masked (absent when it is shown in full)"
    )
    provenance: Provenance | None = None
    objections: list[ObjectionFlag] = Field(default_factory=list)
    missing_reason: str | None = Field(
        default=None, description="Why there is no value (refused, not in the pool, ...)"
    )


class MaterialAnswer(BaseModel):
    material: str = Field(examples=["法定代表人身份证明"])
    no_longer_needed: bool
    reason_code: str = Field(
        examples=["replaced"],
        description="replaced | not_shared | no_grant | not_in_pool | quarantined | "
        "applicant_brings | not_needed_for_service_item | role_may_not_read | not_in_catalogue",
    )
    reason: str = Field(examples=["人口基本信息 certified 2026-11-20 replaces it"])


class PrefillAnswer(BaseModel):
    service_item: str = Field(examples=["4101000001"])
    service_item_name: str = Field(examples=["企业设立登记"])
    subject: str = Field(examples=[PERSON])
    subject_kind: str = Field(examples=["person"])
    case_no: str = Field(examples=["ZZ2026112100001"])
    snapshot_version: int
    as_of: dt.datetime | None = None
    fields: list[PrefillField]
    materials: list[MaterialAnswer]
    materials_no_longer_needed: int
    materials_total: int
    refused: list[Refusal]


class PrefillRequest(BaseModel):
    """A prefill asked in the body, so the applicant's key never sits in a URL (access logs,
    proxies and browser history keep URLs)."""

    service_item: str = Field(min_length=1, max_length=40, examples=["4101000004"])
    subject: str = Field(
        min_length=1, max_length=64, description="ID number or credit code", examples=[PERSON]
    )
    case_no: str = Field(min_length=1, max_length=64, description="办件编号", examples=[CASE])
    as_of: dt.datetime | None = Field(
        default=None,
        description="Answer as the pool stood at this moment (for reviewing a past case)",
        examples=[None],
    )


class LookupRequest(PrefillRequest):
    """A subject lookup asked in the body (the form of `GET /v1/subjects/{key}` that keeps
    the key out of the URL)."""


class BundleRequest(BaseModel):
    bundle: str = Field(examples=["open_restaurant"])
    subject: str = Field(examples=[PERSON])
    case_no: str = Field(min_length=1, max_length=64, examples=["ZZ2026112100001"])


class BundleAnswer(BaseModel):
    bundle: str = Field(examples=["open_restaurant"])
    bundle_name: str = Field(examples=["开办餐饮店"])
    subject: str = Field(examples=[PERSON])
    case_no: str
    snapshot_version: int
    service_items: list[str]
    fields: list[PrefillField] = Field(description="Each shared fact once across the bundle")
    materials: list[MaterialAnswer] = Field(description="Each material once across the bundle")
    refused: list[Refusal]


class VerifyRequest(BaseModel):
    service_item: str = Field(examples=["4101000013"])
    case_no: str = Field(min_length=1, max_length=64, examples=["ZZ2026112100001"])
    subjects: list[str] = Field(min_length=1, max_length=1000, examples=[[PERSON]])


class VerifyResult(BaseModel):
    subject: str
    normalised: str | None
    valid_key: bool
    problem: str | None = None
    found_in: list[str] = Field(description="Readable resources that hold certified records")


class VerifyAnswer(BaseModel):
    service_item: str
    case_no: str
    snapshot_version: int
    results: list[VerifyResult]


class ObjectionRequest(BaseModel):
    subject: str = Field(examples=[PERSON])
    resource: str = Field(examples=["ps_population"])
    item: str = Field(examples=["address"])
    claimed_value: str = Field(min_length=1, max_length=500, examples=["郑州市金水区花园路8号"])
    note: str = Field(default="", max_length=2000, examples=["申请人出示了新户口簿"])
    service_item: str = Field(examples=["4101000009"])
    case_no: str = Field(min_length=1, max_length=64, examples=["ZZ2026112100001"])


class ExtractRequest(BaseModel):
    kind: Literal["prefill", "lookup"] = Field(examples=["prefill"])
    service_item: str = Field(examples=["4101000004"])
    subject: str = Field(examples=[PERSON])
    case_no: str = Field(min_length=1, max_length=64, examples=["ZZ2026112100001"])


class ObjectionFiled(BaseModel):
    id: int = Field(examples=[12])
    status: str = Field(examples=["open"])
    resource: str = Field(examples=["ps_population"])
    item: str = Field(examples=["address"])
    provider_department: str = Field(examples=["ps"])


class ReadRecord(BaseModel):
    """One read of a subject's data, for the citizen's who-read-my-data page."""

    at: dt.datetime
    department: str
    role: str
    action: str
    service_item: str | None
    case_no: str | None
    resources: list[str]
    items: list[str]
    outcome: str
