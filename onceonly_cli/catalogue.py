"""`onceonly catalogue`: the resource directory from the command line.

The CLI works on the directory database directly (ONCEONLY_DIRECTORY_URL). An edit is
recorded under the directory user `--as` (or ONCEONLY_CLI_USER) names, whose role and
department decide what they may change (`onceonly_cli.identity`); reads need no one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from directory import labels
from directory.actors import Actor, Role
from directory.errors import DirectoryError, ValidationFailed
from directory.lifecycle import allowed_next
from directory.model import Classification, SharingType, Status, UpdateCycle
from directory.publish import DEFAULT_BASE_URI, as_dcat, as_json
from directory.sample import load_sample
from directory.search import Filters
from directory.store import Directory, open_directory
from directory.summary import format_summary, summarise
from directory.tabular import TableFormat, export_table
from directory.tabular_import import import_table
from onceonly_cli.identity import AsUser, acting_user

app = typer.Typer(
    help="The resource catalogue: search, show, history, status, restore, export and import.",
    no_args_is_help=True,
)
EXPORT_FORMATS = ("csv", "xlsx", "json", "jsonld")


@contextmanager
def guarded() -> Iterator[Directory]:
    """Open the directory; turn its errors into a message and exit status 1, not a trace."""
    directory = open_directory()
    try:
        yield directory
    except DirectoryError as error:
        typer.secho(f"error [{error.code}]: {error.message}", fg="red", err=True)
        if isinstance(error, ValidationFailed):
            for problem in error.problems:
                typer.echo(f"  {problem.field}: {problem.message} -> {problem.fix}", err=True)
        raise typer.Exit(1) from error
    finally:
        directory.close()


EDITORS = (Role.steward, Role.admin)


def _actor(directory: Directory, user: str | None, what: str) -> Actor:
    return acting_user(directory, user, EDITORS, what)


@app.command("list")
def list_entries(
    query: Annotated[str, typer.Option("--query", "-q", help="Words or fragments.")] = "",
    department: Annotated[str | None, typer.Option(help="Provider department code.")] = None,
    sharing_type: Annotated[SharingType | None, typer.Option(help="Sharing type.")] = None,
    status: Annotated[Status | None, typer.Option(help="Lifecycle status.")] = None,
    update_cycle: Annotated[UpdateCycle | None, typer.Option(help="Update cycle.")] = None,
    open_to_public: Annotated[
        bool | None, typer.Option("--open/--not-open", help="Open to the public or not.")
    ] = None,
    data_grade: Annotated[
        Classification | None,
        typer.Option(help="The most protected classification among the data items."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List or search catalogue entries (Chinese substrings and bigrams, best first)."""
    filters = Filters(
        department=department,
        sharing_type=sharing_type.value if sharing_type else None,
        status=status.value if status else None,
        update_cycle=update_cycle.value if update_cycle else None,
        open_to_public=open_to_public,
        data_grade=data_grade.value if data_grade else None,
    )
    with guarded() as directory:
        result = directory.search.search(query, limit=limit, filters=filters)
        typer.echo(f"{result.total} entries" + (f" match {query!r}" if query else ""))
        if result.total == 0 and not query and filters == Filters():
            typer.echo(
                "The catalogue is empty. Next: `onceonly catalogue sync` creates an entry per "
                "contract, `onceonly catalogue sample` loads the sample directory."
            )
        for hit in result.hits:
            typer.echo(
                f"{hit.code}  {hit.name}  {hit.provider_name}  "
                f"{labels.label(SharingType(hit.sharing_type))}  {labels.label(Status(hit.status))}"
                + (f"  score {hit.score}" if query else "")
            )


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="Resource code, e.g. 302001/000001.")],
    version: Annotated[int | None, typer.Option(help="Show this earlier version.")] = None,
) -> None:
    """Show an entry (as JSON), now or at an earlier version."""
    with guarded() as directory:
        if version is None:
            view = directory.entries.get(code)
            document, shown = view.document.as_json(), view.version
        else:
            document, shown = directory.entries.version(code, version).document, version
        typer.echo(json.dumps({"version": shown, **document}, ensure_ascii=False, indent=2))


@app.command()
def history(code: Annotated[str, typer.Argument(help="Resource code.")]) -> None:
    """Every version of an entry: who, when, why, and what changed field by field."""
    with guarded() as directory:
        for version in directory.entries.history(code):
            typer.echo(
                f"v{version.version}  {version.created_at:%Y-%m-%d %H:%M}  {version.author}  "
                f"[{version.kind.value}]  {version.reason}"
            )
            for change in version.changes:
                before = json.dumps(change.before, ensure_ascii=False)
                after = json.dumps(change.after, ensure_ascii=False)
                typer.echo(f"    {change.field}: {before} -> {after}")


