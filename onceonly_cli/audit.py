"""`onceonly audit`: list the audit log, verify its hash chain, prune it for retention.

There is no command that edits an entry. Like the other commands it works on the directory
database directly; its own reads of the log, and every prune, are logged under the directory
user it acts as (`--as`, or ONCEONLY_CLI_USER): an auditor or an admin reads, an admin prunes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from directory.actors import Role
from directory.audit import AuditRecord, actor_event, retention_days
from directory.audit_witness import heads_path
from directory.workdays import CHINA, local_date, local_today
from onceonly_cli.catalogue import guarded
from onceonly_cli.identity import AsUser, acting_user

app = typer.Typer(
    help="The audit log: list entries, verify the hash chain, prune old entries.",
    no_args_is_help=True,
)
Day = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="A day, YYYY-MM-DD.")]


class Outcome(StrEnum):
    served = "served"
    refused = "refused"
    partial = "partial"


READERS = (Role.auditor, Role.admin)


def _start_of(day: dt.datetime) -> dt.datetime:
    """Midnight in China of the day typed (days mean the centre's days, not UTC ones)."""
    return day.replace(tzinfo=CHINA)


@app.command("list")
def list_entries(
    user: Annotated[str | None, typer.Option(help="Only this user's entries.")] = None,
    department: Annotated[str | None, typer.Option(help="Only this department's.")] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="Only entries about this ID number or credit code (hashed here)."),
    ] = None,
    subject_hash: Annotated[str | None, typer.Option(help="Only this subject hash.")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. prefill, subject.lookup.")] = None,
    outcome: Annotated[Outcome | None, typer.Option(help="Only this outcome.")] = None,
    since: Day = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Up to and including this day, YYYY-MM-DD."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many (newest first).")] = 0,
    as_user: AsUser = None,
) -> None:
    """Entries matching every filter given, newest first."""
    with guarded() as directory:
        reader = acting_user(directory, as_user, READERS, "read the audit log")
        if subject is not None:
            subject_hash = directory.audit.subject_hash(subject)
        found = directory.audit.entries(
            user=user,
            department=department,
            subject_hash=subject_hash,
            action=action,
            outcome=outcome.value if outcome else None,
            since=_start_of(since) if since else None,
            until=_start_of(until) + dt.timedelta(days=1) if until else None,
            limit=limit,
            offset=offset,
        )
        directory.audit.append(
            actor_event(
                reader,
                "audit.read",
                "served",
                subject_hash=subject_hash,
                reason=f"onceonly audit list: {len(found)} entries",
            )
        )
    for record in found:
        typer.echo(_line(record))
    typer.echo(f"{len(found)} entries (newest first, from offset {offset})")
    if not found and offset == 0:
        typer.echo(
            "Every read and refusal through the API is logged here; `onceonly demo` prints "
            "tokens and requests to try, and `onceonly audit verify` checks the chain."
        )


@app.command()
def verify(as_user: AsUser = None) -> None:
    """Check the hash chain against the signed heads; exit status 1 if any entry was edited,
    deleted or reordered, the end of the log cut off, or the chain rewritten."""
    with guarded() as directory:
        reader = acting_user(directory, as_user, READERS, "verify the audit log")
        result = directory.audit.verify()
        verdict = "ok" if result.ok else f"broken at #{result.first_bad_sequence}"
        directory.audit.append(
            actor_event(reader, "audit.read", "served", reason=f"verify: {verdict}")
        )
    if not result.ok:
        typer.secho(
            f"BROKEN at entry #{result.first_bad_sequence}: {result.problem} "
            f"({result.checked} entries before it hold up)",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"ok: {result.checked} entries hold up; head #{result.head_sequence} {result.head_hash}, "
        f"signed up to #{result.signed_sequence} in {heads_path()}"
    )
    if result.checked == 0:
        typer.echo(
            "The log is empty. Next: every read and refusal is entered here once the API "
            "serves (`onceonly serve`); run `onceonly audit verify` again after."
        )
    else:
        typer.echo(
            "Next: run `onceonly audit verify` again at any time; every entry is checked "
            "against the signed heads, so a cut or rewritten log shows."
        )


@app.command()
def prune(
    before: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Delete entries before this day (YYYY-MM-DD); default: the retention limit.",
        ),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Delete the oldest entries for retention (ONCEONLY_AUDIT_RETENTION_DAYS, default 1825);
    the chain stays verifiable from an anchor, and the prune itself is logged."""
    with guarded() as directory:
        admin = acting_user(directory, as_user, (Role.admin,), "prune the audit log")
        cutoff = (
            _start_of(before)
            if before
            else dt.datetime.combine(
                local_today() - dt.timedelta(days=retention_days()), dt.time(), CHINA
            )
        )
        pruned = directory.audit.prune(cutoff, admin)
    typer.echo(
        f"pruned {pruned} entries from before {local_date(cutoff)}; the chain still verifies"
    )


def _line(record: AuditRecord) -> str:
    when = record.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    case = "/".join(p for p in (record.service_item, record.case_no) if p) or "-"
    subject = f"subject {record.subject_hash[:12]}" if record.subject_hash else "no subject"
    data = ", ".join(record.items) or "no items"
    resources = ", ".join(record.resources)
    line = (
        f"#{record.sequence}  {when}  {record.user} ({record.role}, {record.department})  "
        f"{record.action}  {record.outcome}  {case}  {subject}  "
        f"{resources + ': ' if resources else ''}{data}"
    )
    return f"{line}  [{record.reason}]" if record.reason else line
