"""Signed extracts: the canonical form, signing and verifying, the key file, the CLI and the
endpoints."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import stat
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from api.signing import (
    DEFAULT_CENTRE,
    FORMAT,
    ExtractError,
    ExtractSigner,
    SignerSettings,
    SigningKeyError,
    canonical_json,
    verify,
)
from directory.store import open_directory
from onceonly_cli.main import app as cli

PAYLOAD: dict[str, Any] = {
    "case_no": "ZZ2026112100001",
    "service_item": "4101000001",
    "subject": "410102198503071234",
    "facts": {"姓名": "张伟", "住址": "郑州市金水区 花园路8号", "出生年份": 1985, "在册": True},
    "provenance": [
        {
            "resource_code": "301001/000001",
            "department": "ps",
            "certified_at": "2026-11-20T02:00:00+08:00",
            "batch": "b3a1f0",
        }
    ],
    "objections": [],
    "registered_capital": 12.5,
    "note": None,
}


@pytest.fixture
def signer(onceonly_home: Path) -> ExtractSigner:
    return ExtractSigner()


@pytest.fixture
def document(signer: ExtractSigner) -> dict[str, Any]:
    return signer.sign(PAYLOAD)


def other_signer(tmp_path: Path) -> ExtractSigner:
    return ExtractSigner(SignerSettings(tmp_path / "other" / "key.pem", False, "别的中心"))


# ---- canonical form ---------------------------------------------------------------------


def test_canonical_form_is_jcs() -> None:
    value = {"b": [1, True, None, 'a"\\\n\t\u001f/\u007f€'], "a": {"z": 1.5, "é": "张伟"}}
    expected = '{"a":{"z":1.5,"é":"张伟"},"b":[1,true,null,"a\\"\\\\\\n\\t\\u001f/\u007f€"]}'
    assert canonical_json(value) == expected.encode()
    # keys sort by UTF-16 code units: U+1F600 (D83D DE00) comes before U+FB33
    assert canonical_json({"\ufb33": 2, "\U0001f600": 1}) == '{"\U0001f600":1,"\ufb33":2}'.encode()


@pytest.mark.parametrize(
    ("bits", "expected"),  # from RFC 8785, appendix B
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af6", "1e+23"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555555", "333333333.3333333"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_numbers_print_as_ecmascript_does(bits: str, expected: str) -> None:
    assert canonical_json(struct.unpack(">d", bytes.fromhex(bits))[0]) == expected.encode()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"at": dt.date(2026, 11, 20)}, "extract.at is a date"),
        ({"n": 2**53}, "extract.n is 9007199254740992, beyond"),
        ({"x": [math.nan]}, "extract.x[0] is nan"),
        ({1: "a"}, "JSON keys must be strings"),
        ({"s": "\ud800"}, "lone surrogate"),
    ],
)
def test_what_json_cannot_hold_is_refused(value: Any, says: str) -> None:
    with pytest.raises(ExtractError, match=says.replace("[", r"\[")):
        canonical_json(value)


# ---- signing and verifying ----------------------------------------------------------------


def test_sign_then_verify(signer: ExtractSigner, document: dict[str, Any]) -> None:
    assert document["format"] == FORMAT
    extract = document["extract"]
    assert {k: extract[k] for k in PAYLOAD} == PAYLOAD
    assert extract["issuer"] == DEFAULT_CENTRE
    issued_at = dt.datetime.fromisoformat(extract["issued_at"])
    assert issued_at.utcoffset() == dt.timedelta(hours=8)
    assert document["signature"]["alg"] == "Ed25519"
    assert document["signature"]["key_id"] == extract["key_id"] == signer.key_id
    assert len(signer.key_id) == 16

    verdict = signer.verify(document)
    assert verdict.valid, verdict.reason
    assert (verdict.issuer, verdict.key_id, verdict.issued_at) == (
        DEFAULT_CENTRE,
        signer.key_id,
        issued_at,
    )
    assert verify(document, signer.public_key_pem()).valid


def test_layout_of_the_file_does_not_matter(
    signer: ExtractSigner, document: dict[str, Any]
) -> None:
    """Only the parsed extract is signed: indenting or reordering the file keeps it valid."""
    text = json.dumps(document, indent=4, ensure_ascii=True)
    reordered = dict(reversed(json.loads(text)["extract"].items()))
    assert signer.verify({**json.loads(text), "extract": reordered}).valid


def test_sign_refuses_fields_it_adds_and_values_json_cannot_hold(signer: ExtractSigner) -> None:
    with pytest.raises(ExtractError, match="may not set issuer"):
        signer.sign({**PAYLOAD, "issuer": "冒名中心"})
    with pytest.raises(ExtractError, match=r"extract\.provenance\[0\]\.certified_at is a datetime"):
        signer.sign({"provenance": [{"certified_at": dt.datetime(2026, 11, 20)}]})


def test_every_byte_of_the_extract_is_covered(
    signer: ExtractSigner, document: dict[str, Any]
) -> None:
    """Flip one bit of each byte of the signed form: whatever still parses must fail."""
    signed = canonical_json(document["extract"])
    checked = 0
    for position in range(len(signed)):
        changed = bytearray(signed)
        changed[position] ^= 0x01
        try:
            extract = json.loads(changed.decode("utf-8"))
        except ValueError:
            continue
        checked += 1
        verdict = signer.verify({**document, "extract": extract})
        assert not verdict.valid, f"byte {position} changed, still valid"
    assert checked > len(signed) // 2


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(extract: dict[str, Any]) -> None:
        target: Any = extract
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    return lambda extract: extract["facts"].__setitem__(new, extract["facts"].pop(old))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_set(("facts", "姓名"), "张卫"), id="a value"),
        pytest.param(_rename("姓名", "名字"), id="a key"),
        pytest.param(_set(("case_no",), "ZZ2026112100002"), id="the case number"),
        pytest.param(
            _set(("facts", "住址"), "郑州市金水区  花园路8号"), id="whitespace in a value"
        ),
        pytest.param(_set(("facts", "姓名"), "张伟 "), id="trailing whitespace"),
        pytest.param(_set(("facts", "出生年份"), "1985"), id="a number made a string"),
        pytest.param(_set(("registered_capital",), 12.50001), id="a fraction"),
        pytest.param(_set(("provenance", 0, "department"), "mr"), id="the provenance"),
        pytest.param(_set(("issuer",), "开封市政务服务中心"), id="the issuer"),
        pytest.param(_set(("issued_at",), "2026-01-01T00:00:00+08:00"), id="the timestamp"),
        pytest.param(_set(("extra",), "x"), id="a field added"),
        pytest.param(lambda e: e.pop("note"), id="a field removed"),
    ],
)
def test_a_change_breaks_the_signature(
    signer: ExtractSigner, document: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> None:
    tampered = copy.deepcopy(document)
    change(tampered["extract"])
    verdict = signer.verify(tampered)
    assert not verdict.valid
    assert verdict.reason == (
        "the signature does not match the extract: it was changed after it was signed"
    )


def test_a_wrong_key_fails(signer: ExtractSigner, tmp_path: Path) -> None:
    other = other_signer(tmp_path)
    verdict = verify(other.sign(PAYLOAD), signer.public_key_pem())
    assert not verdict.valid
    assert f"signed with key {other.key_id}" in verdict.reason
    assert f"public key given is key {signer.key_id}" in verdict.reason
    # another key that claims this centre's key id is caught by the signature itself
    forged = other.sign(PAYLOAD)
    forged["extract"]["key_id"] = forged["signature"]["key_id"] = signer.key_id
    assert "does not match" in signer.verify(forged).reason


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: ["a list"], "not a list"),
        (lambda d: {**d, "comment": "x"}, "unexpected field(s) comment"),
        (lambda d: {k: v for k, v in d.items() if k != "signature"}, "lacks signature"),
        (lambda d: {**d, "format": "onceonly-extract/2"}, "the format is 'onceonly-extract/2'"),
        (lambda d: {**d, "extract": "张伟"}, "extract must be a JSON object"),
        (lambda d: {**d, "signature": "abc"}, "signature must be a JSON object"),
        (lambda d: {**d, "signature": {**d["signature"], "alg": "RS256"}}, "alg is 'RS256'"),
        (lambda d: {**d, "signature": {**d["signature"], "value": "!!"}}, "not 64 bytes"),
        (lambda d: {**d, "signature": {**d["signature"], "value": "AAAA"}}, "not 64 bytes"),
        (lambda d: {**d, "signature": {**d["signature"], "key_id": "x"}}, "names key 'x'"),
        (lambda d: {**d, "extract": {**d["extract"], "issuer": ""}}, "lacks issuer"),
        (
            lambda d: {**d, "extract": {**d["extract"], "issued_at": "2026-11-21T09:30:00"}},
            "not an ISO-8601 timestamp with a time zone",
        ),
        (
            lambda d: {**d, "extract": {**d["extract"], "facts": 2**60}},
            "not canonical JSON: extract.facts is",
        ),
    ],
)
def test_a_malformed_document_gets_a_clear_reason(
    signer: ExtractSigner, document: dict[str, Any], change: Callable[[Any], Any], says: str
) -> None:
    verdict = signer.verify(change(document))
    assert not verdict.valid
    assert says in verdict.reason


def test_a_bad_public_key_is_a_reason_too(document: dict[str, Any]) -> None:
    assert "not a PEM public key" in verify(document, b"not a key").reason
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = ec_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert "not an Ed25519 key" in verify(document, pem).reason


# ---- the key ------------------------------------------------------------------------------


def test_key_file_is_created_0600_and_reused(onceonly_home: Path) -> None:
    private = onceonly_home / "keys" / "extract_signing.pem"
    first = ExtractSigner()
    assert not private.exists(), "the key is made on first use, not on construction"
    document = first.sign(PAYLOAD)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    public = private.with_name("extract_signing.pub.pem")
    assert public.read_bytes() == first.public_key_pem()
    pem = private.read_bytes()

    again = ExtractSigner()
    assert again.key_id == first.key_id and private.read_bytes() == pem
    assert verify(document, public.read_bytes()).valid
    assert set(private.parent.iterdir()) == {private, public}, "no temporary file is left"


def test_a_configured_key_and_centre(onceonly_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configured = onceonly_home / "elsewhere.pem"
    monkeypatch.setenv("ONCEONLY_SIGNING_KEY", str(configured))
    monkeypatch.setenv("ONCEONLY_CENTRE_NAME", "开封市政务服务中心")
    with pytest.raises(SigningKeyError, match="cannot read the extract signing key"):
        ExtractSigner().sign(PAYLOAD)

    configured.parent.mkdir(parents=True)
    made = other_signer(onceonly_home)
    made.sign(PAYLOAD)
    configured.write_bytes(made.settings.key_path.read_bytes())
    document = ExtractSigner().sign(PAYLOAD)
    assert document["extract"]["issuer"] == "开封市政务服务中心"
    assert document["extract"]["key_id"] == made.key_id
    assert not (onceonly_home / "keys").exists()

    ec_key = ec.generate_private_key(ec.SECP256R1())
    configured.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(SigningKeyError, match="not an Ed25519 key"):
        ExtractSigner().sign(PAYLOAD)


# ---- the CLI ------------------------------------------------------------------------------

runner = CliRunner()


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_cli_verifies_a_file_and_fails_a_tampered_one(
    signer: ExtractSigner, document: dict[str, Any], tmp_path: Path
) -> None:
    key = tmp_path / "centre.pub.pem"
    key.write_bytes(signer.public_key_pem())
    good = write(tmp_path / "extract.json", document)
    result = runner.invoke(cli, ["extract", "verify", str(good), "--public-key", str(key)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: signed by 郑州市政务服务中心")
    assert f"issuer: {DEFAULT_CENTRE}" in result.output

    document["extract"]["facts"]["姓名"] = "张卫"
    bad = write(tmp_path / "tampered.json", document)
    result = runner.invoke(cli, ["extract", "verify", str(bad), "--public-key", str(key)])
    assert result.exit_code == 1
    assert "invalid: the signature does not match the extract" in result.output
    assert f"claimed issuer: {DEFAULT_CENTRE}" in result.output


def test_cli_defaults_to_this_centres_key(onceonly_home: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "extract.json", other_signer(tmp_path).sign(PAYLOAD))
    result = runner.invoke(cli, ["extract", "verify", str(file)])
    assert result.exit_code == 2
    assert "no extract signing key" in result.output and "--public-key" in result.output
    assert not (onceonly_home / "keys").exists(), "verifying never creates a key"

    own = write(tmp_path / "own.json", ExtractSigner().sign(PAYLOAD))
    assert runner.invoke(cli, ["extract", "verify", str(own)]).exit_code == 0
    result = runner.invoke(cli, ["extract", "verify", str(file)])
    assert result.exit_code == 1 and "public key given is key" in result.output


@pytest.mark.parametrize(
    ("text", "says"),
    [("{not json", "is not a JSON document"), ('{"a": 1, "a": 2}', "'a' appears twice")],
)
def test_cli_refuses_what_is_not_a_document(
    signer: ExtractSigner, tmp_path: Path, text: str, says: str
) -> None:
    key = tmp_path / "centre.pub.pem"
    key.write_bytes(signer.public_key_pem())
    file = tmp_path / "extract.json"
    file.write_text(text)
    result = runner.invoke(cli, ["extract", "verify", str(file), "--public-key", str(key)])
    assert result.exit_code == 1
    assert says in result.output


# ---- the endpoints ------------------------------------------------------------------------


@pytest.fixture
def client(onceonly_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app()) as opened:
        yield opened


@pytest.fixture
def clerk(onceonly_home: Path) -> Iterator[dict[str, str]]:
    directory = open_directory()
    directory.identity.create_user("clerk1", "clerk", "mr")
    yield {"Authorization": f"Bearer {directory.identity.issue_token('clerk1').token}"}
    directory.close()


def test_verify_endpoint(client: TestClient, clerk: dict[str, str]) -> None:
    document = ExtractSigner().sign(PAYLOAD)
    answer = client.post("/v1/extracts/verify", json=document, headers=clerk)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["valid"] is True and body["issuer"] == DEFAULT_CENTRE
    assert body["key_id"] == document["signature"]["key_id"]
    assert dt.datetime.fromisoformat(body["issued_at"]).utcoffset() == dt.timedelta(hours=8)

    document["extract"]["case_no"] = "ZZ2026112100002"
    tampered = client.post("/v1/extracts/verify", json=document, headers=clerk).json()
    assert tampered["valid"] is False and "changed after it was signed" in tampered["reason"]
    assert client.post("/v1/extracts/verify", json={}, headers=clerk).json()["valid"] is False

    not_object = client.post("/v1/extracts/verify", json=[1], headers=clerk)
    assert not_object.status_code == 422 and not_object.json()["code"] == "invalid_request"
    anonymous = client.post("/v1/extracts/verify", json=document)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "token_missing"


def test_public_key_endpoint_checks_what_the_centre_signs(
    client: TestClient, clerk: dict[str, str]
) -> None:
    assert client.get("/v1/extracts/public-key").json()["code"] == "token_missing"
    answer = client.get("/v1/extracts/public-key", headers=clerk)
    assert answer.status_code == 200, answer.text
    key = answer.json()
    signer = ExtractSigner()
    assert key == {
        "alg": "Ed25519",
        "key_id": signer.key_id,
        "issuer": DEFAULT_CENTRE,
        "public_key_pem": signer.public_key_pem().decode(),
    }
    assert verify(signer.sign(PAYLOAD), key["public_key_pem"].encode()).valid


def test_an_unloadable_key_is_503(
    clerk: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The app takes its signer's key setting when it starts.
    monkeypatch.setenv("ONCEONLY_SIGNING_KEY", str(tmp_path / "missing.pem"))
    with TestClient(create_app()) as client:
        answer = client.get("/v1/extracts/public-key", headers=clerk)
    assert answer.status_code == 503
    body = answer.json()
    assert body["code"] == "signing_key_unavailable"
    assert "missing.pem" in body["message"]
