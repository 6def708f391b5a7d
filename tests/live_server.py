"""Live servers for the tests that speak real HTTP: the app in a uvicorn thread, or a process.

One module because five test modules had their own copy of the free port, the start loop and a
deadline of their own (30 or 60 s). The deadlines here are upper bounds before a test declares
the server broken, never a measure of speed: with two suites running side by side on two cores
a start or a first answer can take tens of seconds, and a test failing then proves nothing
about the exchange. Speed is measured by the bench scripts, not here.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

START_SECONDS = 180.0  # before a server that has not answered is called broken
ANSWER_SECONDS = 120.0  # before one request without an answer is called broken


def free_port() -> int:
    """A port nobody listens on now (the small race with another binder is accepted)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving_in_thread(app: Any, **config: Any) -> Iterator[str]:
    """Serve `app` on a free port in a daemon thread; yield its base URL; stop it after."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        assert thread.is_alive(), "the server's thread ended before it started serving"
        assert time.monotonic() < deadline, f"the server did not start within {START_SECONDS} s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], log: Path | None = None
) -> None:
    """Return once `url`/health answers 200; fail if the process exits or never answers."""
    where = f"; see {log}" if log else ""
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited before it answered{where}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer within {START_SECONDS} s{where}")
        time.sleep(0.2)


@contextlib.contextmanager
def serving_process(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `command` (an `onceonly serve` without its port) on a free port, its output in
    `log`, until it answers /health; yield its base URL and process; stop it after."""
    port = free_port()
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*command, "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT, env=env
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(url, server, log)
            yield url, server
        finally:
            server.terminate()
            server.wait(timeout=60)
