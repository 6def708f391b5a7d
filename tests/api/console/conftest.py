"""A small real exchange with analytics, served by a live uvicorn, for the console's tests.

Built once per test module by the real pipeline (sample feeds -> Dagster landing,
certification and snapshot -> the analytics assets), with the sample directory and one user
per role. The browser tests drive Debian's Chromium against it over 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from api.main import create_app
from pipelines.analytics.assets import ANALYTICS_KEYS
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import QUIET
from tests.api.conftest import Exchange, build_exchange, exchange_home
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
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveExchange]:
    with exchange_home(tmp_path_factory, "console") as home:
        # 400 days of cases, so the analytics have forecasts to chart.
        exchange = build_exchange(home, persons=400, case_days=400)
        result = (
            build_definitions()
            .resolve_implicit_global_asset_job_def()
            .execute_in_process(
                instance=get_instance(), asset_selection=list(ANALYTICS_KEYS), run_config=QUIET
            )
        )
        assert result.success
        tokens = {}
        for role, (name, department) in USERS.items():
            exchange.directory.identity.create_user(name, role, department)
            tokens[role] = exchange.directory.identity.issue_token(name).token
        try:
            with serving_in_thread(create_app(directory=exchange.directory)) as url:
                yield LiveExchange(exchange, url, tokens)
        finally:
            exchange.directory.close()
