"""The `onceonly` command: thin wrappers over the packages, one module per command group."""

from __future__ import annotations

import typer

from directory import log_privacy
from onceonly_cli import (
    analytics,
    audit,
    catalogue,
    contract,
    demo,
    extract,
    feeds,
    forecast,
    inbox,
    prefill,
    quarantine,
    serve,
    share,
    sql,
    status,
    token,
    webhooks,
)

log_privacy.install()  # no personal number in clear in any log line of a command or its runs
app = typer.Typer(
    help="onceonly: once-only data-sharing exchange for government service centres.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("generate")(feeds.generate)
app.command("ingest")(feeds.ingest)
app.command("status")(status.status)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("inbox")(inbox.inbox)
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(token.app, name="token")
app.add_typer(contract.app, name="contract")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(analytics.app, name="analytics")
app.add_typer(forecast.app, name="forecast")
app.add_typer(extract.app, name="extract")
app.add_typer(audit.app, name="audit")
app.add_typer(share.app, name="share")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(prefill.app, name="prefill")
app.command("sql")(sql.sql)

if __name__ == "__main__":
    app()
