"""prefilled values (what each prefill put into an open case's form)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prefilled_values",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("service_item", sa.String(length=40), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("subject_key", sa.String(length=32), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department", "case_no", "subject_hash", "service_item", "field"),
    )
    with op.batch_alter_table("prefilled_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prefilled_values_department"), ["department"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("prefilled_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prefilled_values_department"))
    op.drop_table("prefilled_values")
