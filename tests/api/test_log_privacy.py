"""No personal number in a server log: a live server (`onceonly serve`, and uvicorn serving
the app directly) gets requests carrying a real ID number and credit code in the query and in
the path; its output holds neither in clear, the masked forms instead, and no query string."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from directory.log_privacy import mask_key, mask_keys, path_without_query
from tests.live_server import ANSWER_SECONDS, free_port, wait_until_answering

PERSON = "11010519491231002X"
FIRM = "91410102MA2ETXJ88A"
FULL_WIDTH = "１１０１０５１９４９１２３１００２Ｘ"
ROOT = Path(__file__).resolve().parents[2]


SERVERS = {
    "onceonly serve": [sys.executable, "-m", "onceonly_cli.main", "serve", "--port"],
    "uvicorn api.main:app": [sys.executable, "-m", "uvicorn", "api.main:app", "--port"],
}


@pytest.mark.parametrize("server", SERVERS)
def test_a_live_server_logs_no_personal_number(onceonly_home: Path, server: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [*SERVERS[server], str(port)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answering(base, process)
        case = {"service_item": "4101000004", "case_no": "ZZ2026112100001"}
        with httpx.Client(base_url=base, timeout=ANSWER_SECONDS) as client:
            client.get("/v1/prefill", params={**case, "subject": PERSON})
            client.get("/v1/prefill", params={**case, "subject": FIRM, "access_token": "oo_x"})
            client.get(f"/v1/subjects/{PERSON}", params=case, headers={"Authorization": "Bearer x"})
            client.get(f"/v1/subjects/{FIRM}", params=case)
            client.get(f"/v1/subjects/{FULL_WIDTH}", params=case)
            client.get("/console/prefill", params={"subject": PERSON})
    finally:
        process.terminate()
        output = process.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert "GET /v1/prefill HTTP/1.1" in output, output  # logged, without its query
    for secret in (PERSON, FIRM, FULL_WIDTH, PERSON.lower(), "subject=", "oo_x"):
        assert secret not in output, output
    assert f"GET /v1/subjects/{mask_key(PERSON)} HTTP/1.1" in output, output
    assert mask_key(FIRM) in output and mask_key(FULL_WIDTH) in output


def test_masking_keeps_what_is_not_a_key() -> None:
    request_id = "7c0e2f6a9d3b4e58a1c2d3e4f5a6b7c8"
    text = f"read {PERSON} and {FIRM.lower()} in {request_id} at 20261120103000123"
    assert mask_keys(text) == (
        f"read 1101************2X and 9141************8a in {request_id} at 20261120103000123"
    )
    assert path_without_query("/v1/prefill?subject=" + PERSON) == "/v1/prefill"
    encoded = "/v1/subjects/%EF%BC%91" + "0" * 17  # a full-width first digit, percent-encoded
    assert path_without_query(encoded) == "/v1/subjects/１000" + "*" * 12 + "00"
