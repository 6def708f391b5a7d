"""Region shards: which part of a delivery a record certifies in, read from its own key.

Both one-number keys carry the region that issued them: positions 1-6 of a resident ID
number and 3-8 of a unified social credit code are the administrative division code, whose
first two digits are the province. A resource whose record key holds such a key is certified
shard by shard, each shard on its own (its own gate, its own transaction), so a province's
bad delivery never holds back another's and a cluster can certify provinces side by side.

The level is a deployment's choice (``ONCEONLY_SHARDS``): `none` on one machine, where a
delivery certifies whole because splitting buys nothing and each shard costs a Dagster run and
a gate; `province` (2 digits) for a national or multi-province platform on a cluster; and
`prefecture` (4 digits) for a provincial platform, whose own residents all share one province
code. Never the county (all six digits): some 3,000 shards per delivery, most a few hundred
rows, each paying a gate, a transaction and a run, and Parquet files of kilobytes where a
columnar file wants tens of megabytes. A coarser shard is still divisible later (the county
is in the same key) without moving any history; changing the level of a deployment whose
lake already holds history means rewriting the lake's tables once (their partitions are the
shards).

The shard is a pure function of the *normalised* key, so every version of a record, and
every row claiming the same record, lands in one shard: its history never spans two. Landing
normalises first (full-width digits, a lower-case check character, 15-digit legacy numbers
widened to 18 by inserting the century, which keeps positions 1-6), so the legacy and the
current spelling of one number share a shard. A person whose registered region changes keeps
the ID number, hence the shard: the region in the key is where the number was issued, not
where the person lives now. A re-issued number (e.g. after a corrected birth date) is a new
key; the source links the two through its own correction, and the old key's history stays
where it is rather than moving.

Rows that carry no region are certified together in :data:`NO_REGION`: a key that is not
valid (such rows are quarantined anyway) and every row of a resource whose record key is not a
person's or an organisation's key (e.g. case numbers, whose applicant may change between
deliveries while the case's history must stay in one place).
"""

from __future__ import annotations

from sqlglot import exp

import settings
from contracts.keys.regions import region_codes
from contracts.model import Column, Contract, KeyRole

NO_REGION = "00"  # no province or prefecture has this code
# The provinces, autonomous regions, municipalities and special administrative regions
# (GB/T 2260), the region part of every valid key's shard.
PROVINCES = (
    *("11", "12", "13", "14", "15"),
    *("21", "22", "23"),
    *("31", "32", "33", "34", "35", "36", "37"),
    *("41", "42", "43", "44", "45", "46"),
    *("50", "51", "52", "53", "54"),
    *("61", "62", "63", "64", "65"),
    *("71", "81", "82"),
)
# How many leading digits of the region code name a shard, per level (settings.SHARD_LEVELS).
DIGITS = {"none": 0, "province": 2, "prefecture": 4}
# Where the region code starts in a normalised key (1-based, as SQL's SUBSTRING counts).
REGION_START = {KeyRole.id_number: 1, KeyRole.credit_code: 3}


def configured_level() -> str:
    """The deployment's shard level (``ONCEONLY_SHARDS``; see ``settings.Settings.shards``)."""
    return settings.current().shards


def shard_names(level: str | None = None) -> tuple[str, ...]:
    """Every shard a row can fall into at `level` (default: the configured one), the region
    dimension of certification's Dagster partitions: none, a single shard (:data:`NO_REGION`);
    province, the provinces and no region; prefecture, every prefecture-level code GB/T 2260
    has known (those of abolished ones too: a number keeps its region code for life)."""
    level = level or configured_level()
    if level == "province":
        return (*PROVINCES, NO_REGION)
    if level == "prefecture":
        return (*sorted({code[:4] for code in region_codes()}), NO_REGION)
    return (NO_REGION,)


def shard_column(contract: Contract) -> Column | None:
    """The record-key column the shard is read from: the first one holding an ID number or a
    credit code; None when the record key holds neither (one shard: :data:`NO_REGION`)."""
    for name in contract.record_key:
        column = contract.column(name)
        if column.key_role in REGION_START:
            return column
    return None


def shard_of_key(key: str | None, role: KeyRole, level: str | None = None) -> str:
    """The shard of one normalised key of `role` (:data:`NO_REGION` when it has none)."""
    start, digits = REGION_START.get(role), DIGITS[level or configured_level()]
    if key is None or start is None or digits == 0:
        return NO_REGION
    return key[start - 1 : start - 1 + digits]


def shard_expression(
    contract: Contract, table: str | None = None, level: str | None = None
) -> exp.Expr:
    """SQL (a sqlglot tree, rendered for either engine) of a landed row's shard, from its
    normalised key column (NULL, hence no region, when landing found the key invalid)."""
    column, digits = shard_column(contract), DIGITS[level or configured_level()]
    if column is None or column.key_role is None or digits == 0:
        return exp.Literal.string(NO_REGION)
    key = exp.column(column.name, table=table, quoted=True)
    code = exp.Substring(
        this=key,
        start=exp.Literal.number(REGION_START[column.key_role]),
        length=exp.Literal.number(digits),
    )
    return exp.Coalesce(this=code, expressions=[exp.Literal.string(NO_REGION)])


def in_shard(
    contract: Contract, shard: str, table: str | None = None, level: str | None = None
) -> exp.Expr:
    """SQL condition: a landed row belongs to `shard`."""
    return exp.EQ(
        this=shard_expression(contract, table, level), expression=exp.Literal.string(shard)
    )
