"""Commands for department feeds: generate a sample landing zone, land it, show the pool."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pipelines import settings

if TYPE_CHECKING:  # the pipeline stack is imported only by the commands that run it
    from pipelines.landing.requests import PendingFile
    from pipelines.landing.runner import FileOutcome

console = Console()


def generate(
    persons: Annotated[int, typer.Option(help="Residents in the population register.")] = 20_000,
    enterprises: Annotated[int, typer.Option(help="Enterprises in the register.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Landing zone to write [default: var/landing].")
    ] = None,
    dirty_share: Annotated[float, typer.Option(help="Share of dirty rows per feed.")] = 0.02,
    case_days: Annotated[int, typer.Option(help="Days of case history.")] = 1095,
) -> None:
    """Write a deterministic sample landing zone of department drops in their real formats."""
    from pipelines.samples import generate_landing_zone

    target = out or settings.landing_root()
    with _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        summary = generate_landing_zone(
            target,
            persons=persons,
            enterprises=enterprises,
            seed=seed,
            dirty_share=dirty_share,
            case_days=case_days,
            progress=report,
        )
    table = Table(title=f"Landing zone written to {target}")
    for header in ("department", "resource", "file", "rows"):
        table.add_column(header, justify="right" if header == "rows" else "left")
    for item in summary.files:
        table.add_row(item.department, item.resource_id, item.path.name, f"{item.rows:,}")
    console.print(table)
    dirt = ", ".join(f"{kind} {count:,}" for kind, count in summary.dirt.items())
    console.print(f"{summary.rows:,} rows in {summary.seconds:.1f} s; dirt injected: {dirt}")


def ingest() -> None:
    """Land and certify every new file of the landing zone (one Dagster run per file), then
    publish a snapshot of the certified pool for the API."""
    from pipelines.definitions import defs
    from pipelines.instance import get_instance
    from pipelines.landing.runner import land_pending, publish_snapshot
    from pipelines.run_liveness import DeadRun

    started = time.perf_counter()
    instance = get_instance()

    def recovered(dead: DeadRun) -> None:  # a killed run never blocks this one: say so
        console.print(f"[yellow]recovered[/yellow] {dead.message}")

    with _progress() as progress:
        task = progress.add_task("landing and certifying", total=None)

        def report(index: int, total: int, item: PendingFile) -> None:
            description = f"{item.file.contract_id}: {item.file.path.name}"
            progress.update(task, completed=index, total=total, description=description)

        outcomes, unrecognised = land_pending(defs, instance, report, on_dead_run=recovered)
        progress.update(task, completed=len(outcomes), description="landing and certifying")
    failed = _print_outcomes(outcomes)
    for item in unrecognised:
        console.print(f"[yellow]not landed[/yellow] {item.path}: {item.reason}")
    snapshot = publish_snapshot(defs, instance, recovered)
    console.print(
        f"{len(outcomes)} file(s), {failed} not certified, in "
        f"{time.perf_counter() - started:.1f} s; published snapshot v{snapshot.get('version')}"
    )
    status()
    if any(not o.success and not o.landed for o in outcomes):
        raise typer.Exit(code=1)


def _print_outcomes(outcomes: list[FileOutcome]) -> int:
    table = Table(title="Landing and certification, one Dagster run per file")
    headers = (
        "resource",
        "file",
        "read",
        "rejected",
        "certified",
        "quarantined",
        "duplicates",
        "gate",
    )
    for header in headers:
        table.add_column(
            header, justify="left" if header in ("resource", "file", "gate") else "right"
        )
    failed = 0
    for outcome in outcomes:
        landed, certified = outcome.landed, outcome.certified

        def figure(meta: dict[str, object], key: str) -> str:
            value = meta.get(key)
            return f"{value:,}" if isinstance(value, int) else "-"

        if outcome.success:
            gate = (
                "already done"
                if str(certified.get("status", "")).startswith("already")
                else "passed"
            )
        else:
            failed += 1
            gate = f"[red]{outcome.error}[/red]"
        table.add_row(
            outcome.pending.file.contract_id,
            outcome.pending.file.path.name,
            figure(landed, "rows_read"),
            figure(landed, "rows_rejected"),
            figure(certified, "rows_certified"),
            figure(certified, "rows_quarantined"),
            figure(certified, "rows_duplicate"),
            gate,
        )
    console.print(table)
    return failed


def status() -> None:
    """What the published snapshot holds per resource: batches, certified, quarantined,
    duplicates, open quarantine, quality score, and the last gate failure if any."""
    from pipelines.certify.publish import current_snapshot

    snapshot = current_snapshot(settings.serving_dir())
    if snapshot is None:
        console.print("Nothing published yet: run `onceonly ingest`.")
        raise typer.Exit(code=1)
    con = duckdb.connect(str(snapshot.path), read_only=True)
    try:
        rows = con.execute(STATUS_SQL).fetchall()
    finally:
        con.close()
    table = Table(
        title=f"Certified pool, snapshot v{snapshot.version} "
        f"({snapshot.published_at:%Y-%m-%d %H:%M})"
    )
    headers = (
        "resource",
        "batches",
        "landed",
        "certified",
        "quarantined",
        "duplicates",
        "open quarantine",
        "score",
        "last gate failure",
    )
    for header in headers:
        table.add_column(
            header, justify="left" if header in ("resource", "last gate failure") else "right"
        )
    for contract_id, *figures, score, failure in rows:
        table.add_row(contract_id, *(f"{v:,}" for v in figures), f"{score:.1%}", failure or "")
    console.print(table)


STATUS_SQL = """
SELECT b.contract_id, count(*), sum(rows_landed), sum(rows_certified), sum(rows_quarantined),
       sum(rows_duplicate),
       (SELECT count(*) FROM quality.quarantine q
        WHERE q.contract_id = b.contract_id AND q.status = 'open'),
       sum(rows_certified) / greatest(sum(rows_landed) - sum(rows_duplicate), 1),
       max(CASE WHEN status = 'gate_failed' THEN array_to_string(gate_failures, ', ') END)
FROM quality.batches AS b GROUP BY b.contract_id ORDER BY b.contract_id
"""


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
