"""The outside test, replayed against a live `onceonly serve`: nothing leaks, every refusal is
logged, and a clerk's legitimate reads are still served."""

from __future__ import annotations

import pytest

from tests.api.conftest import exchange_home
from tests.attack.exchange import build_world, serving
from tests.attack.probe import log_leaks, render, run


def test_every_probe_is_refused_and_logged_and_nothing_leaks(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with exchange_home(tmp_path_factory, "probe") as home:
        world = build_world(home, "")
        log = home / "server.log"
        with serving(home, log) as url:
            world.url = url
            outcomes, rows = run(world)
        leaks = log_leaks(log.read_text(errors="replace"), world)
    print(render(rows, leaks))
    answered = [
        f"{o.probe.group}: {o.probe.name} -> {o.status} {o.body[:200]}"
        for o in outcomes
        if not o.control and not o.refused
    ]
    assert answered == [], "\n".join(answered)
    unlogged = [f"{o.probe.group}: {o.probe.name}" for o in outcomes if not o.logged]
    assert unlogged == [], "requests with no audit entry"
    controls = [o for o in outcomes if o.control]
    assert controls and all(o.status == 200 for o in controls), [
        (o.probe.name, o.status, o.body[:200]) for o in controls
    ]
    assert all(r.leaked == 0 for r in rows), render(rows, leaks)
    assert leaks == [], leaks[:5]
