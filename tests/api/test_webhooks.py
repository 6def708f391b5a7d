"""Outbound webhooks against a real HTTP receiver: a steward registers it over the live API,
new inbox items are sent signed (Standard Webhooks), the first attempt is answered 500 and
retried after the backoff, every attempt is in the delivery log, and the receiver's own check
refuses a tampered body or signature."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from directory.tables import Webhook
from directory.webhook_sender import http_client, run_pass, scan
from directory.webhooks import FIRST_RETRY
from onceonly_cli.main import app as cli
from tests.api.inbox_exchange import (
    InboxServer,
    ask_hrss_again,
    object_to_a_value,
    serving_inbox,
)
from tests.directory.fixtures import bearer
from tests.live_server import ANSWER_SECONDS
from tests.snapshot.small import PERSON

WEBHOOK = "/v1/directory/webhook"
TOLERANCE_SECONDS = 300  # Standard Webhooks: refuse a timestamp further off than this


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """A department's endpoint: checks each call's signature as the Standard Webhooks spec
    says (by hand, not with the library that signs), answers 401 to a bad one, 500 to the
    first good attempt of each event and 204 to the next."""

    secret: str = ""
    calls: list[Received] = field(default_factory=list)

    def valid(self, headers: dict[str, str], body: bytes) -> bool:
        try:
            msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
            signatures = headers["webhook-signature"].split()
        except KeyError:
            return False
        if abs(dt.datetime.now(dt.UTC).timestamp() - int(stamp)) > TOLERANCE_SECONDS:
            return False
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        return any(hmac.compare_digest(expected, s) for s in signatures)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        if not self.valid(headers, body):
            code = 401
        else:
            earlier = [c for c in self.calls if c.headers["webhook-id"] == headers["webhook-id"]]
            code = 500 if not any(c.answered == 500 for c in earlier) else 204
        self.calls.append(Received(headers, body, code))
        return code


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """The receiver, served by the standard library's HTTP server on a free port."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(state.answer(headers, body))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            """Quiet: the test reads `calls`."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/onceonly/events"
    finally:
        server.shutdown()
        server.server_close()


Live = InboxServer


