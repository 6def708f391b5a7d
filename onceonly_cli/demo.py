"""`onceonly demo`: sign-in tokens for one user per role, and what to try with them.

`make run` calls it after loading the sample, so a person trying the exchange has working
credentials for each audience; the tokens are new on every call and the previous demo tokens
are revoked, since a token is shown only once.
"""

from __future__ import annotations

from typing import Annotated

import typer

from directory.actors import Role
from directory.errors import NotFound

DEMO_LABEL = "demo"
DEMO_SERVICE_ITEM = "4101000004"  # 个体工商户设立登记: population and real-estate data
APPLICANT_SQL = """
SELECT p.id_number FROM ps_population p JOIN nr_real_estate r ON r.owner_key = p.id_number
WHERE p._valid_to IS NULL AND r._valid_to IS NULL ORDER BY p.id_number LIMIT 1
"""
# The newest case of the demo service item in the centre's case register: a read must name a
# case of the clerk's department for the item, open or completed recently.
CASE_SQL = """
SELECT case_no FROM gsc_cases WHERE service_item_code = ? AND _valid_to IS NULL
ORDER BY received_at DESC LIMIT 1
"""
DEMO_USERS = (
    ("demo.clerk", Role.clerk, "mr", "市场监管窗口审批员"),
    ("demo.steward", Role.steward, "ps", "公安局数据管理员"),
    ("demo.analyst", Role.analyst, "gsc", "效能监察分析员"),
    ("demo.auditor", Role.auditor, "gsc", "审计员"),
)


def demo(
    host: Annotated[
        str, typer.Option(help="The interface `onceonly serve --host` is given.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port `onceonly serve --port` is given.")] = 8000,
    base_url: Annotated[
        str | None,
        typer.Option(help="Where users reach the API, when not at host and port (a proxy)."),
    ] = None,
) -> None:
    """Issue fresh demo tokens (clerk, steward, analyst, auditor) and print curl examples.

    Run before `onceonly serve` (as `make run` does), so it cannot ask the server where it
    listens: give it the same --host and --port, or the address users reach it by.
    """
    from onceonly_cli.catalogue import guarded

    base_url = (base_url or f"http://{host}:{port}").rstrip("/")

    tokens: dict[Role, str] = {}
    with guarded() as directory:
        identity = directory.identity
        for name, role, department, display in DEMO_USERS:
            try:
                identity.get_user(name)
            except NotFound:
                identity.create_user(name, role, department, display)
            for token in identity.list_tokens(name):
                if token.label == DEMO_LABEL and token.revoked_at is None:
                    identity.revoke_token(token.id)
            tokens[role] = identity.issue_token(name, DEMO_LABEL).token
    typer.echo("Demo sign-in tokens (shown once; `onceonly token list` shows them by id):")
    for name, role, department, display in DEMO_USERS:
        typer.echo(f"  {role.value:8} {name:13} {department:5} {display}: {tokens[role]}")
    applicant = _sample_query(APPLICANT_SQL, [])
    case_no = _sample_query(CASE_SQL, [DEMO_SERVICE_ITEM]) or "<case number>"
    typer.echo("\nTry:")
    if applicant:
        # POST: the applicant's key travels in the body, not in a URL that logs keep.
        body = f'{{"service_item": "{DEMO_SERVICE_ITEM}", "subject": "{applicant}", '
        body += f'"case_no": "{case_no}"}}'
        typer.echo(
            f'  curl -s -H "Authorization: Bearer {tokens[Role.clerk]}" '
            f"-H 'Content-Type: application/json' -d '{body}' {base_url}/v1/prefill"
        )
        # The same, as a printed extract whose QR code opens the public verification page.
        printed = '{"kind": "prefill", ' + body[1:]
        typer.echo(
            f'  curl -s -H "Authorization: Bearer {tokens[Role.clerk]}" '
            f"-H 'Content-Type: application/json' -d '{printed}' -o extract.pdf "
            f"{base_url}/v1/extracts/pdf"
        )
    typer.echo(
        f'  curl -s -H "Authorization: Bearer {tokens[Role.analyst]}" {base_url}/v1/resources'
    )
    typer.echo(
        f'  curl -s -H "Authorization: Bearer {tokens[Role.steward]}" '
        f"'{base_url}/v1/directory/entries?q=人口'"
    )
    typer.echo(f"  OpenAPI: {base_url}/docs")
    typer.echo(f"\nWeb console: {base_url}/console/  (sign in with a token above; the role decides")
    typer.echo(f"  the pages: the steward's {tokens[Role.steward]} opens the catalogue)")
    if applicant:
        typer.echo(
            f"  A clerk's prefill there: service item {DEMO_SERVICE_ITEM}, applicant {applicant}, "
            f"case {case_no}"
        )
    typer.echo(
        "\nCommand line: edits and audit reads act as a directory user, e.g. "
        "`onceonly audit verify --as demo.auditor` (or set ONCEONLY_CLI_USER=demo.auditor)"
    )


def _sample_query(sql: str, params: list[object]) -> str | None:
    """The first value `sql` finds in the published sample, if anything is published: a
    resident with both records the demo service item needs, or a case of that item."""
    import duckdb

    import settings
    from snapshot.manifest import current_version

    snapshot = current_version(settings.current().serving)
    if snapshot is None:
        return None
    with duckdb.connect(str(snapshot.path), read_only=True) as con:
        try:
            rows = con.execute(sql, params).fetchall()
        except duckdb.CatalogException:
            return None
    return str(rows[0][0]) if rows else None
