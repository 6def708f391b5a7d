"""The webhook worker's pass: new inbox items become deliveries, due deliveries are sent.

Signatures follow Standard Webhooks (https://www.standardwebhooks.com), signed by its
reference library `standardwebhooks`: each POST carries `webhook-id` (the event's id, the same
on every retry, for the receiver to drop duplicates), `webhook-timestamp` (Unix seconds of this
attempt) and `webhook-signature`, `v1,` and the base64 HMAC-SHA256 under the secret's bytes of
`{webhook-id}.{webhook-timestamp}.{body}`. A receiver checks it with any Standard Webhooks
library, or by hand with that formula, and refuses a timestamp more than 5 minutes off.

The body is JSON in the Standard Webhooks shape, `{"type", "timestamp", "data"}`, where
`data` holds the inbox item's kind, ids, counts, times and links only: no subject's key or
value ever leaves in an event, and the log lines say no more than the delivery log.

It runs as `onceonly webhooks deliver` (a loop; `--once` for one pass), a process beside the
API: the API only writes the directory, so a slow or failing receiver never holds up a
request, and what is pending stays in the directory across restarts of either.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from directory.entries import now
from directory.inbox import InboxItem, Query, inbox_of
from directory.log_privacy import mask_keys
from directory.store import Directory
from directory.webhooks import Claimed, DeliveryStatus, DeliveryView, NewEvent

TIMEOUT_SECONDS = 10.0  # one attempt; well inside the delivery's lease
_ERROR_MAX = 300
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassResult:
    recorded: int  # new events recorded for sending
    attempts: list[DeliveryView]  # each delivery attempted in this pass, as it ended


def event_body(department: str, item: InboxItem, at: dt.datetime) -> str:
    """The event's JSON, fixed when recorded so every retry sends the same bytes."""
    document = {
        "type": item.event_type,
        "timestamp": at.astimezone(dt.UTC).isoformat(),
        "data": {
            "department": department,
            "kind": item.kind.value,
            "ref": item.ref,
            "resource": item.resource,
            "since": item.since.isoformat(),
            "count": item.count,
            "overdue": item.overdue,
            "summary": mask_keys(item.summary),
            "console_link": item.console_link,
            "api_link": item.api_link,
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def signed_headers(claimed: Claimed, secret: str, at: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt at `at`."""
    return {
        "content-type": "application/json",
        "user-agent": "onceonly-webhooks",
        "webhook-id": claimed.event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(claimed.event_id, at, claimed.body),
    }


def scan(directory: Directory, query: Query | None, at: dt.datetime | None = None) -> int:
    """Record each active webhook's new inbox items; how many will be sent."""
    at = at or now()
    recorded = 0
    for webhook in directory.webhooks.active():
        inbox = inbox_of(directory, webhook.department, query)
        events = [
            NewEvent(i.key, i.event_type, event_body(webhook.department, i, at))
            for i in inbox.items
        ]
        recorded += directory.webhooks.record(webhook.id, events, at)
    return recorded


def attempt(client: httpx.Client, claimed: Claimed) -> tuple[int | None, str]:
    """POST one delivery: the receiver's status code (None if it gave none) and the error."""
    if claimed.secret is None:
        return None, claimed.problem
    try:
        answer = client.post(
            claimed.url,
            content=claimed.body.encode(),
            headers=signed_headers(claimed, claimed.secret, now()),
        )
    except httpx.HTTPError as error:
        return None, mask_keys(f"{type(error).__name__}: {error}")[:_ERROR_MAX]
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    said = " ".join(answer.text.split())[:200]
    failure = f"HTTP {answer.status_code}" + (f": {said}" if said else "")
    return answer.status_code, mask_keys(failure)[:_ERROR_MAX]


def deliver_due(
    directory: Directory, client: httpx.Client, at: dt.datetime | None = None, most: int = 100
) -> list[DeliveryView]:
    """Send the deliveries due at `at` (default now), one attempt each and at most `most`,
    and log each. They are claimed one at a time, so a delivery's lease covers its own
    attempt only, however many wait behind it."""
    ended: list[DeliveryView] = []
    while len(ended) < most:
        claimed = directory.webhooks.claim_due(at, limit=1)
        if not claimed:
            break
        status_code, error = attempt(client, claimed[0])
        view = directory.webhooks.record_attempt(claimed[0].delivery_id, status_code, error, at)
        if view.status is DeliveryStatus.delivered:
            log.info("webhook event %s delivered (%s)", view.event_id, view.event_type)
        elif view.status is DeliveryStatus.failed:
            log.warning(
                "webhook event %s failed after %d attempts: %s",
                view.event_id,
                view.attempts,
                view.last_error,
            )
        else:
            log.info(
                "webhook event %s attempt %d failed (%s); next try at %s",
                view.event_id,
                view.attempts,
                view.last_error,
                view.next_attempt_at,
            )
        ended.append(view)
    return ended


def run_pass(
    directory: Directory,
    query: Query | None,
    client: httpx.Client,
    at: dt.datetime | None = None,
) -> PassResult:
    """One pass of the worker: record new items, then send what is due."""
    recorded = scan(directory, query, at)
    return PassResult(recorded, deliver_due(directory, client, at))


def http_client() -> httpx.Client:
    """The worker's client: a bounded wait, and no redirects (a receiver that moved is
    re-registered, not followed)."""
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
