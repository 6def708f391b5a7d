"""Quoting names into SQL, the one helper every reader and writer of a snapshot needs.

Table names are contract ids (some Chinese or mixed case) and cannot be bound as parameters,
so they are quoted; the pipelines' DuckDB helpers take it from here rather than define it
twice.
"""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """A table or column name as SQL: double-quoted, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'
