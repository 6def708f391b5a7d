"""Commands for department feeds: generate a sample landing zone, land it, show the pool."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

import settings
from onceonly_cli.status import print_status
from onceonly_cli.tables import print_table

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

    target = out or settings.current().landing
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
    print_table(console, table)
    dirt = ", ".join(f"{kind} {count:,}" for kind, count in summary.dirt.items())
    console.print(f"{summary.rows:,} rows in {summary.seconds:.1f} s; dirt injected: {dirt}")


def ingest() -> None:
    """Land and certify every new file of the landing zone (one Dagster run per file), then
    publish a snapshot of the certified pool for the API if anything new was certified."""
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance
    from pipelines.landing.runner import land_pending, publish_snapshot
    from pipelines.run_liveness import DeadRun
    from snapshot.manifest import current_version

    started = time.perf_counter()
    defs = build_definitions()  # paths as the environment says now
    instance = get_instance()

    def recovered(dead: DeadRun) -> None:  # a killed run never blocks this one: say so
        console.print(f"[yellow]recovered[/yellow] {escape(dead.message)}", highlight=False)

    with _progress() as progress:
        task = progress.add_task("landing and certifying", total=None)

        def report(index: int, total: int, item: PendingFile) -> None:
            description = f"{item.file.contract_id}: {item.file.path.name}"
            progress.update(task, completed=index, total=total, description=description)

        outcomes, unrecognised = land_pending(defs, instance, report, on_dead_run=recovered)
        progress.update(task, completed=len(outcomes), description="landing and certifying")
    if not outcomes and not unrecognised:
        landing = settings.current().landing
        console.print(
            f"The landing zone {escape(str(landing))} holds no files. Next: have departments "
            f"drop them into {escape(str(landing))}/<department>/<resource>/ (or run `onceonly "
            "generate` for a sample zone), then run `onceonly ingest` again.",
            highlight=False,
        )
        return
    failed = _print_outcomes(outcomes)
    for item in unrecognised:
        console.print(
            f"[yellow]not landed[/yellow] {escape(str(item.path))}: {escape(item.reason)}",
            highlight=False,
        )
    published = publish_snapshot(defs, instance, recovered).get("version")
    current = current_version(settings.current().serving)
    if published is not None:
        outcome = f"published snapshot v{published}"
    elif current is not None:
        outcome = f"nothing new certified, snapshot v{current.version} keeps serving"
    else:
        outcome = "nothing certified yet, so no snapshot is published"
    console.print(
        f"{len(outcomes)} file(s), {failed} not certified, in "
        f"{time.perf_counter() - started:.1f} s; {outcome}",
        highlight=False,
    )
    if failed:
        console.print(
            "Next: send each failed file back to its department with the message shown "
            "(the run's full log is in the Dagster UI, `make ui`), then run `onceonly ingest` "
            "again with the corrected file.",
            highlight=False,
        )
    print_status()
    _follow_with_analytics()
    if any(not o.success and not o.landed for o in outcomes):
        raise typer.Exit(code=1)


def _follow_with_analytics() -> None:
    """Rebuild the analytics when the snapshot serving now is not the one they were built
    from, so analysts never read an older snapshot than clerks; a centre without case
    records has no analytics to build, and ingest says so instead of failing."""
    from onceonly_cli.analytics import refresh_with_progress
    from pipelines.analytics.refresh import behind

    if not behind(settings.current().serving):
        return
    outcome = refresh_with_progress(console)
    if outcome.success:
        console.print(
            f"analytics rebuilt from snapshot v{outcome.snapshot_version}", highlight=False
        )
        return
    line = Text(f"analytics not rebuilt ({outcome.failed_step}): ", style="yellow")
    line.append(outcome.error or "")
    console.print(line, soft_wrap=True)


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

        gate: str | Text
        if outcome.success:
            gate = (
                "already done"
                if str(certified.get("status", "")).startswith("already")
                else "passed"
            )
        else:
            failed += 1
            gate = Text("failed", style="red")
        table.add_row(
            outcome.pending.file.contract_id,
            Text(outcome.pending.file.path.name),
            figure(landed, "rows_read"),
            figure(landed, "rows_rejected"),
            figure(certified, "rows_certified"),
            figure(certified, "rows_quarantined"),
            figure(certified, "rows_duplicate"),
            gate,
        )
    print_table(console, table)
    for outcome in outcomes:
        if not outcome.success:
            # The run log's own words, in full: Text, not markup, since messages quote headers
            # such as [姓名, 性别] verbatim; soft-wrapped, so a narrow terminal cuts nothing.
            line = Text(f"{outcome.pending.file.contract_id} ", style="red")
            line.append(outcome.error or "")
            console.print(line, soft_wrap=True)
    return failed


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
