"""The seal printed on an extract as a QR code: the address of the public verification page.

A seal names an issued extract without a word of its content: the extract's id, the SHA-256
digest of its signed bytes (`canonical_json(extract)`) and a token, the centre's Ed25519
signature over both, behind a context line of its own (so no seal is ever a signature over
an extract or an audit head, which the same key signs)::

    /verify/<extract_id>?d=<digest>&t=<token>       digest, token: base64url, no padding

Stateless on purpose. The signature alone proves that this centre issued an extract with
this id and these exact bytes, so the page needs no table of issued extracts: every API host
that holds the centre's key checks a seal, with nothing to replicate or back up, and a URL
that was never issued, or whose digest was computed from altered bytes, fails the same check.
What a table would add, revoking an extract or answering "unknown" apart from "altered", the
exchange does not offer today (an extract is a signed statement of what the pool held then,
and is never withdrawn); a revocation list would be the first reason to keep one.

The digest is no personal data: the bytes it hashes carry a random 128-bit extract id, so it
cannot be matched against guessed ID numbers. No web imports: the API, the command line and
the tests share this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.canonical_json import canonical_json
from api.signing import ExtractSigner

CONTEXT: Final = b"onceonly-extract-seal/1\n"
VERIFY_PATH: Final = "/verify"
EXTRACT_ID = re.compile(r"[0-9a-f]{32}")
_DIGEST_BYTES = 32
_SIGNATURE_BYTES = 64


class SealError(ValueError):
    """An extract that cannot be sealed: it has no extract id (signed before ids existed)."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str, size: int) -> bytes | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text or ""):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size and _b64(raw) == text else None


def digest_of(extract: Mapping[str, Any]) -> str:
    """The SHA-256 of the extract's signed bytes, base64url: one altered byte changes it."""
    return _b64(hashlib.sha256(canonical_json(extract)).digest())


def message(extract_id: str, digest: str) -> bytes:
    return CONTEXT + extract_id.encode("ascii") + b"\n" + digest.encode("ascii")


@dataclass(frozen=True)
class Seal:
    extract_id: str
    digest: str
    token: str

    @property
    def path(self) -> str:
        """The verification page's path and query: what the QR code carries after the host."""
        return f"{VERIFY_PATH}/{self.extract_id}?{urlencode({'d': self.digest, 't': self.token})}"

    def url(self, base: str) -> str:
        return base.rstrip("/") + self.path


def seal(signer: ExtractSigner, extract: Mapping[str, Any]) -> Seal:
    """The seal of a signed extract (the `extract` object of a document as issued)."""
    extract_id = extract.get("extract_id")
    if not isinstance(extract_id, str) or not EXTRACT_ID.fullmatch(extract_id):
        raise SealError(
            "the extract has no extract_id, so it cannot carry a verification code: issue it again"
        )
    digest = digest_of(extract)
    return Seal(extract_id, digest, _b64(signer.sign_bytes(message(extract_id, digest))))


@dataclass(frozen=True)
class SealVerdict:
    valid: bool
    code: str  # valid | malformed | not_issued
    reason: str


def check(public_key: Ed25519PublicKey, extract_id: str, digest: str, token: str) -> SealVerdict:
    """Whether this centre's key sealed an extract with `extract_id` and `digest`."""
    signature = _unb64(token, _SIGNATURE_BYTES)
    if (
        not EXTRACT_ID.fullmatch(extract_id or "")
        or _unb64(digest, _DIGEST_BYTES) is None
        or signature is None
    ):
        return SealVerdict(
            False, "malformed", "the verification code is incomplete or damaged: scan it again"
        )
    try:
        public_key.verify(signature, message(extract_id, digest))
    except InvalidSignature:
        return SealVerdict(
            False,
            "not_issued",
            "this centre issued no extract with this id and this content: it was altered, "
            "or it is not this centre's",
        )
    return SealVerdict(True, "valid", "issued by this centre and unaltered since")
