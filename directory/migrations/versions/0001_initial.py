"""catalogue, service map, sharing and identity

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bundles",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "catalogue_entries",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider_department", sa.String(length=32), nullable=False),
        sa.Column("sharing_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("contract_id", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("contract_id"),
    )
    with op.batch_alter_table("catalogue_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_entries_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_provider_department"),
            ["provider_department"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_catalogue_entries_sharing_type"), ["sharing_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalogue_entries_status"), ["status"], unique=False)

    op.create_table(
        "service_items",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("window", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("promised_working_days", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("base_daily_volume", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_items_department"), ["department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_items_name"), ["name"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "bundle_items",
        sa.Column("bundle_code", sa.String(length=40), nullable=False),
        sa.Column("service_item_code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bundle_code"], ["bundles.code"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["service_item_code"],
            ["service_items.code"],
        ),
        sa.PrimaryKeyConstraint("bundle_code", "service_item_code"),
    )
    op.create_table(
        "entry_figures",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("last_batch", sa.String(length=128), nullable=False),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quality_score", sa.Float(), nullable=False),
        sa.Column("certified_rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"],
            ["catalogue_entries.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "entry_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"],
            ["catalogue_entries.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version"),
    )
    with op.batch_alter_table("entry_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_versions_code"), ["code"], unique=False)

    op.create_table(
        "form_fields",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_item_code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("resource_code", sa.String(length=40), nullable=False),
        sa.Column("item_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_code"],
            ["catalogue_entries.code"],
        ),
        sa.ForeignKeyConstraint(["service_item_code"], ["service_items.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_item_code", "name"),
    )
    with op.batch_alter_table("form_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_fields_resource_code"), ["resource_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_form_fields_service_item_code"), ["service_item_code"], unique=False
        )

    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_item_code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["service_item_code"], ["service_items.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_item_code", "name"),
    )
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_materials_service_item_code"), ["service_item_code"], unique=False
        )

    op.create_table(
        "share_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester_department", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=40), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("service_item_code", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("daily_quota", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_code"],
            ["catalogue_entries.code"],
        ),
        sa.ForeignKeyConstraint(
            ["service_item_code"],
            ["service_items.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_requests_requester_department"),
            ["requester_department"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_share_requests_resource_code"), ["resource_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_share_requests_status"), ["status"], unique=False)

    op.create_table(
        "material_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("resource_code", sa.String(length=40), nullable=False),
        sa.Column("item_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["material_id"], ["materials.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["resource_code"],
            ["catalogue_entries.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("material_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_sources_material_id"), ["material_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_material_sources_resource_code"), ["resource_code"], unique=False
        )

    op.create_table(
        "share_request_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["share_requests.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("share_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_request_events_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("share_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_request_events_request_id"))

    op.drop_table("share_request_events")
    with op.batch_alter_table("material_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_sources_resource_code"))
        batch_op.drop_index(batch_op.f("ix_material_sources_material_id"))

    op.drop_table("material_sources")
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_requests_status"))
        batch_op.drop_index(batch_op.f("ix_share_requests_resource_code"))
        batch_op.drop_index(batch_op.f("ix_share_requests_requester_department"))

    op.drop_table("share_requests")
    with op.batch_alter_table("materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_materials_service_item_code"))

    op.drop_table("materials")
    with op.batch_alter_table("form_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_fields_service_item_code"))
        batch_op.drop_index(batch_op.f("ix_form_fields_resource_code"))

    op.drop_table("form_fields")
    with op.batch_alter_table("entry_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_versions_code"))

    op.drop_table("entry_versions")
    op.drop_table("entry_figures")
    op.drop_table("bundle_items")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_items_name"))
        batch_op.drop_index(batch_op.f("ix_service_items_department"))

    op.drop_table("service_items")
    with op.batch_alter_table("catalogue_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_status"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_sharing_type"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_provider_department"))
        batch_op.drop_index(batch_op.f("ix_catalogue_entries_name"))

    op.drop_table("catalogue_entries")
    op.drop_table("bundles")
