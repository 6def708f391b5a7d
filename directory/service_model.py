"""The documents of a service item and its once-only map, as stewards write them and readers
see them: strict pydantic models (an unknown field is an error, not silently dropped), theme
bundles (一件事), and the views the directory hands out. `directory.services` checks them
against the catalogue and stores them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ItemKind(StrEnum):
    on_the_spot = "on_the_spot"  # 即办件
    promised = "promised"  # 承诺件


class Subject(StrEnum):
    person = "person"
    organisation = "organisation"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceItemDoc(_Strict):
    code: str = Field(examples=["4101000001"])
    name: str = Field(min_length=1, examples=["企业设立登记"])
    department: str = Field(examples=["mr"])
    window: str = Field(default="", examples=["综合窗口1"])
    kind: ItemKind
    promised_working_days: int = Field(default=0, ge=0)
    subject: Subject
    base_daily_volume: float = Field(default=0.0, ge=0, description="Relative demand, 1 = busiest")


class SourceRef(_Strict):
    """A data item of a catalogue resource."""

    resource: str = Field(description="Resource code", examples=["302001/000001"])
    item: str = Field(examples=["credit_code"])


class MaterialDoc(_Strict):
    name: str = Field(min_length=1, examples=["营业执照副本"])
    required: bool = True
    replaced_by: list[SourceRef] = Field(
        default_factory=list, description="Data items that together stand in for the material"
    )


class FormFieldDoc(_Strict):
    name: str = Field(min_length=1, examples=["统一社会信用代码"])
    source: SourceRef


class ServiceMapping(_Strict):
    materials: list[MaterialDoc] = Field(default_factory=list)
    form_fields: list[FormFieldDoc] = Field(default_factory=list)


class BundleDoc(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", examples=["open_restaurant"])
    name: str = Field(min_length=1, examples=["开办餐饮店"])
    description: str = ""
    service_items: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class ServiceItemView:
    item: ServiceItemDoc
    mapping: ServiceMapping
    updated_at: dt.datetime
    updated_by: str


@dataclass(frozen=True)
class Dependent:
    """A service item that relies on a resource, and through which materials and fields."""

    code: str
    name: str
    department: str
    base_daily_volume: float
    materials: dict[str, list[str]]  # material -> the resource's items it relies on
    form_fields: dict[str, str]  # form field -> item
