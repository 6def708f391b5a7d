"""`onceonly prefill`: a clerk's bulk prefill and notices of values changed since prefill.

Unlike the steward's and auditor's commands, which open the directory and act as a named
user, these call the exchange API with the clerk's own token (`ONCEONLY_TOKEN`, or
`--token`), as a back office's client does: subject data is read only through the API's
screening, access rules and audit log, never around them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

import settings
from directory.log_privacy import mask_keys

app = typer.Typer(
    help="Prefill for clerks, through the exchange API: a list of applicants at once, and "
    "values corrected since they were prefilled.",
    no_args_is_help=True,
)
Api = Annotated[
    str | None, typer.Option("--api", help="The exchange API's address (default ONCEONLY_API_URL).")
]
Token = Annotated[
    str | None,
    typer.Option(help="Your clerk token (default ONCEONLY_TOKEN, which keeps it out of history)."),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLL_SECONDS = 0.5


def _client(api: str | None, token: str | None) -> httpx.Client:
    config = settings.current()
    secret = token or config.token
    if not secret:
        _fail(
            f"give your clerk token: set {settings.TOKEN_ENV} (or --token); an admin issues "
            "one with `onceonly token create USER --role clerk --department DEPT`"
        )
    return httpx.Client(
        base_url=(api or config.api_url).rstrip("/"),
        headers={"Authorization": f"Bearer {secret}"},
        timeout=120,
    )


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _answer(response: httpx.Response) -> Any:
    """The answer's JSON, or the API's own error message and exit 1."""
    if response.status_code >= 400:
        try:
            body = response.json()
            _fail(f"{body.get('code', response.status_code)}: {body.get('message', '')}")
        except ValueError:
            _fail(f"the API answered {response.status_code}")
    return response.json()


@app.command("bulk")
def bulk(
    file: Annotated[
        Path,
        typer.Argument(
            help="The list: CSV or Excel, a header naming 证件号码 (or 统一社会信用代码) and "
            "办件编号, one applicant a row.",
            exists=True,
            dir_okay=False,
        ),
    ],
    service_item: Annotated[str, typer.Option(help="The service item (事项编码) of every row.")],
    out: Annotated[Path, typer.Option(help="Where to write the workbook (.xlsx).")],
    api: Api = None,
    token: Token = None,
) -> None:
    """Prefill every applicant of FILE and write one workbook: each row's values with their
    source, batch and certified time, or why it was refused (each row is audited)."""
    with _client(api, token) as client:
        try:
            job = _answer(
                client.post(
                    "/v1/prefill/bulk",
                    params={"service_item": service_item},
                    content=file.read_bytes(),
                    headers={"Content-Type": XLSX if file.suffix == ".xlsx" else "text/csv"},
                )
            )
            done = 0
            with typer.progressbar(length=job["rows_total"], label="prefilling") as bar:
                while True:
                    job = _answer(client.get(job["progress"]))
                    bar.update(job["rows_done"] - done)
                    done = job["rows_done"]
                    if job["status"] != "running":
                        break
                    time.sleep(POLL_SECONDS)
            if job["status"] != "done":
                _fail(f"the job failed: {job['error']}")
            with client.stream("GET", job["workbook"]) as download:
                if download.status_code >= 400:
                    download.read()
                    _answer(download)
                with out.open("wb") as sink:
                    for chunk in download.iter_bytes():
                        sink.write(chunk)
        except httpx.HTTPError as error:
            _fail(f"the exchange API at {client.base_url} did not answer: {error}")
    typer.echo(
        f"{job['rows_total']} applicants: {job['served']} served, {job['partial']} partly "
        f"served, {job['refused']} refused; workbook {out}"
    )


@app.command("changes")
def changes(api: Api = None, token: Token = None) -> None:
    """Your department's open cases whose prefilled values a source has since corrected:
    which value, the old and the new, and the batch that corrected it."""
    with _client(api, token) as client:
        try:
            answer = _answer(client.get("/v1/prefill/changes"))
        except httpx.HTTPError as error:
            _fail(f"the exchange API at {client.base_url} did not answer: {error}")
    notices = answer["notices"]
    if not notices:
        typer.echo(f"no value of {answer['department']}'s open cases has changed since prefill")
        return
    for notice in notices:
        typer.echo(
            f"case {notice['case_no']} (service item {notice['service_item']}, applicant "
            f"{mask_keys(notice['subject'])}, prefilled by {notice['prefilled_by']}):"
        )
        for change in notice["changes"]:
            typer.echo(
                f"  {change['field']}: {change['old_value']} -> {change['new_value']} "
                f"(batch {change['new_batch'][:12]}, certified {change['new_certified_at']}; "
                f"was batch {change['old_batch'][:12]})"
            )
