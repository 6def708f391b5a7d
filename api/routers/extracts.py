"""Signed extracts over HTTP: issue one (as JSON or as a printable PDF), check one, and publish
the key that checks them.

Issuing is a clerk's read like a prefill or a lookup (admitted, answered from one snapshot,
logged), signed with the centre's key; it stays a plain `def` route, since the key may be read
from disk. The PDF is the same signed extract, issued and logged the same way, drawn for
paper with a QR code that opens the public verification page (`api.routers.verify_page`).
Verifying is the same offline check as `onceonly extract verify`; the endpoint
exists so a back office can check an extract an applicant hands in without installing
anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

import settings
from api import extract_pdf, extract_seal
from api.auth import Reader
from api.deps import get_signer
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.exchange.answers import lookup, prefill
from api.models_directory import ErrorBody
from api.models_exchange import ExtractRequest, Refusal
from api.reads.request import Exchange, exchange, forbid_if_nothing
from api.reads.screening import admit_now
from api.signing import ALGORITHM, DEFAULT_CENTRE, FORMAT, ExtractSigner

Signer = Annotated[ExtractSigner, Depends(get_signer)]

router = APIRouter(prefix="/v1/extracts", tags=["extracts"], route_class=ErrorContractRoute)
_KEY_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The centre's signing key cannot be loaded"}
}

_KEY_ID = "3f1c0a9d2b7e4c55"
_SIGNED = {
    "format": FORMAT,
    "extract": {
        "case_no": "ZZ2026112100001",
        "facts": {"name": "张伟", "address": "郑州市金水区花园路8号"},
        "issued_at": "2026-11-21T09:30:00+08:00",
        "issuer": DEFAULT_CENTRE,
        "key_id": _KEY_ID,
        "provenance": {
            "resource_code": "301001/000001",
            "department": "ps",
            "certified_at": "2026-11-20T02:00:00+08:00",
        },
        "subject": "410102198503071234",
    },
    "signature": {
        "alg": ALGORITHM,
        "key_id": _KEY_ID,
        "value": "q0e7hYhM8mN2oXW4cQ2kqK5vF1bq7u1bq4m2Yl7pZJ0vQ4nS9mE8sXhV3rJt1cN6aB0dF"
        "zLkP2yW5uT7iG9hAg==",
    },
}


class ExtractVerification(BaseModel):
    """The verdict. key_id, issued_at and issuer are what the extract claims: trust them only
    when valid is true."""

    valid: bool
    reason: str = Field(
        examples=["the signature does not match the extract: it was changed after it was signed"]
    )
    key_id: str | None = Field(examples=[_KEY_ID])
    issued_at: dt.datetime | None = Field(examples=["2026-11-21T09:30:00+08:00"])
    issuer: str | None = Field(examples=[DEFAULT_CENTRE])


class ExtractPublicKey(BaseModel):
    """What a verifier needs: the key (PEM, SubjectPublicKeyInfo) and the id extracts name."""

    alg: Literal["Ed25519"]
    key_id: str = Field(examples=[_KEY_ID])
    issuer: str = Field(examples=[DEFAULT_CENTRE])
    public_key_pem: str = Field(
        examples=["-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n"]
    )


@router.post(
    "",
    responses=ERROR_RESPONSES,
    summary="Issue a prefill or lookup answer as a signed extract (replaces a paper certificate)",
    response_description="The signed document: keep it as it is; any change breaks the signature",
)
def issue_extract(
    ex: Annotated[Exchange, Depends(exchange)],
    signer: Signer,
    body: Annotated[ExtractRequest, Body()],
) -> dict[str, Any]:
    return _issue(ex, signer, body)


@router.post(
    "/pdf",
    response_class=Response,
    responses={
        200: {
            "content": {extract_pdf.MEDIA_TYPE: {}},
            "description": "The signed extract as a PDF with a QR code opening the public "
            "verification page; issued, refused and logged exactly as the JSON extract",
        },
        **ERROR_RESPONSES,
    },
    summary="Issue a signed extract as a printable PDF (QR code to the public verify page)",
)
def issue_extract_pdf(
    request: Request,
    ex: Annotated[Exchange, Depends(exchange)],
    signer: Signer,
    body: Annotated[ExtractRequest, Body()],
) -> Response:
    document = _issue(ex, signer, body)
    seal = extract_seal.seal(signer, document["extract"])
    base = settings.current().public_url or str(request.base_url)
    pdf = extract_pdf.render(document, seal, seal.url(base))
    name = extract_pdf.filename(document["extract"])
    return Response(
        pdf,
        media_type=extract_pdf.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _issue(ex: Exchange, signer: ExtractSigner, body: ExtractRequest) -> dict[str, Any]:
    """Admit, answer, log and sign: one extract, whatever it is rendered as."""
    admitted = admit_now(
        ex,
        "extract.issue",
        service_item=body.service_item,
        subject=body.subject,
        case_no=body.case_no,
    )
    item, key, kind = admitted.item, admitted.key, admitted.kind
    reader = ex.reader(item, ex.subject_hash(key), None)
    payload: dict[str, Any] = {
        "kind": body.kind,
        "service_item": body.service_item,
        "service_item_name": item.item.name,
        "subject": key,
        "subject_kind": kind,
        "case_no": body.case_no,
        "snapshot_version": ex.snapshot.version,
        "issued_to": {"user": ex.caller.name, "department": ex.caller.department},
    }
    if body.kind == "prefill":
        answer = prefill(reader, key)
        facts = [f for f in answer.fields if f.provenance is not None]
        payload["fields"] = [f.model_dump(mode="json") for f in facts]
        payload["materials"] = [m.model_dump(mode="json") for m in answer.materials]
        resources, items, refused = (
            sorted({f.resource for f in facts}),
            sorted({f.item for f in facts}),
            answer.refused,
        )
    else:
        found, refused = lookup(reader, key)
        payload["resources"] = [r.model_dump(mode="json") for r in found]
        resources = [r.resource for r in found if r.records]
        items = sorted({i for r in found for rec in r.records for i in rec.items})
    ex.audit.append(
        ex.event(
            "extract.issue",
            service_item=body.service_item,
            case_no=body.case_no,
            subject=key,
            resources=resources,
            items=items,
            refused=refused,
        )
    )
    if not resources:
        forbid_if_nothing(
            [],
            refused
            or [
                Refusal(
                    resource="-",
                    items=[],
                    code="not_in_pool",
                    reason="no certified fact to certify",
                )
            ],
        )
    return signer.sign(payload)


@router.post(
    "/verify",
    response_model=ExtractVerification,
    responses={401: ERROR_RESPONSES[401], 422: ERROR_RESPONSES[422], **_KEY_UNAVAILABLE},
    summary="Check a signed extract against this centre's key: valid, or what is wrong",
)
def verify_extract(
    document: Annotated[
        dict[str, Any],
        Body(
            description="The extract document exactly as issued. An invalid one is still "
            "answered 200, with valid false and the reason.",
            openapi_examples={
                "signed": {
                    "summary": "A document as issued (by another centre's key, so the "
                    "answer names the key mismatch)",
                    "value": _SIGNED,
                },
                "tampered": {
                    "summary": "The same, with the facts changed",
                    "value": {
                        **_SIGNED,
                        "extract": {**_SIGNED["extract"], "facts": {"name": "张卫"}},
                    },
                },
            },
        ),
    ],
    _caller: Reader,
    signer: Signer,
) -> ExtractVerification:
    verdict = signer.verify(document)
    return ExtractVerification(
        valid=verdict.valid,
        reason=verdict.reason,
        key_id=verdict.key_id,
        issued_at=verdict.issued_at,
        issuer=verdict.issuer,
    )


@router.get(
    "/public-key",
    response_model=ExtractPublicKey,
    responses={401: ERROR_RESPONSES[401], **_KEY_UNAVAILABLE},
    summary="This centre's extract-signing public key, to hand to whoever checks its extracts",
)
def public_key(_caller: Reader, signer: Signer) -> ExtractPublicKey:
    return ExtractPublicKey(
        alg=ALGORITHM,
        key_id=signer.key_id,
        issuer=signer.centre,
        public_key_pem=signer.public_key_pem().decode("ascii"),
    )
