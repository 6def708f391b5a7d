"""A catalogue entry as the 2017 national cataloguing guide (发改高技〔2017〕1272号) describes a
government information resource, plus what operating the exchange needs (lifecycle, steward,
contract link).

The model only checks shapes and vocabularies; the rules that span fields (what a conditional
resource must state, what may be opened to the public) are in `directory.validation`, so every
problem in an edit can be reported at once with its fix.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.model import Classification, SharingType, UpdateCycle

__all__ = [
    "Classification",
    "DataItem",
    "EntryDocument",
    "ItemType",
    "ResourceClass",
    "ResourceFormat",
    "SharingMethod",
    "SharingType",
    "Status",
    "UpdateCycle",
]


class Status(StrEnum):
    draft = "draft"
    in_review = "in_review"
    published = "published"
    deprecated = "deprecated"
    withdrawn = "withdrawn"


class ResourceFormat(StrEnum):
    """信息资源格式 (the guide's format classes)."""

    database = "database"
    spreadsheet = "spreadsheet"
    document = "document"
    image = "image"
    streaming_media = "streaming_media"
    self_describing = "self_describing"
    other = "other"


class SharingMethod(StrEnum):
    """共享方式: through the exchange API, as files, or by database replication."""

    api = "api"
    file = "file"
    database = "database"


class ItemType(StrEnum):
    """信息项数据类型: the contracts' logical types plus long text and binary (images)."""

    string = "string"
    integer = "integer"
    decimal = "decimal"
    date = "date"
    timestamp = "timestamp"
    boolean = "boolean"
    text = "text"
    binary = "binary"


class _Document(BaseModel):
    # A misspelt field must be reported, not silently dropped from a steward's edit.
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class ResourceClass(_Document):
    """信息资源分类: 类 / 项 / 目 / 细目; its digits are the front of the resource code."""

    category: str = Field(description="类: 1 基础, 2 主题, 3 部门", examples=["3"])
    subcategory: str = Field(description="项, two digits", examples=["02"])
    group: str = Field(description="目, three digits", examples=["001"])
    subgroup: str = Field(default="", description="细目, digits, may be empty")

    @property
    def prefix(self) -> str:
        return f"{self.category}{self.subcategory}{self.group}{self.subgroup}"


class DataItem(_Document):
    """信息项."""

    name: str = Field(description="Identifier, as the contract's column", examples=["credit_code"])
    label: str = Field(description="信息项名称", examples=["统一社会信用代码"])
    type: ItemType
    length: int | None = Field(default=None, description="Maximum length, where it applies")
    description: str = ""
    classification: Classification = Classification.public
    sharing_type: SharingType | None = Field(
        default=None, description="Only when stricter or looser than the resource's"
    )


class EntryDocument(_Document):
    """Everything a steward maintains about one resource; versioned as a whole."""

    code: str = Field(description="信息资源代码: classification digits / sequence")
    name: str = Field(min_length=1, description="信息资源名称")
    classification: ResourceClass
    provider_department: str = Field(description="信息资源提供方代码 (department code)")
    provider_name: str = Field(description="信息资源提供方")
    abstract: str = Field(default="", description="信息资源摘要")
    format: ResourceFormat = ResourceFormat.database
    data_items: list[DataItem] = Field(default_factory=list)
    sharing_type: SharingType
    sharing_condition: str = ""
    legal_basis: str = Field(default="", description="Required for conditional and not shared")
    sharing_methods: list[SharingMethod] = Field(default_factory=list)
    open_to_public: bool = False
    open_condition: str = ""
    update_cycle: UpdateCycle
    publish_date: dt.date | None = None
    related_codes: list[str] = Field(default_factory=list)
    status: Status = Status.draft
    replaced_by: str | None = None
    steward: str = ""
    contract_id: str | None = None
    contract_version: str | None = None

    def item(self, name: str) -> DataItem | None:
        return next((i for i in self.data_items if i.name == name), None)

    def item_sharing_type(self, item: DataItem) -> SharingType:
        return item.sharing_type or self.sharing_type

    def as_json(self) -> dict[str, Any]:
        """The JSON-ready form stored in the database and compared by the diff."""
        return self.model_dump(mode="json")
