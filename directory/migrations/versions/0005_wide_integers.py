"""64-bit integers on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Every integer column becomes BIGINT on PostgreSQL (and every id's sequence with it), as the
API's bounds promise 64-bit ids and versions. SQLite's INTEGER is 64-bit already: nothing
changes there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> its integer columns; ids numbered by a sequence come first and are marked "*"
COLUMNS: dict[str, tuple[str, ...]] = {
    "catalogue_entries": ("version",),
    "entry_versions": ("*id", "version"),
    "entry_figures": ("certified_rows",),
    "service_items": ("promised_working_days",),
    "materials": ("*id", "position"),
    "material_sources": ("*id", "material_id"),
    "form_fields": ("*id", "position"),
    "bundle_items": ("position",),
    "share_requests": ("*id", "daily_quota"),
    "share_request_events": ("*id", "request_id"),
    "users": ("*id",),
    "api_tokens": ("*id", "user_id"),
    "console_sessions": ("*id", "user_id", "token_id"),
    "identity_changes": ("id", "generation"),
    "audit_entries": ("sequence",),
    "audit_chain": ("id", "head_sequence", "anchor_sequence"),
    "objections": ("*id",),
    "objection_events": ("*id", "objection_id"),
}


def _retype(wide: bool) -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    new, old = (sa.BigInteger(), sa.Integer()) if wide else (sa.Integer(), sa.BigInteger())
    for table, columns in COLUMNS.items():
        for marked in columns:
            column = marked.lstrip("*")
            op.alter_column(table, column, type_=new, existing_type=old)
            if marked.startswith("*"):
                op.execute(
                    f"ALTER SEQUENCE {table}_{column}_seq AS {'bigint' if wide else 'integer'}"
                )


def upgrade() -> None:
    _retype(wide=True)


def downgrade() -> None:
    _retype(wide=False)
