"""`onceonly webhooks`: a department's outbound webhook, its delivery log, and the worker.

`register` and `log` act as a named steward (or admin), like the API's routes. `deliver` is
the worker that sends the events: run it as a process of its own beside the API (`--once`
makes one pass, for cron or a test). Each pass lists every registered department's inbox
from the directory and the snapshot in service, records the new items, and sends the
deliveries that are due; what is pending lives in the directory, so stopping and starting
the worker loses nothing, and several workers may run (each delivery is leased to one).
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer

from directory.actors import Role
from directory.audit import actor_event
from directory.webhook_sender import http_client, run_pass
from onceonly_cli.catalogue import guarded
from onceonly_cli.identity import AsUser, acting_user
from onceonly_cli.published import published_records

app = typer.Typer(
    help="Outbound webhooks: register a department's URL, read its log, run the worker.",
    no_args_is_help=True,
)
EDITORS = (Role.steward, Role.admin)


@app.command("register")
def register(
    url: Annotated[str, typer.Argument(help="The receiver's http(s) address.")],
    department: Annotated[
        str | None, typer.Option(help="Default: yours (an admin names any).")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Register (or replace) the department's webhook; prints the new secret, once."""
    with guarded() as directory:
        actor = acting_user(directory, as_user, EDITORS, "register a webhook")
        chosen = department or actor.department
        registered = directory.webhooks.register(actor, chosen, url)
        directory.audit.append(
            actor_event(actor, "webhook.register", "served", reason=f"webhook of {chosen}")
        )
    typer.echo(f"webhook of {chosen}: {registered.webhook.url}")
    typer.echo(f"secret (shown once; the receiver checks signatures by it): {registered.secret}")
    typer.echo("signed as Standard Webhooks v1: webhook-id, webhook-timestamp, webhook-signature")


@app.command("log")
def delivery_log(
    department: Annotated[
        str | None, typer.Option(help="Default: yours (an admin names any).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 20,
    as_user: AsUser = None,
) -> None:
    """The delivery log: each event's status, attempts, next try and last error."""
    with guarded() as directory:
        actor = acting_user(directory, as_user, EDITORS, "read a webhook's delivery log")
        chosen = department or actor.department
        actor.require(chosen, f"read the webhook log of {chosen}")
        found = directory.webhooks.deliveries(chosen, limit=limit)
        directory.audit.append(
            actor_event(
                actor,
                "webhook.deliveries",
                "served",
                reason=f"{len(found)} deliveries of the webhook of {chosen}",
            )
        )
    for d in found:
        nxt = f", next try {d.next_attempt_at:%Y-%m-%d %H:%M:%S}" if d.next_attempt_at else ""
        err = f", last error: {d.last_error}" if d.last_error else ""
        typer.echo(
            f"#{d.id} {d.event_type} {d.item_key}: {d.status.value}, {d.attempts} attempts"
            f"{nxt}{err}"
        )


@app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option(help="One pass, then exit.")] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between passes.")] = 5.0,
) -> None:
    """The worker: record new inbox items as events and send those due, with retries."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for chatty in ("alembic", "httpx"):  # migrations checked, each request: not news
        logging.getLogger(chatty).setLevel(logging.WARNING)
    with guarded() as directory, http_client() as client:
        while True:
            with published_records() as query:
                done = run_pass(directory, query, client)
            delivered = sum(1 for d in done.attempts if d.status.value == "delivered")
            if once or done.recorded or done.attempts:
                typer.echo(
                    f"{done.recorded} new events, {len(done.attempts)} attempts, "
                    f"{delivered} delivered"
                )
            if once:
                return
            time.sleep(interval)
