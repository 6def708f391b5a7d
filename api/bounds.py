"""Bounds on the integers a request may carry, so none reaches a database it cannot fit in.

Python's int has no limit, but the directory's keys and offsets are 64-bit signed integers
(SQLite and PostgreSQL alike) and so are DuckDB's: a larger number sent to them raises an
overflow inside the driver, which answered 500. Declared on the parameter, the bound turns
such a request into the usual 422 naming the field, and the OpenAPI description shows it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

DATABASE_INT_MAX = 2**63 - 1

RowId = Annotated[
    int,
    Path(ge=1, le=DATABASE_INT_MAX, description="A positive 64-bit id, as listed by the API"),
]
VersionNumber = Annotated[
    int,
    Path(ge=1, le=DATABASE_INT_MAX, description="A version number from the entry's history"),
]
Offset = Annotated[int, Query(ge=0, le=DATABASE_INT_MAX, description="Rows to skip")]
