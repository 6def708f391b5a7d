"""Behind a reverse proxy that ends TLS, over real HTTP to a live uvicorn configured as
`onceonly serve` configures it: the console's cookie is `Secure` when a trusted proxy says
the request came over https, and a header from anyone else changes nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.main import create_app
from api.proxy_headers import uvicorn_proxy_options
from directory.actors import Role
from tests.directory.fixtures import open_sample


@pytest.fixture
def token(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    directory.identity.create_user("proxy.clerk", Role.clerk, "mr")
    yield directory.identity.issue_token("proxy.clerk").token
    directory.close()


@contextmanager
def serving() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(
        create_app(), host="127.0.0.1", port=port, log_level="warning", **uvicorn_proxy_options()
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in_cookie(url: str, token: str) -> str:
    response = httpx.post(
        f"{url}/console/sign-in",
        data={"token": token},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 303, response.text
    return response.headers["set-cookie"]


@pytest.mark.parametrize(("trusted", "secure"), [("127.0.0.1", True), ("", False)])
def test_forwarded_https_is_believed_from_a_configured_proxy_only(
    token: str, monkeypatch: pytest.MonkeyPatch, trusted: str, secure: bool
) -> None:
    monkeypatch.setenv("ONCEONLY_TRUSTED_PROXIES", trusted)
    with serving() as url:
        assert ("Secure" in sign_in_cookie(url, token)) is secure
