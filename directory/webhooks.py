"""Outbound webhooks: one per department, its pending deliveries and the delivery log.

A steward (or an admin) registers a URL for the department and is given a secret, once. New
inbox items (`directory.inbox`) become events, each a row here before anything is sent, so
that a delivery survives a restart of whatever sends it: the worker
(`directory.webhook_sender`, run as `onceonly webhooks deliver`) lists each department's inbox,
records the items it has not seen, claims the deliveries that are due, sends them, and writes
every attempt. A failed attempt is tried again after an exponentially growing delay, up to
`MAX_ATTEMPTS`; the log says the status, the attempts, the next try and the last error.

Several workers may run: a delivery is claimed with a conditional update (a lease), so two
never send it at once, and an item is recorded once per webhook (a unique key).

Signing needs the secret itself, so it cannot be kept as a digest like a token: it is sealed
(AES-GCM) under a key file in the centre's key folder (`webhooks.key` under ONCEONLY_KEYS,
which every API host and worker shares), so a copy of the database alone yields no secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from directory.actors import Actor
from directory.db import Database
from directory.entries import now
from directory.errors import InvalidState, NotFound, Problem, ValidationFailed
from directory.key_files import keys_dir, stored_secret
from directory.tables import Webhook, WebhookAttempt, WebhookDelivery

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=2)  # longer than one attempt may take (its timeout)
_SECRET_BYTES = 32


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its first or next attempt
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # MAX_ATTEMPTS attempts failed; no more are made
    skipped = "skipped"  # already in the inbox when the webhook was registered: not sent


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after the `attempts`th failed attempt the next one is made: 30 s, 1 min,
    2 min, ... doubling, at most an hour."""
    delay: dt.timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


@dataclass(frozen=True)
class WebhookView:
    id: int
    department: str
    url: str
    active: bool
    registered_by: str
    registered_at: dt.datetime
    scanned_at: dt.datetime | None


@dataclass(frozen=True)
class Registered:
    webhook: WebhookView
    secret: str  # shown once, to the one who registered it


@dataclass(frozen=True)
class AttemptView:
    number: int
    at: dt.datetime
    status_code: int | None
    error: str


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    item_key: str
    status: DeliveryStatus
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None
    attempt_log: list[AttemptView]


@dataclass(frozen=True)
class NewEvent:
    """An inbox item to record for a webhook, with the body it will be sent with."""

    item_key: str
    event_type: str
    body: str


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds until its lease ends: what it needs to sign and send."""

    delivery_id: int
    event_id: str
    url: str
    secret: str | None  # None: it would not open here (`problem` says why): nothing is sent
    body: str
    problem: str = ""


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def _sealing_key() -> bytes:
    return bytes.fromhex(stored_secret(keys_dir() / "webhooks.key").decode("ascii"))


def seal(department: str, secret: str) -> str:
    """The secret as the directory keeps it, bound to its department."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_sealing_key()).encrypt(nonce, secret.encode(), department.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(department: str, sealed: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    try:
        return AESGCM(_sealing_key()).decrypt(raw[:12], raw[12:], department.encode()).decode()
    except InvalidTag:
        raise InvalidState(
            f"the webhook secret of {department} does not open with this host's webhooks.key: "
            "give every API host and worker the same ONCEONLY_KEYS folder, or register the "
            "webhook again for a new secret"
        ) from None


