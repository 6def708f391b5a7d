"""The data contract of one department resource, as stewards write it in YAML.

Modelled on the Open Data Contract Standard v3 where it fits (id, version, status, owner,
schema with logical types) and extended with what a government exchange needs: the
source format departments deliver in, the Chinese header aliases they use, key roles
for the one-number keys, and the sharing type of the national sharing rules.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.rules import Quality


class Status(StrEnum):
    draft = "draft"
    active = "active"
    deprecated = "deprecated"
    retired = "retired"


class SharingType(StrEnum):
    """国发〔2016〕51号: 无条件共享 / 有条件共享 / 不予共享."""

    unconditional = "unconditional"
    conditional = "conditional"
    not_shared = "not_shared"


class KeyRole(StrEnum):
    """Which one-number key a column holds; `subject` holds either kind (owners, applicants)."""

    id_number = "id_number"
    credit_code = "credit_code"
    subject = "subject"


class LogicalType(StrEnum):
    string = "string"
    integer = "integer"
    decimal = "decimal"
    date = "date"
    timestamp = "timestamp"
    boolean = "boolean"


# Each logical type as SQL names it: what typing casts to and what the pool's tables hold.
SQL_TYPES = {
    LogicalType.string: "VARCHAR",
    LogicalType.integer: "BIGINT",
    LogicalType.decimal: "DOUBLE",
    LogicalType.date: "DATE",
    LogicalType.timestamp: "TIMESTAMP",
    LogicalType.boolean: "BOOLEAN",
}


class Classification(StrEnum):
    public = "public"
    personal = "personal"
    sensitive = "sensitive"


class SourceFormat(StrEnum):
    csv = "csv"
    excel = "excel"
    jsonl = "jsonl"
    parquet = "parquet"


class UpdateCycle(StrEnum):
    """更新周期 of the cataloguing guide."""

    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"
    irregular = "irregular"


class _Strict(BaseModel):
    # A typo in a contract must be an error, not a silently ignored field.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Strict):
    department: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Department code")
    department_name: str
    steward: str


class Sharing(_Strict):
    type: SharingType
    condition: str | None = None

    @model_validator(mode="after")
    def _conditional_needs_condition(self) -> Sharing:
        if self.type is SharingType.conditional and not self.condition:
            raise ValueError("a conditional resource must state its sharing condition")
        return self


class Source(_Strict):
    formats: tuple[SourceFormat, ...] = Field(
        description="Formats the department may deliver in, preferred first: a delivered file "
        "is read by its real type, and returned rows are written in the preferred format",
    )
    encoding: str | None = Field(
        default=None, description="Expected text encoding; files are still sniffed on arrival"
    )
    file_pattern: str = Field(
        description="Glob that a delivered file name matches; the extension may be that of "
        "any accepted format"
    )

    @model_validator(mode="before")
    @classmethod
    def _one_format_is_a_list_of_one(cls, data: object) -> object:
        """Contracts written before several formats were allowed say `format: csv`; they stay
        valid (an old version must still load for `contract diff`)."""
        if isinstance(data, dict) and "format" in data:
            if "formats" in data:
                raise ValueError("give either format or formats, not both; formats lists several")
            data = {k: v for k, v in data.items() if k != "format"} | {"formats": [data["format"]]}
        return data

    @field_validator("formats")
    @classmethod
    def _formats_once_each(cls, formats: tuple[SourceFormat, ...]) -> tuple[SourceFormat, ...]:
        # Checked here rather than with min_length, which would repeat an unknown format's
        # error as "no format".
        if not formats:
            raise ValueError("list at least one format, the preferred first")
        if len(set(formats)) != len(formats):
            raise ValueError("each format may be listed once")
        return formats

    @property
    def format(self) -> SourceFormat:
        """The preferred format: what departments are asked for and what returns are written in."""
        return self.formats[0]


class Column(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: LogicalType = LogicalType.string
    required: bool = False
    unique: bool = False
    key_role: KeyRole | None = None
    aliases: tuple[str, ...] = Field(
        default=(), description="Header names as departments send them, first one preferred"
    )
    classification: Classification = Classification.public
    sharing: SharingType | None = Field(
        default=None, description="Sharing type of this item, where stricter than the resource's"
    )
    item: str | None = Field(
        default=None,
        pattern=r"^[a-z]+\.[a-z_]+$",
        description="Shared data item this column carries (e.g. person.name), for conflicts",
    )
    authoritative: bool = Field(
        default=False, description="This resource is the one authoritative source of `item`"
    )
    description: str = ""

    @property
    def delivered_name(self) -> str:
        """Landed column holding the text as delivered: key columns land normalised, with the
        delivered text beside them in `<name>__raw`."""
        return f"{self.name}__raw" if self.key_role is not None else self.name

    @property
    def header_names(self) -> tuple[str, ...]:
        """Every header under which this column is recognised in a delivered file."""
        return (*self.aliases, self.name)


class Contract(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    status: Status
    name: str
    name_en: str = ""
    owner: Owner
    description: str
    purpose: str = ""
    update_cycle: UpdateCycle
    sharing: Sharing
    source: Source
    columns: tuple[Column, ...] = Field(alias="schema", min_length=1)
    record_key: tuple[str, ...] = Field(
        min_length=1, description="Columns identifying one record over time (history key)"
    )
    quality: Quality = Quality()

    @field_validator("columns")
    @classmethod
    def _unique_names(cls, columns: tuple[Column, ...]) -> tuple[Column, ...]:
        seen: dict[str, str] = {}
        for column in columns:
            for header in column.header_names:
                if header in seen and seen[header] != column.name:
                    raise ValueError(
                        f"header {header!r} is claimed by both {seen[header]!r} and "
                        f"{column.name!r}; give each column its own aliases"
                    )
                seen[header] = column.name
        return columns

    @model_validator(mode="after")
    def _references_resolve(self) -> Contract:
        names = {c.name for c in self.columns}
        for name in self.record_key:
            if name not in names:
                raise ValueError(f"record_key names unknown column {name!r}")
        for index, rule in enumerate(self.quality.rules):
            for field in ("column", "id_column"):
                column = getattr(rule, field, None)
                if column is not None and column not in names:
                    raise ValueError(
                        f"quality.rules.{index} ({rule.id}): unknown column {column!r}; "
                        f"columns are {', '.join(sorted(names))}"
                    )
        for column_name in self.quality.batch.completeness:
            if column_name not in names:
                raise ValueError(f"quality.batch.completeness: unknown column {column_name!r}")
        ids = [rule.id for rule in self.quality.rules]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(sorted(duplicates))}")
        return self

    def item_sharing(self, column: Column) -> SharingType:
        """An item is shared no more openly than its resource."""
        order = [SharingType.unconditional, SharingType.conditional, SharingType.not_shared]
        own = column.sharing or self.sharing.type
        return max(own, self.sharing.type, key=order.index)

    @property
    def department(self) -> str:
        return self.owner.department

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.key_role is not None)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"contract {self.id} has no column {name!r}")
