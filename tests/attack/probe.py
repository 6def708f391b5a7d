"""Replay an outside security test against a live exchange: what was refused, logged, leaked.

    python -m tests.attack.probe                 # builds a small exchange under var/probe
    python -m tests.attack.probe --home DIR      # reuses an exchange already built there

Each probe is one request an attacker or a confused user would send: a steward reading
citizens' data, a clerk reading under another department's service item, roles without
subject access, forged or hostile case numbers, missing, bad, revoked or query-string tokens,
invalid input on data routes, other audiences' routes, oversized path ids. The server is a real
`onceonly serve` process (uvicorn with its access log), so what reaches its log is checked too.

Every probe carries its own `X-Request-ID`; after the run an auditor reads the audit log and a
probe counts as *logged* when an entry with its request id records the refusal. A probe
*leaks* when it is answered with success although it should have been refused, or when any
answer to it carries a personal value of the subject (ID number, name); an answer that neither
refuses as expected nor serves (a 405, a 500, a dropped connection) counts as not refused.
The server's log leaks when any line holds a subject key in clear. The table has one row per
group and a total; a clean exchange has refused = attempts, logged = refused and leaked = 0.
Controls (a clerk's legitimate reads) must be served and logged, so the script cannot pass
against a server that refuses everything.

Written by hand because no security scanner knows the exchange's sharing rules: generic
fuzzing of the OpenAPI schema is done separately by schemathesis in the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.attack.exchange import World, build_world, serving

ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class Probe:
    """One request, and the statuses that count as refusing it."""

    group: str
    name: str
    caller: str  # key into the token table, or "" for no Authorization header
    method: str
    path: str
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    refuse_with: frozenset[int] = frozenset({403})


@dataclass
class Outcome:
    probe: Probe
    status: int
    body: str
    request_id: str
    logged: bool = False

    @property
    def refused(self) -> bool:
        return self.status in self.probe.refuse_with

    @property
    def control(self) -> bool:
        return not self.probe.refuse_with


def _personal_values(world: World) -> tuple[str, ...]:
    return (world.person, world.person_name)


def probes(world: World) -> list[Probe]:
    """Every probe of the outside test, and the controls."""
    person, firm, case = world.person, world.firm, world.case_mr
    read = {"service_item": world.item, "subject": person, "case_no": case}
    bundle = {"bundle": "open_restaurant", "subject": firm, "case_no": case}
    verify = {"service_item": world.item, "case_no": case, "subjects": [person]}
    extract = {"kind": "prefill", **read}
    lookup = {"service_item": world.item, "case_no": case}
    found: list[Probe] = []

    def subject_routes(group: str, caller: str, why: str) -> None:
        found.extend(
            [
                Probe(group, f"{why}: GET prefill", caller, "GET", "/v1/prefill", params=read),
                Probe(group, f"{why}: POST prefill", caller, "POST", "/v1/prefill", body=read),
                Probe(
                    group,
                    f"{why}: GET lookup",
                    caller,
                    "GET",
                    f"/v1/subjects/{person}",
                    params=lookup,
                ),
                Probe(group, f"{why}: verify", caller, "POST", "/v1/subjects/verify", body=verify),
                Probe(group, f"{why}: bundle", caller, "POST", "/v1/prefill/bundle", body=bundle),
                Probe(group, f"{why}: extract", caller, "POST", "/v1/extracts", body=extract),
            ]
        )

    subject_routes("access: steward", "steward_ps", "ps steward")
    subject_routes("access: steward", "steward_mr", "mr steward")
    subject_routes("access: role", "analyst", "analyst")
    subject_routes("access: role", "auditor", "auditor")
    subject_routes("access: role", "admin", "admin")
    found.append(
        Probe(
            "access: own data",
            "ps clerk under mr's item",
            "clerk_ps",
            "GET",
            "/v1/prefill",
            params=read,
        )
    )
    found.append(
        Probe(
            "access: minimum necessary",
            "share request for a fund balance under a food licence",
            "steward_mr",
            "POST",
            "/v1/directory/share-requests",
            body={
                "resource_code": world.fund_resource,
                "service_item_code": "4101000006",
                "items": ["balance"],
                "purpose": "核验",
            },
            refuse_with=frozenset({403, 409, 422}),
        )
    )
    for label, case_no in (
        ("x", "x"),
        ("three spaces", "   "),
        ("newline forging a line", f"{case}\n2026-11-20 admin prefill served"),
        ("NUL", f"{case}\x00"),
        ("control character", f"{case}\x1b[2J"),
        ("RTL override", f"\u202e{case}"),
        ("zero-width space", f"{case[:6]}\u200b{case[6:]}"),
        ("unknown case", "41010020991231999999"),
    ):
        found.append(
            Probe(
                "access: case number",
                label,
                "clerk_mr",
                "GET",
                "/v1/prefill",
                params={**read, "case_no": case_no},
                refuse_with=frozenset({422}),
            )
        )
    unauthorised = frozenset({401})
    found.extend(
        [
            Probe(
                "audit: 401",
                "no token",
                "",
                "GET",
                "/v1/prefill",
                params=read,
                refuse_with=unauthorised,
            ),
            Probe(
                "audit: 401",
                "bad token",
                "bad",
                "GET",
                "/v1/prefill",
                params=read,
                refuse_with=unauthorised,
            ),
            Probe(
                "audit: 401",
                "revoked token",
                "revoked",
                "GET",
                "/v1/prefill",
                params=read,
                refuse_with=unauthorised,
            ),
            Probe(
                "audit: 401",
                "disabled user's token",
                "disabled",
                "GET",
                "/v1/prefill",
                params=read,
                refuse_with=unauthorised,
            ),
            Probe(
                "audit: 401",
                "Basic instead of Bearer",
                "",
                "GET",
                "/v1/prefill",
                params=read,
                headers={"Authorization": "Basic cHJvYmU6cHJvYmU="},
                refuse_with=unauthorised,
            ),
            Probe(
                "audit: 401",
                "token in the query string",
                "",
                "GET",
                "/v1/prefill",
                params={**read, "access_token": "<clerk_mr>"},
                refuse_with=unauthorised,
            ),
        ]
    )
    invalid = frozenset({422})
    found.extend(
        [
            Probe(
                "audit: 422",
                "invalid subject",
                "clerk_mr",
                "GET",
                "/v1/prefill",
                params={**read, "subject": "41010219850307123"},
                refuse_with=invalid,
            ),
            Probe(
                "audit: 422",
                "missing case number",
                "clerk_mr",
                "GET",
                "/v1/prefill",
                params={"service_item": world.item, "subject": person},
                refuse_with=invalid,
            ),
            Probe(
                "audit: 422",
                "verify over 1,000 keys",
                "clerk_mr",
                "POST",
                "/v1/subjects/verify",
                body={**verify, "subjects": [person] * 1001},
                refuse_with=invalid,
            ),
            Probe(
                "audit: 404",
                "unknown service item",
                "clerk_mr",
                "GET",
                "/v1/prefill",
                params={**read, "service_item": "4101009999"},
                refuse_with=frozenset({404, 422}),
            ),
        ]
    )
    for label, method, path in (
        ("objection queue", "GET", "/v1/objections"),
        ("quality batches", "GET", "/v1/quality/ps_population/batches"),
        ("analytics statistics", "GET", "/v1/analytics/statistics"),
        ("analytics SQL", "POST", "/v1/analytics/query"),
        ("directory users", "GET", "/v1/directory/users"),
        ("audit entries", "GET", "/v1/audit/entries"),
    ):
        found.append(
            Probe(
                "audit: role",
                f"clerk reads {label}",
                "clerk_mr",
                method,
                path,
                body={"sql": "SELECT 1"} if method == "POST" else None,
            )
        )
    for label, path in (
        (
            "entry version beyond 64 bits",
            "/v1/directory/entries/4101000012/versions/45752183938207021268992",
        ),
        (
            "share request beyond 64 bits",
            "/v1/directory/share-requests/47873596580623127109658143096832",
        ),
    ):
        found.append(
            Probe(
                "http: edges", label, "steward_mr", "GET", path, refuse_with=frozenset({404, 422})
            )
        )
    # Controls: a clerk's legitimate reads are served (and logged as served).
    served: frozenset[int] = frozenset()
    found.extend(
        [
            Probe(
                "control",
                "mr clerk prefills its own item (GET)",
                "clerk_mr",
                "GET",
                "/v1/prefill",
                params=read,
                refuse_with=served,
            ),
            Probe(
                "control",
                "mr clerk prefills its own item (POST)",
                "clerk_mr",
                "POST",
                "/v1/prefill",
                body=read,
                refuse_with=served,
            ),
        ]
    )
    return found


def _send(client: httpx.Client, world: World, probe: Probe) -> Outcome:
    request_id = f"probe-{uuid.uuid4().hex[:24]}"
    headers = {"X-Request-ID": request_id, **(probe.headers or {})}
    if probe.caller:
        headers["Authorization"] = f"Bearer {world.tokens.get(probe.caller, probe.caller)}"
    params = {
        k: (world.tokens[v[1:-1]] if v.startswith("<") and v.endswith(">") else v)
        for k, v in (probe.params or {}).items()
    }
    try:
        answer = client.request(
            probe.method, probe.path, params=params or None, json=probe.body, headers=headers
        )
    except httpx.TransportError as failed:  # a dropped connection refuses nothing
        return Outcome(probe, 0, f"no answer: {failed}", request_id)
    return Outcome(probe, answer.status_code, answer.text, request_id)


def _audited_request_ids(client: httpx.Client, world: World) -> dict[str, set[str]]:
    """Request id -> the outcomes its audit entries record, read by an auditor over the API."""
    found: dict[str, set[str]] = {}
    headers = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    offset: int | None = 0
    while offset is not None:
        page = client.get(
            "/v1/audit/entries", params={"limit": 1000, "offset": offset}, headers=headers
        )
        page.raise_for_status()
        payload = page.json()
        for entry in payload["entries"]:
            found.setdefault(entry["request_id"], set()).add(entry["outcome"])
        offset = payload["next_offset"]
    return found


@dataclass(frozen=True)
class Row:
    group: str
    attempts: int
    refused: int
    logged: int
    leaked: int


def run(world: World) -> tuple[list[Outcome], list[Row]]:
    """Send every probe, then read the audit log, and count per group."""
    with httpx.Client(base_url=world.url, timeout=60) as client:
        outcomes = [_send(client, world, probe) for probe in probes(world)]
        audited = _audited_request_ids(client, world)
    personal = _personal_values(world)
    rows: dict[str, list[int]] = {}
    for outcome in outcomes:
        outcomes_logged = audited.get(outcome.request_id, set())
        if outcome.control:
            outcome.logged = "served" in outcomes_logged or "partial" in outcomes_logged
        else:
            outcome.logged = "refused" in outcomes_logged
        # Leaked: an attack answered with success, or any answer to it naming the subject.
        leaked = not outcome.control and (
            200 <= outcome.status < 300 or any(value in outcome.body for value in personal)
        )
        counts = rows.setdefault(outcome.probe.group, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += outcome.refused
        counts[2] += outcome.logged
        counts[3] += leaked
    table = [Row(group, *counts) for group, counts in rows.items()]
    return outcomes, table


def log_leaks(log_text: str, world: World) -> list[str]:
    """Lines of the server's log that hold a subject key in clear."""
    return [
        line for line in log_text.splitlines() if world.person in line or ID_NUMBER.search(line)
    ]


