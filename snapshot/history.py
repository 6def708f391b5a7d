"""Reading certified history: a correction supersedes, never overwrites.

Each certified record version carries `_valid_from` / `_valid_to` (knowledge time: when the
exchange certified it, and when a correction superseded it), so "what did we know about this
subject at moment M" is the as-of condition below. It is written once, here: the layout
builder selects the current versions with it and the API reads past cases with it, and an
engine that writes history must keep to the same meaning.
"""

from __future__ import annotations

from snapshot.sql import quote_identifier
from snapshot.tables import NOT_SERVED, history_table

CURRENT = "_valid_to IS NULL"  # the version in force now
# The select list of a history read: every column but those a reader is never served.
SERVED = f"* EXCLUDE ({', '.join(NOT_SERVED)})"


def as_of_condition(moment: str) -> str:
    """SQL condition selecting the version valid at `moment` (an SQL timestamp expression,
    or `?`: then the moment is bound twice)."""
    return f"_valid_from <= {moment} AND ({CURRENT} OR _valid_to > {moment})"


def as_of_records_sql(contract_id: str, key_column: str) -> str:
    """A subject's versions valid at a moment, oldest first; parameters: the subject's key,
    then the moment twice."""
    return (
        f"SELECT {SERVED} FROM {history_table(contract_id)} "
        f"WHERE {quote_identifier(key_column)} = ? AND {as_of_condition('?')} "
        "ORDER BY _valid_from"
    )


def current_records_sql(
    contract_id: str, key_column: str, key_width: int, catalog: str | None = None
) -> str:
    """Every current version whose subject key is `key_width` long, sorted by key and by the
    row's place in its delivery: what the key-lookup layout holds."""
    key = quote_identifier(key_column)
    return (
        f"SELECT {SERVED} FROM {history_table(contract_id, catalog)} "
        f"WHERE {CURRENT} AND length({key}) = {key_width} ORDER BY {key}, _row_number"
    )
