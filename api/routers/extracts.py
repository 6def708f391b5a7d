"""Signed extracts over HTTP: check one, and publish the key that checks them.

Issuing is the clerk routes' business: they take `get_signer` and call `sign`. Verifying here
is the same offline check as `onceonly extract verify`; the endpoint exists so a back office
can check an extract an applicant hands in without installing anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from api.auth import Caller, current_caller
from api.deps import get_signer
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_directory import ErrorBody
from api.signing import ALGORITHM, DEFAULT_CENTRE, FORMAT, ExtractSigner

Signer = Annotated[ExtractSigner, Depends(get_signer)]
Reader = Annotated[Caller, Depends(current_caller)]

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
