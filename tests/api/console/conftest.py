"""A small real exchange with analytics, served by a live uvicorn, for the console's tests.

Built by the real pipeline once per test session and copied per module (sample
feeds -> Dagster landing, certification and snapshot), then the analytics assets, with the
sample directory and one user per role. The browser tests drive Debian's Chromium against it
over 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from api.main import create_app
from tests.api.conftest import Exchange, copied_exchange
from tests.live_server import serving_in_thread

USERS = {  # role: (user, department)
    "steward": ("ps.steward", "ps"),
    "clerk": ("mr.clerk", "mr"),
    "analyst": ("gsc.analyst", "gsc"),
    "auditor": ("gsc.auditor", "gsc"),
}


@dataclass
class LiveExchange:
    exchange: Exchange
    url: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def person(self) -> str:
        return self.exchange.person


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[LiveExchange]:
    # 400 days of cases, so the analytics have forecasts to chart.
    with copied_exchange(
        tmp_path_factory, "console", backend, persons=400, case_days=400, analytics=True
    ) as exchange:
        tokens = {}
        for role, (name, department) in USERS.items():
            exchange.directory.identity.create_user(name, role, department)
            tokens[role] = exchange.directory.identity.issue_token(name).token
        with serving_in_thread(create_app(directory=exchange.directory)) as url:
            yield LiveExchange(exchange, url, tokens)
