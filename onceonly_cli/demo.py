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
DEMO_USERS = (
    ("demo.clerk", Role.clerk, "mr", "市场监管窗口审批员"),
    ("demo.steward", Role.steward, "ps", "公安局数据管理员"),
    ("demo.analyst", Role.analyst, "gsc", "效能监察分析员"),
    ("demo.auditor", Role.auditor, "gsc", "审计员"),
)


def demo(
    base_url: Annotated[str, typer.Option(help="Where the API will be served.")] = (
        "http://127.0.0.1:8000"
    ),
) -> None:
    """Issue fresh demo tokens (clerk, steward, analyst, auditor) and print curl examples."""
    from onceonly_cli.catalogue import guarded

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
    typer.echo("\nTry:")
    typer.echo(
        f'  curl -s -H "Authorization: Bearer {tokens[Role.analyst]}" {base_url}/v1/resources'
    )
    typer.echo(
        f'  curl -s -H "Authorization: Bearer {tokens[Role.steward]}" '
        f"'{base_url}/v1/directory/entries?q=人口'"
    )
    typer.echo(f"  OpenAPI: {base_url}/docs")
