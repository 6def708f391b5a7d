"""`onceonly token`: issue, revoke and list API tokens. A token is shown once, when created;
the directory keeps only its hash."""

from __future__ import annotations

from typing import Annotated

import typer

from directory.actors import Role
from directory.errors import NotFound
from onceonly_cli.catalogue import guarded

app = typer.Typer(help="API tokens: create (shown once), revoke, list.", no_args_is_help=True)


@app.command()
def create(
    user: Annotated[str, typer.Argument(help="User name, e.g. wang.li.")],
    role: Annotated[Role | None, typer.Option(help="Role, when creating the user.")] = None,
    department: Annotated[
        str | None, typer.Option(help="Department code, when creating the user.")
    ] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in logs.")] = "",
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Issue a token for USER, creating the user first when --role and --department are given."""
    with guarded() as directory:
        try:
            existing = directory.identity.get_user(user)
        except NotFound:
            if role is None or department is None:
                typer.secho(
                    f"error: no user {user}; give --role and --department to create them",
                    err=True,
                )
                raise typer.Exit(1) from None
            existing = directory.identity.create_user(user, role, department, display_name)
            typer.echo(f"created user {user} ({role.value}, {department})")
        else:
            if (role and role is not existing.role) or (
                department and department != existing.department
            ):
                typer.secho(
                    f"error: {user} is already a {existing.role.value} of "
                    f"{existing.department}; roles are not changed by issuing a token",
                    err=True,
                )
                raise typer.Exit(1)
        issued = directory.identity.issue_token(user, label)
        typer.echo(f"token #{issued.info.id} for {user} (shown once, keep it safe):")
        typer.echo(issued.token)


@app.command()
def revoke(token_id: Annotated[int, typer.Argument(help="Token id, from `token list`.")]) -> None:
    """Revoke a token; requests with it fail from now on."""
    with guarded() as directory:
        revoked = directory.identity.revoke_token(token_id)
        typer.echo(f"token #{revoked.id} of {revoked.user} revoked at {revoked.revoked_at}")


@app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
) -> None:
    """Tokens (id, user, prefix, label, state); never the tokens themselves."""
    with guarded() as directory:
        tokens = directory.identity.list_tokens(user)
        if not tokens:
            typer.echo(
                "No tokens"
                + (f" for {user}" if user else "")
                + ". Next: `onceonly token create USER --role ROLE --department DEPT`, or "
                "`onceonly demo` for one per role."
            )
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            typer.echo(
                f"#{token.id}  {token.user}  {token.prefix}…  {token.label or '-'}  "
                f"created {token.created_at:%Y-%m-%d}  {state}"
            )
