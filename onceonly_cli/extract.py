"""`onceonly extract`: check a signed extract offline, with nothing but the centre's public key,
and print one as a PDF with the QR code of the public verification page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Signed extracts: verify one offline, or render one as a PDF.", no_args_is_help=True
)


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse a key given twice: parsers disagree on which one wins, so a reader could be
    shown one value while the signature covers the other."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


@app.command("verify")
def verify(
    file: Annotated[
        Path, typer.Argument(help="The extract document (JSON).", exists=True, dir_okay=False)
    ],
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="The issuing centre's public key (its extract_signing.pub.pem); "
            "by default this centre's own key.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Say whether FILE is a valid extract and who issued it; exit 1 if it is not valid."""
    from api.signing import SigningKeyError, installed_public_key_pem
    from api.signing import verify as verify_document

    try:
        key = public_key.read_bytes() if public_key else installed_public_key_pem()
    except SigningKeyError as error:
        typer.echo(
            f"error: {error}; give the issuing centre's key with --public-key "
            "(its extract_signing.pub.pem, or GET /v1/extracts/public-key)",
            err=True,
        )
        raise typer.Exit(code=2) from error
    try:
        document = json.loads(file.read_bytes(), object_pairs_hook=_object_without_duplicates)
    except ValueError as error:
        typer.echo(f"invalid: {file} is not a JSON document: {error}")
        raise typer.Exit(code=1) from error
    verdict = verify_document(document, key)
    if verdict.valid:
        typer.echo(f"valid: {verdict.reason}")
        typer.echo(f"issuer: {verdict.issuer}")
        return
    typer.echo(f"invalid: {verdict.reason}")
    typer.echo(f"claimed issuer: {verdict.issuer or 'none'}")
    raise typer.Exit(code=1)


def _read(file: Path) -> Any:
    try:
        return json.loads(file.read_bytes(), object_pairs_hook=_object_without_duplicates)
    except ValueError as error:
        typer.echo(f"invalid: {file} is not a JSON document: {error}", err=True)
        raise typer.Exit(code=1) from error


@app.command("pdf")
def pdf(
    file: Annotated[
        Path,
        typer.Argument(
            help="A signed extract (JSON) this centre issued.", exists=True, dir_okay=False
        ),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the PDF (default: FILE with .pdf).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="The exchange's public address for the QR code (default ONCEONLY_PUBLIC_URL).",
        ),
    ] = None,
) -> None:
    """Render FILE as a printable PDF whose QR code opens the public verification page.

    Runs where the centre's signing key is (ONCEONLY_KEYS): the QR code carries a seal only
    the centre can make, and only an extract that checks against the centre's key is drawn."""
    import settings
    from api import extract_pdf, extract_seal
    from api.signing import ExtractSigner, SigningKeyError

    base = base_url or settings.current().public_url
    if not base:
        typer.echo(
            "error: no address for the QR code: give --base-url https://... or set "
            "ONCEONLY_PUBLIC_URL to the exchange's public address",
            err=True,
        )
        raise typer.Exit(code=2)
    signer = ExtractSigner()
    document = _read(file)
    try:
        verdict = signer.verify(document)
    except SigningKeyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    if not verdict.valid:
        typer.echo(f"invalid: {verdict.reason}; only an extract as issued is printed", err=True)
        raise typer.Exit(code=1)
    try:
        seal = extract_seal.seal(signer, document["extract"])
    except extract_seal.SealError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    target = out or file.with_suffix(".pdf")
    target.write_bytes(extract_pdf.render(document, seal, seal.url(base)))
    typer.echo(f"wrote {target}")
    typer.echo(f"verify at: {seal.url(base)}")
