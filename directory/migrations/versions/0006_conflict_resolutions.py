"""conflict resolutions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conflict_resolutions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("conflict_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("authoritative_resource", sa.String(length=64), nullable=False),
        sa.Column("other_resource", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=64), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conflict_id"),
    )
    with op.batch_alter_table("conflict_resolutions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflict_resolutions_department"), ["department"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conflict_resolutions_other_resource"), ["other_resource"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conflict_resolutions_subject_hash"), ["subject_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conflict_resolutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_resolutions_subject_hash"))
        batch_op.drop_index(batch_op.f("ix_conflict_resolutions_other_resource"))
        batch_op.drop_index(batch_op.f("ix_conflict_resolutions_department"))
    op.drop_table("conflict_resolutions")
