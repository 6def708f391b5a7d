"""Several API processes on one PostgreSQL directory as one `onceonly serve --workers 2`: a
token revoked by the command line is refused by every process on its next request. (Two
servers on two ports, as two hosts, are `test_replicas.py`'s.)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from directory.store import open_directory
from tests.live_server import ANSWER_SECONDS, serving_process

pytestmark = pytest.mark.postgresql  # SQLite is for one host; several processes mean PostgreSQL

ONCEONLY = str(Path(sys.executable).parent / "onceonly")
ROUTE = "/v1/audit/verify"  # needs a valid token, and no published snapshot


@contextlib.contextmanager
def serving(log: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`onceonly serve` with `options` on a free port until the block ends."""
    with serving_process([ONCEONLY, "serve", *options], log, {**os.environ}) as served:
        yield served


def _auditor_token(name: str) -> tuple[str, int]:
    directory = open_directory()  # as `onceonly token create` would
    try:
        directory.identity.create_user(name, "auditor", "gsc")
        issued = directory.identity.issue_token(name)
        return issued.token, issued.info.id
    finally:
        directory.close()


def _revoke_by_the_cli(token_id: int) -> None:
    done = subprocess.run(
        [ONCEONLY, "token", "revoke", str(token_id)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _status(url: str, token: str) -> int:
    # A new connection each time, so that `--workers` hands requests to either process.
    with httpx.Client(timeout=ANSWER_SECONDS) as client:
        return client.get(url + ROUTE, headers={"Authorization": f"Bearer {token}"}).status_code


def _workers(pid: int) -> list[int]:
    """The worker processes uvicorn spawned under `pid` (not multiprocessing's helpers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
            if parent == pid and b"spawn_main" in command and b"resource_tracker" not in command:
                found.append(int(stat.parent.name))
    return found


def test_serve_with_two_workers_refuses_a_revoked_token_in_both(
    onceonly_home: Path, backend: str
) -> None:
    token, token_id = _auditor_token("liu.shen")
    with serving(onceonly_home.parent / "workers.log", "--workers", "2") as (url, server):
        assert len(_workers(server.pid)) == 2
        assert {_status(url, token) for _ in range(20)} == {200}
        _revoke_by_the_cli(token_id)
        assert {_status(url, token) for _ in range(20)} == {401}
