"""The webhook queue in the directory: the backoff schedule, giving up after the last
attempt, one worker per delivery at a time, and who may register."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from directory.actors import Actor, Role
from directory.errors import PermissionDenied
from directory.store import Directory
from directory.tables import Webhook
from directory.webhooks import (
    LEASE,
    MAX_ATTEMPTS,
    DeliveryStatus,
    NewEvent,
    retry_delay,
    unseal,
)
from tests.directory.fixtures import steward

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def registered(directory: Directory) -> int:
    """hpf's webhook, scanned once (nothing was waiting), and one event recorded after."""
    webhook = directory.webhooks.register(steward("hpf"), "hpf", "https://hpf.example.org/in")
    assert directory.webhooks.record(webhook.webhook.id, [], T0) == 0
    event = NewEvent("objection:1", "inbox.objection", '{"type":"inbox.objection"}')
    assert directory.webhooks.record(webhook.webhook.id, [event], T0) == 1
    assert directory.webhooks.record(webhook.webhook.id, [event], T0) == 0  # once per item
    return webhook.webhook.id


def test_failed_attempts_back_off_exponentially_then_give_up(directory: Directory) -> None:
    registered(directory)
    at, delays = T0, []
    for number in range(1, MAX_ATTEMPTS + 1):
        (claimed,) = directory.webhooks.claim_due(at)
        view = directory.webhooks.record_attempt(claimed.delivery_id, 503, "HTTP 503", at)
        assert view.attempts == number
        if number < MAX_ATTEMPTS:
            assert view.status is DeliveryStatus.pending and view.next_attempt_at is not None
            assert directory.webhooks.claim_due(view.next_attempt_at - dt.timedelta(1e-3)) == []
            delays.append(view.next_attempt_at - at)
            at = view.next_attempt_at
    assert [d.total_seconds() for d in delays] == [30, 60, 120, 240, 480, 960, 1920]
    assert retry_delay(12) == dt.timedelta(hours=1)  # at most an hour apart
    assert (view.status, view.next_attempt_at) == (DeliveryStatus.failed, None)
    assert [a.status_code for a in view.attempt_log] == [503] * MAX_ATTEMPTS
    assert directory.webhooks.claim_due(at + dt.timedelta(days=1)) == []


def test_a_delivery_is_held_by_one_worker_until_its_lease_ends(directory: Directory) -> None:
    registered(directory)
    (first,) = directory.webhooks.claim_due(T0)
    assert directory.webhooks.claim_due(T0) == []  # another worker finds it taken
    assert first.secret is not None
    (again,) = directory.webhooks.claim_due(T0 + LEASE + dt.timedelta(seconds=1))  # crashed
    assert again.delivery_id == first.delivery_id and again.secret == first.secret
    view = directory.webhooks.record_attempt(again.delivery_id, 200, "", T0 + LEASE)
    assert view.status is DeliveryStatus.delivered and view.last_error == ""


def test_who_registers_and_what_is_kept(directory: Directory) -> None:
    with pytest.raises(PermissionDenied, match="may not register the webhook of hpf"):
        directory.webhooks.register(steward("ps"), "hpf", "https://x.example.org/")
    with pytest.raises(PermissionDenied):
        directory.webhooks.register(Actor("c", Role.clerk, "hpf"), "hpf", "https://x.example/")
    admin = Actor("admin", Role.admin, "gsc")
    done = directory.webhooks.register(admin, "hpf", "https://hpf.example.org/in")
    assert done.secret.startswith("whsec_") and done.webhook.scanned_at is None
    with directory.db.read() as session:
        kept = session.scalars(select(Webhook.secret)).one()
    assert unseal("hpf", kept) == done.secret and done.secret not in kept
