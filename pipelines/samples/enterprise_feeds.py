"""Rows of the enterprise-keyed feeds: market regulation's register and tax standing."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.enterprises import EnterpriseBatch
from pipelines.samples.hashing import IndexRandom, cumulative
from pipelines.samples.places import city_counties

CREDIT_LEVELS = ("A", "B", "M", "C", "D")
LEVEL_SHARES = {  # by entity kind: companies, sole proprietors, cooperatives
    1: (12.0, 55.0, 23.0, 7.0, 3.0),
    2: (2.0, 25.0, 68.0, 4.0, 1.0),
    3: (5.0, 40.0, 50.0, 4.0, 1.0),
}
ARREARS_CHANCE = (0.0, 0.01, 0.01, 0.3, 0.8)  # per level: D-level taxpayers mostly owe tax


def register_rows(b: EnterpriseBatch) -> pa.Table:
    """Register rows; `_index` (not delivered) is each row's enterprise index."""
    return pa.table(
        {
            "_index": pa.array(b.index),
            "credit_code": b.credit_code,
            "name": b.name,
            "enterprise_type": b.enterprise_type,
            "legal_rep_name": b.legal_rep_name,
            "legal_rep_id": b.legal_rep_id,
            "registered_capital": pa.array(b.capital),
            "established_date": pc.cast(pa.array(b.established), pa.string()),
            "status": b.status,
            "address": b.address,
            "business_scope": b.business_scope,
        }
    )


def tax_rows(b: EnterpriseBatch, seed: int, assessed_year: int) -> pa.Table:
    """Standing of every entity for the last assessment year; entities registered in that
    year or later are not yet assessed and get level M, as the tax rules say."""
    rand = IndexRandom(seed, "tax.level")
    level = np.zeros(len(b.index), dtype=np.int64)
    for kind, shares in LEVEL_SHARES.items():
        rows = b.kind == kind
        level[rows] = rand.pick(b.index[rows], cumulative(shares))
    new = b.established.astype("datetime64[Y]").astype(np.int64) + 1970 >= assessed_year
    level[new] = CREDIT_LEVELS.index("M")
    owes = IndexRandom(seed, "tax.arrears").uniform(b.index) < np.array(ARREARS_CHANCE)[level]
    authority = city_counties().offices(b.county, "税务局")
    return pa.table(
        {
            "credit_code": b.credit_code,
            "taxpayer_name": b.name,
            "credit_level": pa.array(CREDIT_LEVELS).take(pa.array(level)),
            "in_arrears": pa.array(np.where(owes, "是", "否")),
            "assessed_year": pa.array(np.full(len(b.index), assessed_year), type=pa.int64()),
            "tax_authority": pc.binary_join_element_wise("国家税务总局", authority, ""),
        }
    )
