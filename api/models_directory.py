"""Request and response models of the steward endpoints (`/v1/directory/...`).

The catalogue's own pydantic models (`EntryDocument`, `ServiceItemDoc`, ...) are reused as
they are, so the API and the store cannot drift apart; what is added here is the envelope
(versions, reasons, figures) and the error shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.bounds import DATABASE_INT_MAX
from directory.actors import Role
from directory.model import (
    Classification,
    DataItem,
    EntryDocument,
    ItemType,
    ResourceClass,
    ResourceFormat,
    SharingMethod,
    SharingType,
    Status,
    UpdateCycle,
)
from directory.service_model import BundleDoc, ServiceItemDoc, ServiceMapping

__all__ = [
    "BundleDoc",
    "Classification",
    "DataItem",
    "EntryDocument",
    "ItemType",
    "ServiceItemDoc",
    "ServiceMapping",
]

EXAMPLE_CODE = "302001/000001"


# ---- errors -------------------------------------------------------------------------------


class ProblemModel(BaseModel):
    field: str = Field(examples=["legal_basis"])
    message: str = Field(examples=["a conditional resource must cite its legal basis"])
    fix: str = Field(examples=["cite the law or regulation that restricts sharing"])


class ErrorBody(BaseModel):
    """Every error of these endpoints: a stable code, and a message that says what to do."""

    code: str = Field(examples=["edit_conflict"])
    message: str = Field(
        examples=[
            "entry 302001/000001 is at version 4 but you edited version 3; mr_steward changed "
            "abstract in between. Reload the entry, reapply your change and save with the new "
            "version."
        ]
    )
    problems: list[ProblemModel] = Field(default_factory=list)
    current_version: int | None = Field(default=None, description="On an edit conflict")
    changed_fields: list[str] | None = Field(default=None, description="On an edit conflict")


# ---- entries ------------------------------------------------------------------------------


class EntryHit(BaseModel):
    code: str = Field(examples=[EXAMPLE_CODE])
    name: str = Field(examples=["企业登记信息"])
    provider_department: str = Field(examples=["mr"])
    provider_name: str = Field(examples=["市场监督管理局"])
    sharing_type: SharingType
    status: Status
    update_cycle: UpdateCycle
    open_to_public: bool = Field(examples=[False])
    data_grade: Classification = Field(
        description="The most protected classification among its data items"
    )
    score: float = Field(examples=[14.0])
    matched: list[str] = Field(examples=[["name", "data_items"]])


class SearchResponse(BaseModel):
    total: int = Field(examples=[1])
    hits: list[EntryHit]


class FiguresModel(BaseModel):
    """Live figures fed by the pipelines."""

    last_batch: str = Field(examples=["企业登记信息_20261120.xlsx"])
    certified_at: dt.datetime
    quality_score: float = Field(examples=[0.987])
    certified_rows: int = Field(examples=[2000])


class EntryResponse(BaseModel):
    code: str = Field(examples=[EXAMPLE_CODE])
    version: int = Field(examples=[3], description="Send it back as expected_version to edit")
    updated_at: dt.datetime
    updated_by: str = Field(examples=["mr_steward"])
    entry: EntryDocument
    figures: FiguresModel | None
    freshness: str = Field(examples=["fresh"], description="fresh, late, stale or unknown")
    dependent_service_items: int = Field(examples=[9])
    allowed_statuses: list[Status] = Field(
        examples=[["deprecated", "withdrawn"]],
        description="The statuses the lifecycle allows next (its own status may always stay)",
    )


class EntryCreate(BaseModel):
    reason: str = Field(min_length=1, examples=["新编目：企业年报信息"])
    entry: EntryDocument


class EntryChanges(BaseModel):
    """Only the fields given are changed; `data_items` and the lists are replaced whole."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    classification: ResourceClass | None = None
    provider_department: str | None = None
    provider_name: str | None = None
    abstract: str | None = None
    format: ResourceFormat | None = None
    data_items: list[DataItem] | None = None
    sharing_type: SharingType | None = None
    sharing_condition: str | None = None
    legal_basis: str | None = None
    sharing_methods: list[SharingMethod] | None = None
    open_to_public: bool | None = None
    open_condition: str | None = None
    update_cycle: UpdateCycle | None = None
    publish_date: dt.date | None = None
    related_codes: list[str] | None = None
    status: Status | None = None
    replaced_by: str | None = None
    steward: str | None = None
    contract_id: str | None = None
    contract_version: str | None = None


class EntryPatch(BaseModel):
    expected_version: int = Field(
        ge=1,
        le=DATABASE_INT_MAX,
        examples=[3],
        description="The version you loaded; a newer one gives 409",
    )
    reason: str = Field(min_length=1, examples=["补充法律依据"])
    changes: EntryChanges = Field(
        examples=[{"legal_basis": "《企业信息公示暂行条例》", "sharing_methods": ["api", "file"]}]
    )


class RestoreRequest(BaseModel):
    expected_version: int = Field(ge=1, le=DATABASE_INT_MAX, examples=[5])
    reason: str = Field(min_length=1, examples=["误删信息项，恢复到审核通过的版本"])


class ChangeModel(BaseModel):
    field: str = Field(examples=["data_items[credit_code].length"])
    before: Any = Field(examples=[None])
    after: Any = Field(examples=[18])


class VersionSummary(BaseModel):
    version: int = Field(examples=[2])
    kind: str = Field(
        examples=["edited"], description="created, edited, restored, contract, imported"
    )
    author: str = Field(examples=["mr_steward"])
    reason: str = Field(examples=["补充法律依据"])
    created_at: dt.datetime
    changes: list[ChangeModel]


class VersionResponse(VersionSummary):
    entry: EntryDocument


