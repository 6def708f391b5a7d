"""`onceonly status`: what the published snapshot holds per resource, and what waits on it.

Beside the certification figures it shows the two things a steward must act on that the
figures alone hide: conflicts with an item's authoritative source that nobody has settled,
and a delivery later than the catalogue's update cycle allows.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

import settings
from onceonly_cli.tables import print_table

console = Console()
HEADERS = (
    "resource",
    "batches",
    "landed",
    "certified",
    "quarantined",
    "duplicates",
    "open quarantine",
    "open conflicts",
    "delivery",
    "score",
    "last gate failure",
)


def status() -> None:
    """What the published snapshot holds per resource: batches, certified, quarantined,
    duplicates, open quarantine, conflicts with an authoritative source that wait for the
    resource's steward, whether its delivery is late for its update cycle, quality score,
    and the last gate failure if any."""
    if not print_status():
        raise typer.Exit(code=1)


def print_status() -> bool:
    """Print the status table, or what to do when there is nothing to show (returns False)."""
    from snapshot.conflicts import CONFLICT_COUNTS
    from snapshot.manifest import current_version
    from snapshot.quality import LAST_CERTIFIED, STATUS

    snapshot = current_version(settings.current().serving)
    rows: list[tuple[object, ...]] = []
    conflicts: dict[str, int] = {}
    last: dict[str, dt.datetime | None] = {}
    if snapshot is not None:
        con = duckdb.connect(str(snapshot.path), read_only=True)
        try:
            if _has_batches_table(con):
                rows = con.execute(STATUS).fetchall()
                conflicts = dict(con.execute(CONFLICT_COUNTS).fetchall())
                last = {
                    r: at.astimezone(dt.UTC) if at else None
                    for r, at in con.execute(LAST_CERTIFIED).fetchall()
                }
        finally:
            con.close()
    if snapshot is None or not rows:
        console.print(
            "Nothing certified yet. Next: have departments drop files into "
            f"{escape(str(settings.current().landing))}/<department>/<resource>/ (or run "
            "`onceonly generate` for a sample zone), then run `onceonly ingest`.",
            highlight=False,
        )
        return False
    settled, deliveries = _from_directory(last)
    table = Table(
        title=f"Certified pool, snapshot v{snapshot.version} "
        f"({snapshot.published_at:%Y-%m-%d %H:%M})"
    )
    for header in HEADERS:
        table.add_column(
            header,
            justify="left" if header in ("resource", "delivery", "last gate failure") else "right",
        )
    for contract_id, *figures, score, failure in rows:
        resource = str(contract_id)
        waiting = conflicts.get(resource, 0) - settled.get(resource, 0)
        table.add_row(
            resource,
            *(f"{v:,}" for v in figures),
            f"{waiting:,}",
            deliveries.get(resource, Text("-")),
            f"{score:.1%}",
            Text(str(failure or "")),
        )
    print_table(console, table)
    return True


def _from_directory(
    last: dict[str, dt.datetime | None],
) -> tuple[dict[str, int], dict[str, Text]]:
    """Settled conflicts per resource, and each resource's delivery against its cycle."""
    from contracts.registry import bundled_contracts
    from directory import lateness
    from directory.store import open_directory

    directory = open_directory()
    try:
        settled = directory.conflicts.settled_by_resource()
        found = lateness.deliveries(directory.entries, bundled_contracts().values(), last)
    finally:
        directory.close()
    shown = {}
    for delivery in found:
        if delivery.late and delivery.due_by is not None:
            shown[delivery.resource] = Text(
                f"late: {delivery.update_cycle.value}, due {delivery.due_by:%Y-%m-%d %H:%M}",
                style="red",
            )
        elif delivery.last_certified_at is not None:
            shown[delivery.resource] = Text(f"on time ({delivery.update_cycle.value})")
    return settled, shown


def _has_batches_table(con: duckdb.DuckDBPyConnection) -> bool:
    """Snapshots published before anything was certified hold no quality tables."""
    from snapshot.tables import BATCHES

    exists, params = BATCHES.exists_query()
    return bool(con.execute(exists, params).fetchall()[0][0])
