"""The public verification page a printed extract's QR code opens: the one deliberately public
route that answers about data (`/health`, `/ready` and `/metrics` carry none).

Anyone holding the paper (the applicant, another office, a bank) scans the code and learns
whether this centre issued an extract with that id and content, and who the issuer is;
nothing else, since the address carries no personal data and the page shows none (see
`api.extract_seal` for why no table of issued extracts is needed). No sign-in, so the page
is rate-limited per client address, and each check is logged with the extract id and the
verdict only: no address, no token, no digest.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import extract_seal
from api.deps import get_signer, verify_buckets_of
from api.errors import ErrorContractRoute
from api.models_directory import ErrorBody
from api.signing import ExtractSigner

router = APIRouter(tags=["public"], route_class=ErrorContractRoute)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")
# Its own logger, which `onceonly serve` writes at INFO beside uvicorn's (VERIFY_LOGGER).
VERIFY_LOGGER = "onceonly.verify"
log = logging.getLogger(VERIFY_LOGGER)
NOT_VALID = {
    "malformed": "二维码信息不完整或已损坏，请重新扫描。",
    "not_issued": "本中心未签发过这一编号和内容的证明：证明已被改动，或并非本中心签发。",
}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def within_rate(request: Request) -> None:
    """Refuse (429) a client address past the page's rate (ONCEONLY_VERIFY_RATE_LIMIT)."""
    address = request.client.host if request.client else "-"
    buckets = verify_buckets_of(request.app)
    if not buckets.allow(address):
        log.warning("extract verification refused: over the rate limit of its address")
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail={
                "code": "rate_limited",
                "message": f"over {buckets.rate:g} verifications/s from this address; "
                "wait a moment and scan again",
            },
        )


@router.get(
    f"{extract_seal.VERIFY_PATH}/{{extract_id}}",
    response_class=HTMLResponse,
    dependencies=[Depends(within_rate)],
    responses={
        200: {
            "content": {"text/html": {}},
            "description": "A page saying valid or not valid, and the issuer; an invalid "
            "code is answered 200 too, with the page saying why",
        },
        429: {"model": ErrorBody, "description": "Too many checks from this address"},
        503: {"model": ErrorBody, "description": "The centre's signing key cannot be loaded"},
    },
    summary="Public, no sign-in: is the extract behind this QR code valid? (nothing personal)",
    description="The one deliberately public data route: the address a printed extract's QR "
    "code carries. It shows only valid or not valid, the issuer, the extract id and the key "
    "id; rate-limited per client address (ONCEONLY_VERIFY_RATE_LIMIT).",
)
def verify_page(
    request: Request,
    extract_id: Annotated[
        str, PathParam(max_length=64, examples=["9b2e4f0c6d8a41b7a3c5e1f2d4b6a8c0"])
    ],
    signer: Annotated[ExtractSigner, Depends(get_signer)],
    d: Annotated[str, Query(max_length=64, description="The extract's digest (base64url)")] = "",
    t: Annotated[str, Query(max_length=128, description="The centre's seal (base64url)")] = "",
) -> HTMLResponse:
    verdict = extract_seal.check(signer.public_key(), extract_id, d, t)
    shown_id = extract_id if extract_seal.EXTRACT_ID.fullmatch(extract_id) else "—"
    log.info("extract verification: %s %s", shown_id, verdict.code)
    response = TEMPLATES.TemplateResponse(
        request,
        "verify.html",
        {
            "verdict": verdict,
            "issuer": signer.centre,
            "extract_id": shown_id,
            "key_id": signer.key_id,
            "digest": d,
            "NOT_VALID": NOT_VALID,
        },
    )
    response.headers.update(HEADERS)
    return response
