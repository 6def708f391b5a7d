"""`onceonly contract`: check contracts before any data meets them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Data contracts: lint them, and classify changes between versions.", no_args_is_help=True
)


@app.command("lint")
def lint(
    directory: Annotated[
        Path | None, typer.Option(help="Folder of contract YAML files [default: the bundled ones].")
    ] = None,
) -> None:
    """Check every contract: schema, rules, SQL, references; exit 1 if any is wrong."""
    from contracts.lint import lint as run_lint
    from contracts.registry import DEFINITIONS_DIR

    problems = run_lint(directory or DEFINITIONS_DIR)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s); fix them before delivering data.", err=True)
        raise typer.Exit(code=1)
    typer.echo("All contracts are valid.")


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The contract file as it is now.", exists=True)],
    new: Annotated[Path, typer.Argument(help="The proposed contract file.", exists=True)],
) -> None:
    """Classify each change as breaking or compatible; refuse a breaking change without a
    major version bump (exit 1)."""
    from contracts.diff import diff_contracts
    from contracts.registry import ContractError, load_contract

    try:
        result = diff_contracts(load_contract(old), load_contract(new))
    except ContractError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=2) from error
    for change in result.changes:
        typer.echo(str(change))
    if not result.changes:
        typer.echo("No changes.")
    problem = result.version_problem()
    if problem:
        typer.echo(f"Refused: {problem}", err=True)
        raise typer.Exit(code=1)
