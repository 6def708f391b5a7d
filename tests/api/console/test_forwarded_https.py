"""Behind a reverse proxy that ends TLS, over real HTTP to a live uvicorn configured as
`onceonly serve` configures it: the console's cookie is `Secure` when a trusted proxy says
the request came over https, and a header from anyone else changes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from api.proxy_headers import uvicorn_proxy_options
from directory.actors import Role
from tests.directory.fixtures import open_sample
from tests.live_server import serving_in_thread


@pytest.fixture
def token(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    directory.identity.create_user("proxy.clerk", Role.clerk, "mr")
    yield directory.identity.issue_token("proxy.clerk").token
    directory.close()


def serving() -> contextlib.AbstractContextManager[str]:
    """The app with the proxy options `onceonly serve` gives uvicorn."""
    return serving_in_thread(create_app(), **uvicorn_proxy_options())


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
