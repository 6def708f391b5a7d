"""The directory's tables (SQLAlchemy ORM), one place for the schema the migrations build.

Entries keep their whole catalogue document as JSON beside the few columns that are filtered
on, so a new catalogue field is a model change, not a migration; versions keep the document as
it was, which is what makes show/restore exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

JsonDocument = JSON().with_variant(JSONB(), "postgresql")
# Every integer 64-bit, as the API's bounds (`api.bounds`) promise: SQLite's INTEGER already is
# (and only `INTEGER PRIMARY KEY` is its rowid, so it keeps that name there); PostgreSQL's is
# 32-bit, where a larger id in a request failed inside the driver instead of finding nothing.
WideInteger = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored as UTC and read back timezone-aware on SQLite and PostgreSQL alike.

    SQLite has no time zone type; without this a value would come back naive on one backend
    and aware on the other, and "is this grant still valid" would depend on the database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JsonDocument,
        list[Any]: JsonDocument,
        int: WideInteger,  # foreign keys to ids, typed by their annotation
    }


class Entry(Base):
    """The current state of one catalogue entry (政务信息资源目录条目)."""

    __tablename__ = "catalogue_entries"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    provider_department: Mapped[str] = mapped_column(String(32), index=True)
    sharing_type: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    contract_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(WideInteger)
    document: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class EntryVersion(Base):
    """One saved version of an entry: the whole document, the field-level diff, who and why."""

    __tablename__ = "entry_versions"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(ForeignKey("catalogue_entries.code"), index=True)
    version: Mapped[int] = mapped_column(WideInteger)
    kind: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]]
    changes: Mapped[list[Any]]
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class EntryFigures(Base):
    """Live figures the pipelines report per resource; not steward edits, so not versioned."""

    __tablename__ = "entry_figures"

    code: Mapped[str] = mapped_column(ForeignKey("catalogue_entries.code"), primary_key=True)
    last_batch: Mapped[str] = mapped_column(String(128))
    certified_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    quality_score: Mapped[float] = mapped_column(Float)
    certified_rows: Mapped[int] = mapped_column(WideInteger)


class ServiceItem(Base):
    """A government service item (政务服务事项) as the centre runs it."""

    __tablename__ = "service_items"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    window: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    promised_working_days: Mapped[int] = mapped_column(WideInteger)
    subject: Mapped[str] = mapped_column(String(16))
    base_daily_volume: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class Material(Base):
    """An application material (申请材料) a service item asks for."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("service_item_code", "name"),)

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    service_item_code: Mapped[str] = mapped_column(
        ForeignKey("service_items.code", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(WideInteger)
    name: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean)


class MaterialSource(Base):
    """One data item that, with the material's other sources, stands in for the material."""

    __tablename__ = "material_sources"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), index=True
    )
    resource_code: Mapped[str] = mapped_column(ForeignKey("catalogue_entries.code"), index=True)
    item_name: Mapped[str] = mapped_column(String(64))