class DependentModel(BaseModel):
    code: str = Field(examples=["4101000013"])
    name: str = Field(examples=["社会保险参保登记"])
    department: str = Field(examples=["hrss"])
    base_daily_volume: float = Field(examples=[0.15])
    materials: dict[str, list[str]] = Field(examples=[{"营业执照副本": ["credit_code", "name"]}])
    form_fields: dict[str, str] = Field(examples=[{"单位名称": "name"}])


class CatalogueExport(BaseModel):
    """The whole catalogue: each entry's document plus version, update and live figures."""

    exported_at: dt.datetime
    count: int = Field(examples=[9])
    entries: list[dict[str, Any]]


class ContractSyncModel(BaseModel):
    contract_id: str = Field(examples=["mr_enterprise"])
    code: str = Field(examples=[EXAMPLE_CODE])
    action: str = Field(examples=["updated"], description="created, updated, unchanged, blocked")
    changes: list[ChangeModel]
    problems: list[ProblemModel]


# ---- service items, bundles, the once-only figure -----------------------------------------


class MaterialFigureModel(BaseModel):
    name: str = Field(examples=["营业执照副本"])
    state: str = Field(examples=["replaced"], description="replaced, blocked or applicant")
    reason: str = Field(examples=[""], description="Why a mapped material is blocked")


class ItemFigureModel(BaseModel):
    code: str = Field(examples=["4101000013"])
    name: str = Field(examples=["社会保险参保登记"])
    materials_total: int = Field(examples=[4])
    materials_replaced: int = Field(examples=[2])
    form_fields: int = Field(examples=[3])
    form_fields_prefilled: int = Field(examples=[3])
    materials: list[MaterialFigureModel]
    data_items: list[str] = Field(examples=[[f"{EXAMPLE_CODE}:credit_code"]])


class ServiceItemResponse(BaseModel):
    item: ServiceItemDoc
    mapping: ServiceMapping
    figure: ItemFigureModel
    updated_at: dt.datetime
    updated_by: str


class OnceOnlyResponse(BaseModel):
    on: dt.date
    materials_total: int = Field(examples=[73])
    materials_replaced: int = Field(examples=[40])
    share: float = Field(examples=[0.55], description="Materials no longer needed")
    demand_weighted_share: float = Field(examples=[0.55])
    form_fields: int = Field(examples=[46])
    form_fields_prefilled: int = Field(examples=[46])
    items: list[ItemFigureModel]


class BundleResponse(BaseModel):
    bundle: BundleDoc
    items: list[ItemFigureModel]
    prefill: list[str] = Field(
        description="Every data item the clerk can prefill for the whole bundle",
        examples=[[f"{EXAMPLE_CODE}:name"]],
    )


# ---- share requests and grants ------------------------------------------------------------


class ShareRequestCreate(BaseModel):
    department: str | None = Field(
        default=None, description="Requesting department; default: the caller's", examples=["mr"]
    )
    resource_code: str = Field(examples=["301001/000001"])
    service_item_code: str = Field(examples=["4101000001"])
    items: list[str] | None = Field(
        default=None,
        description="Items needed; omit for the whole resource",
        examples=[["id_number", "name"]],
    )
    purpose: str = Field(examples=["企业设立登记时核验法定代表人身份"])
    legal_basis: str = Field(default="", examples=["《中华人民共和国市场主体登记管理条例》"])


class Approval(BaseModel):
    valid_until: dt.date = Field(examples=["2027-12-31"])
    daily_quota: int | None = Field(default=None, ge=1, le=DATABASE_INT_MAX, examples=[5000])
    note: str = Field(default="", examples=["仅限核验，不得留存"])


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, examples=["申请的信息项超出事项所需"])


class EventModel(BaseModel):
    at: dt.datetime
    actor: str = Field(examples=["ps_steward"])
    action: str = Field(examples=["approved"])
    note: str = Field(examples=["valid until 2027-12-31"])


class ShareRequestResponse(BaseModel):
    id: int = Field(examples=[18])
    requester_department: str = Field(examples=["mr"])
    provider_department: str = Field(examples=["ps"])
    resource_code: str = Field(examples=["301001/000001"])
    resource_name: str = Field(examples=["人口基本信息"])
    items: list[str] | None
    service_item_code: str = Field(examples=["4101000001"])
    purpose: str
    legal_basis: str
    status: str = Field(
        examples=["pending"], description="pending, granted, rejected, revoked, expired"
    )
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    daily_quota: int | None
    note: str
    answer_due: dt.date = Field(description="10 working days after the request")
    age_working_days: int = Field(examples=[3])
    overdue: bool
    events: list[EventModel]


class GrantDecision(BaseModel):
    allowed: bool
    reason: str = Field(examples=["granted by request #18"])
    request_id: int | None = None
    daily_quota: int | None = None


# ---- identity -----------------------------------------------------------------------------


class UserCreate(BaseModel):
    name: str = Field(examples=["wang.li"])
    role: Role
    department: str = Field(examples=["mr"])
    display_name: str = Field(default="", examples=["王丽"])


class UserResponse(BaseModel):
    id: int
    name: str = Field(examples=["wang.li"])
    display_name: str = Field(examples=["王丽"])
    role: Role
    department: str = Field(examples=["mr"])
    created_at: dt.datetime
    disabled: bool


class UserState(BaseModel):
    disabled: bool


class TokenCreate(BaseModel):
    label: str = Field(default="", examples=["前台工作站 3"])


class TokenResponse(BaseModel):
    id: int
    user: str = Field(examples=["wang.li"])
    prefix: str = Field(examples=["oo_Xk3f9a"], description="To recognise a token, not to use it")
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class IssuedTokenResponse(BaseModel):
    token: str = Field(description="Shown once; only its hash is kept")
    info: TokenResponse
