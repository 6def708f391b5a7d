"""`onceonly share`: a department's share request, filed from the command line.

The same admission as the API's and the console's (`directory.sharing`): a request names a
service item the requester's department handles and only the items that service item's
once-only map draws from the resource, or it is refused with each surplus item and why, and
nothing is recorded. The request is filed for the department of the user it acts as.
"""

from __future__ import annotations

from typing import Annotated

import typer

from directory.actors import Role
from onceonly_cli.catalogue import guarded
from onceonly_cli.identity import AsUser, acting_user

app = typer.Typer(help="Share requests: ask another department for data.", no_args_is_help=True)


@app.command("request")
def request(
    resource: Annotated[str, typer.Argument(help="Resource code, e.g. 305001/000001.")],
    service_item: Annotated[
        str, typer.Option(help="The service item the data is for (your department's).")
    ],
    purpose: Annotated[str, typer.Option(help="What the data is used for.")],
    item: Annotated[
        list[str] | None,
        typer.Option(help="A data item needed (repeat; default: the whole resource)."),
    ] = None,
    legal_basis: Annotated[str, typer.Option(help="Needed for conditional data.")] = "",
    as_user: AsUser = None,
) -> None:
    """File a share request; unconditional data is granted at once, the rest waits."""
    with guarded() as directory:
        steward = acting_user(
            directory, as_user, (Role.steward, Role.admin), "file a share request"
        )
        view = directory.requests.submit(
            steward,
            steward.department,
            resource,
            service_item,
            purpose,
            legal_basis,
            item or None,
        )
    items = ", ".join(view.items) if view.items is not None else "the whole resource"
    typer.echo(
        f"request #{view.id} {view.status.value}: {view.requester_department} asks "
        f"{view.provider_department} for {view.resource_code} ({items}) for service item "
        f"{view.service_item_code}"
    )
    if view.status.value == "pending":
        typer.echo(f"the provider's steward answers by {view.answer_due:%Y-%m-%d}")
