"""`onceonly quarantine`: rejected rows, back to the department that can fix them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Quarantined rows: export them to the owning department.", no_args_is_help=True
)


@app.command("export")
def export(
    dept: Annotated[str, typer.Option(help="Department code, e.g. ps, mr, hrss.")],
    out: Annotated[Path, typer.Option(help="Folder to write the files into.")] = Path(
        "var/exports"
    ),
) -> None:
    """Write open quarantined rows in the department's own format and headers, with the rules
    each row broke, from the published snapshot."""
    import settings
    from contracts.registry import bundled_contracts
    from snapshot.manifest import current_version
    from snapshot.quarantine_export import export_quarantine

    contracts = bundled_contracts()
    if dept not in {c.department for c in contracts.values()}:
        known = ", ".join(sorted({c.department for c in contracts.values()}))
        typer.echo(f"Unknown department {dept!r}; departments are {known}.", err=True)
        raise typer.Exit(code=2)
    snapshot = current_version(settings.current().serving)
    if snapshot is None:
        typer.echo(
            "Nothing certified yet, so nothing is quarantined. Next: run `onceonly ingest` "
            "once departments have delivered files.",
            err=True,
        )
        raise typer.Exit(code=1)
    written = export_quarantine(snapshot.path, contracts, dept, out)
    for path, rows in written:
        typer.echo(f"{path}: {rows} row(s)")
    if not written:
        typer.echo(
            f"No open quarantined rows for department {dept}: nothing to send back. "
            "`onceonly status` shows what was certified."
        )