def render(rows: list[Row], log_lines: list[str]) -> str:
    width = max(len(r.group) for r in rows)
    lines = [f"{'group':<{width}}  attempts  refused  logged  leaked"]
    attacks = [r for r in rows if r.group != "control"]
    for row in rows:
        lines.append(
            f"{row.group:<{width}}  {row.attempts:>8}  {row.refused:>7}  {row.logged:>6}  "
            f"{row.leaked:>6}"
        )
    total = Row(
        "total (probes)",
        sum(r.attempts for r in attacks),
        sum(r.refused for r in attacks),
        sum(r.logged for r in attacks),
        sum(r.leaked for r in attacks),
    )
    lines.append(
        f"{total.group:<{width}}  {total.attempts:>8}  {total.refused:>7}  {total.logged:>6}  "
        f"{total.leaked:>6}"
    )
    lines.append(f"{'server log lines with a key in clear':<{width}}  {len(log_lines):>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Replay the outside security test against a live exchange and print what "
        "was refused, logged and leaked."
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=Path("var/probe"),
        help="exchange home; built there when it holds no snapshot",
    )
    parser.add_argument("--verbose", action="store_true", help="one line per probe as well")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    log = home / "probe-server.log"
    os.environ["ONCEONLY_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    world = build_world(home, "")
    with serving(home, log) as url:
        world.url = url
        outcomes, rows = run(world)
    leaks = log_leaks(log.read_text(errors="replace"), world)
    if args.verbose:
        for o in outcomes:
            print(
                f"{o.status}  refused={o.refused!s:<5} logged={o.logged!s:<5} "
                f"{o.probe.group}: {o.probe.name}"
            )
    print(render(rows, leaks))
    attacks = [o for o in outcomes if not o.control]
    clean = (
        all(o.refused and o.logged for o in attacks)
        and all(not o.refused and o.logged for o in outcomes if o.control)
        and not leaks
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
