"""The catalogue's filters as query parameters, shared by the search and the sheet exports,
so a filtered view, its export and its bookmark all say the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from directory.model import Classification, SharingType, Status, UpdateCycle
from directory.search import Filters


@dataclass(frozen=True)
class CatalogueQuery:
    q: str
    filters: Filters


def catalogue_query(
    q: Annotated[
        str,
        Query(
            max_length=200, description="Words or fragments, Chinese or not", examples=["企业 登记"]
        ),
    ] = "",
    department: Annotated[
        str | None, Query(description="Provider department code", examples=["mr"])
    ] = None,
    sharing_type: Annotated[
        SharingType | None,
        Query(description="无条件共享 / 有条件共享 / 不予共享", examples=["conditional"]),
    ] = None,
    open_to_public: Annotated[
        bool | None,
        Query(description="Open to the public (开放类型): true or false", examples=[False]),
    ] = None,
    update_cycle: Annotated[
        UpdateCycle | None, Query(description="更新周期", examples=["daily"])
    ] = None,
    status_: Annotated[
        Status | None,
        Query(alias="status", description="Lifecycle status", examples=["published"]),
    ] = None,
    data_grade: Annotated[
        Classification | None,
        Query(
            description="The most protected classification among the entry's data items "
            "(public < personal < sensitive)",
            examples=["sensitive"],
        ),
    ] = None,
) -> CatalogueQuery:
    return CatalogueQuery(
        q,
        Filters(
            department=department or None,
            sharing_type=sharing_type.value if sharing_type else None,
            status=status_.value if status_ else None,
            update_cycle=update_cycle.value if update_cycle else None,
            open_to_public=open_to_public,
            data_grade=data_grade.value if data_grade else None,
        ),
    )


CatalogueFilter = Annotated[CatalogueQuery, Depends(catalogue_query)]
