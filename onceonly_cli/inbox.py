"""`onceonly inbox`: what waits on the steward's department, oldest first, as the API's
`/v1/directory/inbox` and the console's home page show it; the read is audited like theirs."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from directory.actors import Role
from directory.audit import actor_event
from directory.inbox import inbox_of
from onceonly_cli.catalogue import guarded
from onceonly_cli.identity import AsUser, acting_user
from onceonly_cli.published import published_records
from onceonly_cli.tables import print_table


def inbox(as_user: AsUser = None) -> None:
    """Share requests waiting (and overdue), open objections and conflicts, gate failures
    and quarantine to return, for the department of the steward it acts as."""
    with guarded() as directory, published_records() as query:
        steward = acting_user(directory, as_user, (Role.steward,), "read a department's inbox")
        found = inbox_of(directory, steward.department, query)
        counts = ", ".join(f"{k.value} {n}" for k, n in found.counts.items())
        directory.audit.append(
            actor_event(
                steward, "inbox.read", "served", reason=f"{len(found.items)} items: {counts}"
            )
        )
    typer.echo(f"inbox of {found.department}: {len(found.items)} items ({counts})")
    if found.overdue:
        typer.echo(f"{found.overdue} share requests are past their answer limit")
    if not found.published:
        typer.echo("nothing is published yet: conflicts, gate failures and quarantine not shown")
    if not found.items:
        return
    table = Table("since (UTC)", "kind", "ref", "count", "what", "where", show_lines=False)
    for item in found.items:
        kind = item.kind.value + (" (overdue)" if item.overdue else "")
        table.add_row(
            f"{item.since:%Y-%m-%d %H:%M}",
            kind,
            item.ref,
            str(item.count),
            item.summary,
            item.console_link,
        )
    print_table(Console(), table)