def _check_url(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host, _ = parts.hostname, parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise ValidationFailed(
            [
                Problem(
                    "url",
                    f"{url!r} is not an http(s) URL",
                    "give the receiver's full address, e.g. https://host/path",
                )
            ],
            "the webhook",
        )
    if parts.username or parts.password:
        raise ValidationFailed(
            [Problem("url", "holds a user or password", "the signature authenticates the calls")],
            "the webhook",
        )
    return url.strip()


class Webhooks:
    """Registration, the delivery queue and its log, in the directory database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def register(
        self, actor: Actor, department: str, url: str, at: dt.datetime | None = None
    ) -> Registered:
        """Register (or replace) `department`'s webhook with a new secret; the items already
        in its inbox then are not sent, only those that appear afterwards."""
        actor.require(department, f"register the webhook of {department}")
        url = _check_url(url)
        at = at or now()
        secret = new_secret()
        with self._db.write() as session:
            row = session.scalars(select(Webhook).where(Webhook.department == department)).first()
            if row is None:
                row = Webhook(department=department)
                session.add(row)
            row.url, row.secret, row.active = url, seal(department, secret), True
            row.registered_by, row.registered_at, row.scanned_at = actor.name, at, None
            session.flush()
            return Registered(_webhook(row), secret)

    def remove(self, actor: Actor, department: str) -> WebhookView:
        """Stop sending to `department`'s webhook; its log is kept."""
        actor.require(department, f"remove the webhook of {department}")
        with self._db.write() as session:
            row = _of(session, department)
            row.active = False
            return _webhook(row)

    def of(self, department: str) -> WebhookView:
        with self._db.read() as session:
            return _webhook(_of(session, department))

    def active(self) -> list[WebhookView]:
        with self._db.read() as session:
            rows = session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))
            return [_webhook(r) for r in rows]

    def deliveries(
        self, department: str, status: DeliveryStatus | None = None, limit: int = 100
    ) -> list[DeliveryView]:
        """The delivery log of `department`'s webhook, newest first, each with its attempts."""
        with self._db.read() as session:
            webhook = _of(session, department)
            query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
            if status is not None:
                query = query.where(WebhookDelivery.status == status.value)
            rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)).all()
            return [_delivery(session, r) for r in rows]

    def record(self, webhook_id: int, events: list[NewEvent], at: dt.datetime | None = None) -> int:
        """Record inbox items for a webhook; how many are new. At the webhook's first scan they
        are recorded as `skipped` (they were there before it); afterwards each new one is a
        pending delivery, due at once."""
        at = at or now()
        with self._db.write() as session:
            webhook = session.get(Webhook, webhook_id)
            if webhook is None or not webhook.active:
                return 0
            first = webhook.scanned_at is None
            seen = set(
                session.scalars(
                    select(WebhookDelivery.item_key).where(WebhookDelivery.webhook_id == webhook_id)
                )
            )
            fresh = [e for e in events if e.item_key not in seen]
            for event in fresh:
                session.add(
                    WebhookDelivery(
                        webhook_id=webhook_id,
                        event_id=f"msg_{uuid.uuid4().hex}",
                        item_key=event.item_key,
                        event_type=event.event_type,
                        body=event.body,
                        status=(DeliveryStatus.skipped if first else DeliveryStatus.pending).value,
                        attempts=0,
                        created_at=at,
                        next_attempt_at=None if first else at,
                        last_error="",
                    )
                )
            webhook.scanned_at = at
            return 0 if first else len(fresh)

    def claim_due(self, at: dt.datetime | None = None, limit: int = 20) -> list[Claimed]:
        """Take up to `limit` deliveries whose next attempt is due, under a lease, oldest
        first; a delivery another worker holds is left to it."""
        at = at or now()
        free = (WebhookDelivery.lease_until.is_(None)) | (WebhookDelivery.lease_until < at)
        claimed: list[Claimed] = []
        with self._db.write() as session:
            due = session.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(
                    Webhook.active,
                    WebhookDelivery.status == DeliveryStatus.pending.value,
                    WebhookDelivery.next_attempt_at <= at,
                    free,
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
            ).all()
            for delivery, webhook in due:
                taken = session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == delivery.id, free)
                    .values(lease_until=at + LEASE)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                try:
                    secret, problem = unseal(webhook.department, webhook.secret), ""
                except InvalidState as error:
                    secret, problem = None, error.message
                claimed.append(
                    Claimed(
                        delivery.id, delivery.event_id, webhook.url, secret, delivery.body, problem
                    )
                )
        return claimed

    def record_attempt(
        self,
        delivery_id: int,
        status_code: int | None,
        error: str,
        at: dt.datetime | None = None,
    ) -> DeliveryView:
        """Write one attempt and what follows: delivered on 2xx, else the next try after
        `retry_delay`, or failed after `MAX_ATTEMPTS`."""
        at = at or now()
        ok = status_code is not None and 200 <= status_code < 300
        with self._db.write() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                raise NotFound(f"no webhook delivery #{delivery_id}")
            delivery.attempts += 1
            session.add(
                WebhookAttempt(
                    delivery_id=delivery_id,
                    number=delivery.attempts,
                    at=at,
                    status_code=status_code,
                    error="" if ok else error,
                )
            )
            delivery.last_attempt_at, delivery.last_status_code = at, status_code
            delivery.lease_until = None
            if ok:
                delivery.status = DeliveryStatus.delivered.value
                delivery.delivered_at, delivery.next_attempt_at = at, None
                delivery.last_error = ""
            else:
                delivery.last_error = error
                if delivery.attempts >= MAX_ATTEMPTS:
                    delivery.status = DeliveryStatus.failed.value
                    delivery.next_attempt_at = None
                else:
                    delivery.next_attempt_at = at + retry_delay(delivery.attempts)
            session.flush()
            return _delivery(session, delivery)


def _of(session: Session, department: str) -> Webhook:
    row = session.scalars(select(Webhook).where(Webhook.department == department)).first()
    if row is None:
        raise NotFound(
            f"{department} has no webhook: a steward of {department} registers one with "
            "POST /v1/directory/webhook"
        )
    return row


def _webhook(row: Webhook) -> WebhookView:
    return WebhookView(
        id=row.id,
        department=row.department,
        url=row.url,
        active=row.active,
        registered_by=row.registered_by,
        registered_at=row.registered_at,
        scanned_at=row.scanned_at,
    )


def _delivery(session: Session, row: WebhookDelivery) -> DeliveryView:
    attempts = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == row.id)
        .order_by(WebhookAttempt.number)
    )
    return DeliveryView(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        item_key=row.item_key,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        attempt_log=[AttemptView(a.number, a.at, a.status_code, a.error) for a in attempts],
    )
