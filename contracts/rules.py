"""Quality rules as stewards write them: a kind and its parameters, no SQL needed.

Every rule has a stable id (quarantined rows cite it for years), a severity (error: the row is
quarantined; warning: the row is certified and flagged) and a quality dimension (for the
per-dimension quality score). `sql` is the escape hatch: one boolean expression over the
row's columns, parsed and checked with sqlglot before any data is touched.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Dimension(StrEnum):
    completeness = "completeness"
    validity = "validity"
    uniqueness = "uniqueness"
    consistency = "consistency"
    timeliness = "timeliness"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_.]*$", description="Stable rule id")
    severity: Severity = Severity.error
    dimension: Dimension = Dimension.validity
    description: str = ""


class NotNull(_Rule):
    kind: Literal["not_null"]
    column: str
    dimension: Dimension = Dimension.completeness


class Regex(_Rule):
    kind: Literal["regex"]
    column: str
    pattern: str


class Enum(_Rule):
    kind: Literal["enum"]
    column: str
    values: tuple[str, ...] = Field(min_length=1)


class Range(_Rule):
    """Inclusive bounds on a number, or on a date written YYYY-MM-DD."""

    kind: Literal["range"]
    column: str
    min: float | str | None = None
    max: float | str | None = None


class Length(_Rule):
    kind: Literal["length"]
    column: str
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Parses(_Rule):
    """The text parses as the column's logical type; implied by every non-string column."""

    kind: Literal["parses"]
    column: str


class KeyValid(_Rule):
    """The one-number key in `column` is well-formed (checked on landing, kept as __problem)."""

    kind: Literal["key_valid"]
    column: str


class DateNotFuture(_Rule):
    kind: Literal["date_not_future"]
    column: str


class Derived(StrEnum):
    """Facts encoded in an ID number that other columns must agree with."""

    birth_date = "birth_date"
    gender = "gender"


class MatchesIdNumber(_Rule):
    """Cross-field: e.g. the birth-date column equals the birth date encoded in the ID number."""

    kind: Literal["matches_id_number"]
    column: str
    id_column: str
    derived: Derived
    dimension: Dimension = Dimension.consistency


class Reference(_Rule):
    """The value exists in another resource's certified column (e.g. legal rep in population)."""

    kind: Literal["reference"]
    column: str
    resource: str
    resource_column: str
    dimension: Dimension = Dimension.consistency


class Sql(_Rule):
    """Escape hatch: one boolean expression over the row's columns; true means the row is fine."""

    kind: Literal["sql"]
    expression: str


Rule = Annotated[
    NotNull
    | Regex
    | Enum
    | Range
    | Length
    | Parses
    | KeyValid
    | DateNotFuture
    | MatchesIdNumber
    | Reference
    | Sql,
    Field(discriminator="kind"),
]


class RowCountChange(BaseModel):
    """Bounds on this batch's row count relative to the previous certified batch."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_ratio: float = Field(default=0.0, ge=0)
    max_ratio: float | None = Field(default=None, ge=0)


class BatchExpectations(BaseModel):
    """Expectations over a whole batch, asserted by the Great Expectations gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    row_count_change: RowCountChange | None = None
    min_rows: int = Field(default=1, ge=0)
    completeness: dict[str, float] = Field(
        default_factory=dict, description="Column -> minimum share of non-empty values"
    )
    key_unique: bool = Field(
        default=True, description="The record key is unique among the certified rows"
    )
    freshness_days: int | None = Field(
        default=None, ge=1, description="The newest record is at most this many days old"
    )
    freshness_column: str | None = Field(
        default=None, description="Date or timestamp column whose maximum shows freshness"
    )


class Quality(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: tuple[Rule, ...] = ()
    batch: BatchExpectations = BatchExpectations()