@pytest.fixture
def live(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serving_inbox(onceonly_home, tmp_path_factory.getbasetemp()) as server:
        yield server


def call(
    live: Live,
    method: str,
    path: str,
    headers: dict[str, str],
    json: object = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.request(
        method,
        f"{live.url}{path}",
        headers=headers,
        json=json,
        params=params,
        timeout=ANSWER_SECONDS,
    )


def test_new_items_are_sent_signed_retried_and_logged(
    live: Live, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    hrss = bearer(live.directory, "hrss_steward")
    registered = call(live, "POST", WEBHOOK, hrss, json={"url": url})
    assert registered.status_code == 201, registered.text
    endpoint.secret = registered.json()["secret"]
    assert endpoint.secret.startswith("whsec_")
    assert "secret" not in call(live, "GET", WEBHOOK, hrss).json()  # shown once only
    with live.directory.db.read() as session:  # and kept sealed, not as issued
        kept = session.scalars(select(Webhook.secret)).one()
    assert endpoint.secret.removeprefix("whsec_") not in kept

    with http_client() as client:
        # The first pass finds the conflict, the gate failure and the quarantine already
        # there: recorded as seen, not sent.
        first = run_pass(live.directory, live.snapshot.query_records, client)
        assert (first.recorded, first.attempts) == (0, [])
        objection = object_to_a_value(live.directory)
        request = ask_hrss_again(live.directory)

        tried = run_pass(live.directory, live.snapshot.query_records, client)
        assert tried.recorded == 2
        assert sorted(d.event_type for d in tried.attempts) == [
            "inbox.objection",
            "inbox.share_request",
        ]
        for delivery in tried.attempts:
            assert (delivery.status.value, delivery.attempts) == ("pending", 1)
            assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
            assert delivery.last_attempt_at is not None
            assert delivery.next_attempt_at == delivery.last_attempt_at + FIRST_RETRY
        due = max(d.next_attempt_at for d in tried.attempts if d.next_attempt_at)

        early = run_pass(
            live.directory, live.snapshot.query_records, client, due - dt.timedelta(seconds=20)
        )
        assert (early.recorded, early.attempts) == (0, [])  # not due yet: nothing sent
        retried = run_pass(live.directory, live.snapshot.query_records, client, due)
        assert [(d.status.value, d.attempts) for d in retried.attempts] == [("delivered", 2)] * 2

    assert [c.answered for c in endpoint.calls] == [500, 500, 204, 204]
    by_event: dict[str, list[Received]] = {}
    for received in endpoint.calls:
        by_event.setdefault(received.headers["webhook-id"], []).append(received)
    for attempts in by_event.values():  # a retry sends the same event, byte for byte
        assert len(attempts) == 2 and attempts[0].body == attempts[1].body
    documents = {json.loads(c.body)["type"]: json.loads(c.body) for c in endpoint.calls}
    assert documents["inbox.objection"]["data"]["ref"] == str(objection)
    assert documents["inbox.share_request"]["data"]["console_link"] == (
        f"/console/share-requests#request-{request}"
    )
    assert all(d["data"]["department"] == "hrss" for d in documents.values())
    for received in endpoint.calls:  # ids, counts and links: no subject, no value
        assert PERSON.encode() not in received.body and "张伟".encode() not in received.body

    log = call(live, "GET", f"{WEBHOOK}/deliveries", hrss).json()
    sent = [d for d in log if d["status"] == "delivered"]
    assert len(sent) == 2 and len(log) == 5  # and the three that were there before, skipped
    assert {d["status"] for d in log} == {"delivered", "skipped"}
    for delivery in sent:
        assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 204]
        assert delivery["attempt_log"][0]["error"] == "HTTP 500"
        assert delivery["next_attempt_at"] is None and delivery["last_error"] == ""
    logged = live.directory.audit.entries(user="hrss_steward")
    assert {e.action for e in logged} >= {"webhook.register", "webhook.read", "webhook.deliveries"}

    # The receiver's check refuses a body or a signature changed on the way.
    original = endpoint.calls[-1]
    tampered_body = original.body.replace(b'"count":1', b'"count":9')
    assert tampered_body != original.body
    forged = dict(original.headers)
    forged["webhook-signature"] = "v1," + base64.b64encode(b"\0" * 32).decode()
    for headers, body in ((original.headers, tampered_body), (forged, original.body)):
        sent_again = httpx.post(url, headers=headers, content=body, timeout=ANSWER_SECONDS)
        assert sent_again.status_code == 401
    assert endpoint.valid(original.headers, original.body)  # the untouched one passes


def test_a_pending_delivery_outlives_its_worker(live: Live, receiver: tuple[Receiver, str]) -> None:
    """What is pending lives in the directory: a worker process started later sends it, and
    a steward of another department may not see or change the webhook."""
    endpoint, url = receiver
    hrss = bearer(live.directory, "hrss_steward")
    endpoint.secret = call(live, "POST", WEBHOOK, hrss, json={"url": url}).json()["secret"]
    runner = CliRunner()
    baseline = runner.invoke(cli, ["webhooks", "deliver", "--once"])
    assert baseline.exit_code == 0, baseline.output
    ask_hrss_again(live.directory)
    assert scan(live.directory, None) == 1  # recorded, and the worker stops before sending

    sent = runner.invoke(cli, ["webhooks", "deliver", "--once"])  # a worker started afresh
    assert sent.exit_code == 0, sent.output
    assert "0 new events, 1 attempts, 0 delivered" in sent.output
    assert [c.answered for c in endpoint.calls] == [500]
    shown = runner.invoke(cli, ["webhooks", "log", "--as", "hrss_steward"])
    assert "inbox.share_request" in shown.output and "pending, 1 attempts" in shown.output
    assert "next try" in shown.output and "HTTP 500" in shown.output

    ps = bearer(live.directory, "ps_steward")
    for method, path in (("GET", f"{WEBHOOK}/deliveries"), ("DELETE", WEBHOOK)):
        refused = call(live, method, path, ps, params={"department": "hrss"})
        assert refused.status_code == 403, refused.text
    refusals = live.directory.audit.entries(user="ps_steward", outcome="refused")
    assert {e.action for e in refusals} == {"webhook.deliveries", "webhook.remove"}
    bad = call(live, "POST", WEBHOOK, hrss, json={"url": "ftp://example.org/x"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "url"
    admin = bearer(live.directory, "centre_admin")  # an admin acts for any department
    replaced = call(live, "POST", WEBHOOK, admin, json={"url": url, "department": "hrss"})
    assert replaced.status_code == 201 and replaced.json()["secret"] != endpoint.secret
    removed = call(live, "DELETE", WEBHOOK, hrss)
    assert removed.status_code == 200 and removed.json()["active"] is False
    assert call(live, "GET", WEBHOOK, admin, params={"department": "hrss"}).json()["url"] == url
