"""The snapshot switch under concurrent prefills: no failed answer, no mixed answer.

While several threads ask for the same applicant's prefill, the test delivers a corrected
population record (a new name) again and again, certifies it and publishes a snapshot each
time, through the pipelines' own functions. Every answer must be a 200, and the name it gives,
with the batch that certified it, must be the one its `snapshot_version` holds: an answer
that read one version's name under another's number would be a mixed answer.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.conftest import Exchange
from tests.api.snapshots import (
    NEW_NAMES,
    SOLE_PROPRIETOR,
    assert_whole,
    current_snapshot_version,
    publish_corrected_name,
    truth_of,
)
from tests.live_server import ANSWER_SECONDS

READERS = 4
SWITCH_TIMEOUT_SECONDS = ANSWER_SECONDS  # an upper bound before calling it broken, not a speed
ANSWERS_PER_VERSION = 20  # read from each new version before the next publish


def test_prefill_answers_stay_whole_while_snapshots_switch(exchange: Exchange) -> None:
    app = create_app(directory=exchange.directory)
    with TestClient(app):  # started once; the readers' clients share what it opened
        _read_while_switching(app, exchange)


def _read_while_switching(app: FastAPI, exchange: Exchange) -> None:
    person = exchange.person
    truth = {current_snapshot_version(): truth_of(current_snapshot_version(), person)}
    answers: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read(headers: dict[str, str]) -> None:
        client = TestClient(app)
        params = {
            "service_item": SOLE_PROPRIETOR,
            "subject": person,
            "case_no": exchange.case(SOLE_PROPRIETOR),
        }
        try:
            while not stop.is_set():
                response = client.get("/v1/prefill", params=params, headers=headers)
                answers.append((response.status_code, response.json()))
        except BaseException as error:  # reported by the test thread below
            errors.append(error)
            stop.set()

    # A token per reader: each stays well under the per-token rate limit.
    readers = [
        threading.Thread(target=read, args=(exchange.token("switch.clerk", "clerk", "mr"),))
        for _ in range(READERS)
    ]
    for reader in readers:
        reader.start()
    try:
        for day, name in enumerate(NEW_NAMES, start=1):
            version = publish_corrected_name(exchange.home, person, name, day)
            truth[version] = truth_of(version, person)
            assert truth[version].name == name
            _wait_until_served(answers, version, errors)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not errors, errors

    failed = [(status, body) for status, body in answers if status != 200]
    assert not failed, failed[:3]
    assert_whole([body for _, body in answers], truth, "prefill")


def _wait_until_served(
    answers: list[tuple[int, dict[str, Any]]], version: int, errors: list[BaseException]
) -> None:
    """Until the readers got enough answers from `version`, while the others are in flight."""
    deadline = time.monotonic() + SWITCH_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not errors:
        served = sum(1 for _, body in list(answers) if body.get("snapshot_version") == version)
        if served >= ANSWERS_PER_VERSION:
            return
        time.sleep(0.05)
    raise AssertionError(f"v{version} was not served within {SWITCH_TIMEOUT_SECONDS:.0f} s")