@app.command()
def restore(
    code: Annotated[str, typer.Argument(help="Resource code.")],
    version: Annotated[int, typer.Argument(help="The version to bring back.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the history).")],
    expected_version: Annotated[
        int | None, typer.Option(help="Refuse if the entry moved past this version.")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Save an earlier version as the newest one (nothing in the history is lost)."""
    with guarded() as directory:
        editor = _actor(directory, as_user, f"restore {code}")
        current = expected_version or directory.entries.get(code).version
        view = directory.entries.restore(code, version, current, editor, reason)
        typer.echo(f"{code} restored from version {version} as version {view.version}")


@app.command("status")
def set_status(
    code: Annotated[str, typer.Argument(help="Resource code.")],
    new_status: Annotated[Status, typer.Argument(metavar="STATUS", help="The next status.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the history).")],
    replaced_by: Annotated[
        str | None, typer.Option(help="The replacing resource (when deprecating).")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Move an entry along its lifecycle; refused, naming the allowed next states, if the
    lifecycle forbids it (a published entry is only ever deprecated or withdrawn)."""
    with guarded() as directory:
        editor = _actor(directory, as_user, f"change the status of {code}")
        current = directory.entries.get(code)
        fields: dict[str, object] = {"status": new_status.value}
        if replaced_by is not None:
            fields["replaced_by"] = replaced_by
        view = directory.entries.patch(code, fields, current.version, editor, reason)
        allowed = ", ".join(s.value for s in allowed_next(view.document.status)) or "none"
        typer.echo(
            f"{code} is {view.document.status.value} at version {view.version} "
            f"(allowed next: {allowed})"
        )


@app.command()
def dependents(code: Annotated[str, typer.Argument(help="Resource code.")]) -> None:
    """Which service items depend on a resource, and through which materials and fields."""
    with guarded() as directory:
        found = directory.services.dependents(code)
        typer.echo(f"{len(found)} service items depend on {code}")
        for item in found:
            typer.echo(f"{item.code}  {item.name}  ({item.department})")
            for material, items in item.materials.items():
                typer.echo(f"    material {material}: {', '.join(items)}")
            for field, name in item.form_fields.items():
                typer.echo(f"    field {field}: {name}")


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="File to write.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(EXPORT_FORMATS)} (default: suffix)."),
    ] = None,
    base_uri: Annotated[str, typer.Option(help="IRI base for JSON-LD.")] = DEFAULT_BASE_URI,
) -> None:
    """Export the whole catalogue: CSV/Excel to edit and import, JSON, or DCAT JSON-LD."""
    chosen = fmt or path.suffix.lstrip(".").lower()
    if chosen not in EXPORT_FORMATS:
        typer.secho(f"error: unknown format {chosen!r}; use {', '.join(EXPORT_FORMATS)}", err=True)
        raise typer.Exit(2)
    with guarded() as directory:
        entries = directory.entries.all()
        if chosen in ("csv", "xlsx"):
            rows = export_table(entries, path, TableFormat(chosen))
            typer.echo(f"{len(entries)} entries ({rows} rows, one per data item) -> {path}")
            return
        at = dt.datetime.now(dt.UTC)
        document = (
            as_json(entries, directory.figures.all(), at)
            if chosen == "json"
            else as_dcat(entries, at, base_uri)
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        typer.echo(f"{len(entries)} entries -> {path}")


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="A CSV or Excel file made by `export`.", exists=True)
    ],
    reason: Annotated[str, typer.Option(help="Why (recorded on every changed entry).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List changes and errors, write nothing.")
    ] = False,
    as_user: AsUser = None,
) -> None:
    """Import a bulk edit; lists every change and error, writes nothing if any row is bad."""
    with guarded() as directory:
        editor = _actor(directory, as_user, "import catalogue entries")
        report = import_table(directory.db, path, editor, reason, dry_run)
        for change in report.changes:
            typer.echo(f"{change.action} {change.code} (row {change.row})")
            for item in change.changes:
                before = json.dumps(item.before, ensure_ascii=False)
                after = json.dumps(item.after, ensure_ascii=False)
                typer.echo(f"    {item.field}: {before} -> {after}")
        for error in report.errors:
            typer.secho(f"row {error.row}, {error.column}: {error.reason}", fg="red", err=True)
        typer.echo(
            f"{len(report.changes)} entries to change, {report.unchanged} unchanged, "
            f"{len(report.errors)} errors; "
            + ("written." if report.applied else "nothing written.")
        )
        if report.errors:
            raise typer.Exit(1)


@app.command()
def sync() -> None:
    """Seed or update entries from the bundled contracts, showing what each change did."""
    with guarded() as directory:
        for result in directory.sync_contracts():
            typer.echo(f"{result.contract_id}: {result.action} {result.code}")
            for change in result.changes if result.action == "updated" else []:
                typer.echo(f"    {change.field}: {change.before} -> {change.after}")
            for problem in result.problems:
                typer.echo(f"    blocked: {problem}")


@app.command()
def expire() -> None:
    """Record the expiry of grants whose validity has ended (schedule it daily)."""
    with guarded() as directory:
        expired = directory.requests.expire_due()
        typer.echo(
            f"{len(expired)} grants expired"
            + (f": #{', #'.join(map(str, expired))}" if expired else "")
        )


@app.command()
def summary() -> None:
    """The catalogue, the share requests and the once-only figure, as they are now."""
    with guarded() as directory:
        typer.echo(format_summary(summarise(directory)))


@app.command()
def sample() -> None:
    """Load the sample directory (once; later runs change nothing) and print its summary."""
    with guarded() as directory:
        typer.echo(format_summary(load_sample(directory)))