class FormField(Base):
    """A field of the service item's application form and the data item that fills it."""

    __tablename__ = "form_fields"
    __table_args__ = (UniqueConstraint("service_item_code", "name"),)

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    service_item_code: Mapped[str] = mapped_column(
        ForeignKey("service_items.code", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(WideInteger)
    name: Mapped[str] = mapped_column(String(100))
    resource_code: Mapped[str] = mapped_column(ForeignKey("catalogue_entries.code"), index=True)
    item_name: Mapped[str] = mapped_column(String(64))


class Bundle(Base):
    """A theme bundle (一件事): service items an applicant usually needs together."""

    __tablename__ = "bundles"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)


class BundleItem(Base):
    __tablename__ = "bundle_items"

    bundle_code: Mapped[str] = mapped_column(
        ForeignKey("bundles.code", ondelete="CASCADE"), primary_key=True
    )
    service_item_code: Mapped[str] = mapped_column(
        ForeignKey("service_items.code"), primary_key=True
    )
    position: Mapped[int] = mapped_column(WideInteger)


class ShareRequest(Base):
    """A department's request to read a resource for a service item; once granted, a grant."""

    __tablename__ = "share_requests"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    requester_department: Mapped[str] = mapped_column(String(32), index=True)
    resource_code: Mapped[str] = mapped_column(ForeignKey("catalogue_entries.code"), index=True)
    items: Mapped[list[Any] | None]
    service_item_code: Mapped[str] = mapped_column(ForeignKey("service_items.code"))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    daily_quota: Mapped[int | None] = mapped_column(WideInteger)
    note: Mapped[str] = mapped_column(Text, default="")


class ShareRequestEvent(Base):
    """One step of a share request's life; the ids also tell readers the grants changed."""

    __tablename__ = "share_request_events"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("share_requests.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)


class User(Base):
    """Someone who calls the API: a role and the department they act for."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """An API token, kept only as its SHA-256 so a leaked database leaks no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class ConsoleSession(Base):
    """A web console sign-in. The browser holds only a random session id; this row keeps its
    SHA-256 and the user's API token encrypted under a key derived from that id, so neither
    the cookie nor a copy of the database alone yields a usable token (see
    directory/console_sessions.py). Deleting the row ends the session everywhere."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    sealed_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class IdentityChange(Base):
    """One row counting changes to users and tokens: every identity write moves it on in its
    own transaction, so a process holding authenticated tokens in memory learns of a revoke or
    a disable made by any process (the CLI writes the same database) with one primary-key read
    per request instead of a token lookup."""

    __tablename__ = "identity_changes"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(WideInteger)


class AuditEntry(Base):
    """One entry of the audit log. `entry` (its canonical JSON) is the record and is what the
    hash covers; the columns beside it repeat some of its fields so reads can filter on them,
    and `verify` checks they still agree with it (see directory/audit.py)."""

    __tablename__ = "audit_entries"

    sequence: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    subject_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    entry: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The audit log's single bookkeeping row: the newest entry (head) and the last pruned one
    (anchor). Every append locks and moves it, which serialises appends on PostgreSQL as BEGIN
    IMMEDIATE does on SQLite, and lets `verify` notice entries cut off the end of the log."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=False)
    head_sequence: Mapped[int] = mapped_column(WideInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    anchor_sequence: Mapped[int] = mapped_column(WideInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))
    anchored_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Objection(Base):
    """A data objection (数据异议): a clerk reports a certified value as wrong; the provider
    department's steward corrects it at the source or rejects the claim with a reason."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    subject_key: Mapped[str] = mapped_column(String(32))
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    resource: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))
    provider_department: Mapped[str] = mapped_column(String(32), index=True)
    claimed_value: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    service_item: Mapped[str] = mapped_column(String(40))
    case_no: Mapped[str] = mapped_column(String(64))
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_department: Mapped[str] = mapped_column(String(32))
    filed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(24), index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    resolution: Mapped[str] = mapped_column(Text, default="")


class ObjectionEvent(Base):
    """One step of an objection's life; the ids also tell readers the open objections changed."""

    __tablename__ = "objection_events"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text)


class ConflictResolution(Base):
    """How a steward settled a disagreement with an item's authoritative source (一数一源).

    The conflict itself lives in the published snapshot; this row names it by `conflict_id`,
    a digest of what identifies it (item, the subject's keyed hash, both resources, the batch
    that found it), so the directory keeps no subject key or value of it."""

    __tablename__ = "conflict_resolutions"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    conflict_id: Mapped[str] = mapped_column(String(64), unique=True)
    item: Mapped[str] = mapped_column(String(64))
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    authoritative_resource: Mapped[str] = mapped_column(String(64))
    other_resource: Mapped[str] = mapped_column(String(64), index=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    batch: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Webhook(Base):
    """A department's outbound webhook: where its inbox's new items are POSTed, signed with
    its secret (Standard Webhooks, `directory.webhook_sender`). One per department; registering
    again replaces the URL and the secret.

    The secret is sealed (`directory.webhooks.seal`), since signing needs it back (a digest
    would not do); it is shown once, when registered, and never listed."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # When the worker first listed the inbox for this URL: items already there then are
    # recorded as seen (`skipped`), not sent; None until then.
    scanned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WebhookDelivery(Base):
    """One event for one webhook and its delivery state: the delivery log's row. The body is
    kept as sent, so a retry signs and sends the same bytes under the same id."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "item_key"),)

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(
        WideInteger, ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    item_key: Mapped[str] = mapped_column(String(300))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(WideInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(WideInteger, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # A worker holds the delivery while it sends it; another worker takes it only after this.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WebhookAttempt(Base):
    """Each attempt to deliver an event: when, the receiver's status code, and the error."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        WideInteger, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(WideInteger)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(WideInteger, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")


class PrefilledValue(Base):
    """One value a prefill put into an open case's form: what the clerk saw, from which batch.

    Kept so that a later correction at the source (a superseding batch) can be shown to the
    clerk handling the case; one row per (case, applicant, service item, form field), the
    latest prefill of that form replacing the earlier one. The key is kept as an objection
    keeps it: reading the current value needs it, and only the department's clerks see it."""

    __tablename__ = "prefilled_values"
    __table_args__ = (
        UniqueConstraint("department", "case_no", "subject_hash", "service_item", "field"),
    )

    id: Mapped[int] = mapped_column(WideInteger, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    user: Mapped[str] = mapped_column(String(64))
    service_item: Mapped[str] = mapped_column(String(40))
    case_no: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(32))
    subject_hash: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    masked: Mapped[bool] = mapped_column(Boolean)
    batch: Mapped[str] = mapped_column(String(64))
    certified_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
