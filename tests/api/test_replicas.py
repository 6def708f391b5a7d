"""Two API hosts of one centre, as the README's deploy recipe runs them: each its own
`onceonly serve` process and its own ONCEONLY_HOME, sharing only the directory's PostgreSQL
database, the published snapshots (ONCEONLY_SERVING) and the keys (ONCEONLY_KEYS).

Clerks read from both while the pipeline publishes corrected snapshots. Every answer is
whole (the value and batch its snapshot version holds), each host switches to every new
version, every read is in the one audit chain, once, and `onceonly audit verify` holds it
together afterwards; a token the command line revokes is refused by both on their next request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import settings
from tests.api.conftest import Exchange, copied_exchange
from tests.api.snapshots import (
    SOLE_PROPRIETOR,
    assert_whole,
    current_snapshot_version,
    publish_corrected_name,
    truth_of,
)
from tests.live_server import ANSWER_SECONDS, serving_process

pytestmark = pytest.mark.postgresql  # several hosts share one PostgreSQL directory

ONCEONLY = str(Path(sys.executable).parent / "onceonly")
READERS_PER_HOST = 2
ANSWERS_PER_VERSION = 10  # from each host, before the next publish
NAMES = ("李一鸣", "李二鸣")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Exchange]:
    with copied_exchange(tmp_path_factory, "replicas", backend) as built:
        yield built


def _host_environment(exchange: Exchange, home: Path) -> dict[str, str]:
    """A second host: a home of its own; the shared database, snapshots and keys."""
    current = settings.current()
    return {
        **os.environ,
        "ONCEONLY_HOME": str(home),
        "ONCEONLY_DIRECTORY_URL": current.directory_url,
        "ONCEONLY_SERVING": str(current.serving),
        "ONCEONLY_KEYS": str(current.keys),
    }


def test_two_hosts_answer_whole_switch_together_and_log_every_read_in_one_chain(
    shared: Exchange,
) -> None:
    person = shared.person
    truth = {current_snapshot_version(): truth_of(current_snapshot_version(), person)}
    other_home = shared.home.parent / "host-b"
    other_home.mkdir()
    answers: list[tuple[str, int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    clerks = [f"replica.clerk{n}" for n in range(2 * READERS_PER_HOST)]

    def read(host: str, url: str, headers: dict[str, str]) -> None:
        params = {
            "service_item": SOLE_PROPRIETOR,
            "subject": person,
            "case_no": shared.case(SOLE_PROPRIETOR),
        }
        try:
            with httpx.Client(base_url=url, headers=headers, timeout=ANSWER_SECONDS) as client:
                while not stop.is_set():
                    response = client.get("/v1/prefill", params=params)
                    answers.append((host, response.status_code, response.json()))
        except BaseException as error:  # reported by the test thread
            errors.append(error)
            stop.set()

    with (
        serving_process([ONCEONLY, "serve"], shared.home.parent / "a.log", {**os.environ}) as (
            a,
            _,
        ),
        serving_process(
            [ONCEONLY, "serve"],
            shared.home.parent / "b.log",
            _host_environment(shared, other_home),
        ) as (b, _),
    ):
        hosts = {"a": a, "b": b}
        readers = [
            threading.Thread(
                target=read,
                args=(host, hosts[host], shared.token(clerk, "clerk", "mr")),
            )
            for clerk, host in zip(clerks, ["a", "b"] * READERS_PER_HOST, strict=True)
        ]
        for reader in readers:
            reader.start()
        try:
            for day, name in enumerate(NAMES, start=11):
                version = publish_corrected_name(shared.home, person, name, day)
                truth[version] = truth_of(version, person)
                _wait_until_both_served(answers, version, errors)
        finally:
            stop.set()
            for reader in readers:
                reader.join()
        _a_token_revoked_by_the_cli_is_refused_by_both(shared, "replica.revoked", hosts)
    assert not errors, errors

    failed = [(host, status, body) for host, status, body in answers if status != 200]
    assert not failed, failed[:3]
    for host in ("a", "b"):
        assert_whole([body for h, _, body in answers if h == host], truth, f"host {host}")

    # Every read is in the one chain, once: as many prefill entries as answers given.
    logged = sum(
        len(shared.directory.audit.entries(user=clerk, action="prefill", limit=None))
        for clerk in clerks
    )
    assert logged == len(answers)
    shared.directory.identity.create_user("replica.auditor", "auditor", "gsc")
    verified = subprocess.run(
        [ONCEONLY, "audit", "verify", "--as", "replica.auditor"], capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _a_token_revoked_by_the_cli_is_refused_by_both(
    shared: Exchange, clerk: str, hosts: dict[str, str]
) -> None:
    """Each host has the token in its cache; `onceonly token revoke` on the shared database
    makes both refuse it on their very next request."""
    shared.token(clerk, "clerk", "mr")  # the clerk, if new
    issued = shared.directory.identity.issue_token(clerk)
    params = {
        "service_item": SOLE_PROPRIETOR,
        "subject": shared.person,
        "case_no": shared.case(SOLE_PROPRIETOR),
    }

    def status(url: str) -> int:
        headers = {"Authorization": f"Bearer {issued.token}"}
        answer = httpx.get(
            f"{url}/v1/prefill", params=params, headers=headers, timeout=ANSWER_SECONDS
        )
        return answer.status_code

    assert [status(url) for url in hosts.values()] == [200, 200]
    revoked = subprocess.run(
        [ONCEONLY, "token", "revoke", str(issued.info.id)], capture_output=True, text=True
    )
    assert revoked.returncode == 0, revoked.stderr
    assert [status(url) for url in hosts.values()] == [401, 401]


def _wait_until_both_served(
    answers: list[tuple[str, int, dict[str, Any]]], version: int, errors: list[BaseException]
) -> None:
    """Until each host gave enough answers from `version` (an upper bound, not a speed)."""
    deadline = time.monotonic() + ANSWER_SECONDS
    while time.monotonic() < deadline and not errors:
        served = [
            sum(
                1
                for h, _, body in list(answers)
                if h == host and body.get("snapshot_version") == version
            )
            for host in ("a", "b")
        ]
        if min(served) >= ANSWERS_PER_VERSION:
            return
        time.sleep(0.05)
    raise AssertionError(f"v{version} was not served by both hosts within {ANSWER_SECONDS} s")
