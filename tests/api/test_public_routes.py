"""Every route of the API asks for a token, except an explicit allow-list of public ones.

The allow-list is the whole of what answers without signing in: `/health` and `/ready` (no
data, for load balancers) and `/verify/{extract_id}`, the public page a printed extract's QR
code opens, which says valid or not and names the issuer, nothing personal. A new route
that answers without a token fails here until it is added to the list on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app

PUBLIC = {
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/verify/{extract_id}"),
}


def _filled(path: str, operation: dict[str, Any]) -> str:
    """The path with each parameter given a value of its type (1 for a number, else x)."""
    kinds = {
        p["name"]: p.get("schema", {}).get("type", "string")
        for p in operation.get("parameters", [])
        if p.get("in") == "path"
    }
    return re.sub(r"\{(\w+)\}", lambda m: "1" if kinds.get(m[1]) == "integer" else "x" * 32, path)


def test_every_route_but_the_public_ones_refuses_without_a_token(onceonly_home: Path) -> None:
    with TestClient(create_app()) as client:
        spec = client.get("/openapi.json").json()
        operations = {
            (method, path): operation
            for path, methods in spec["paths"].items()
            for method, operation in methods.items()
        }
        assert set(operations) >= PUBLIC, "a public route is missing from the OpenAPI"
        assert len(operations) > 60
        for (method, path), operation in sorted(operations.items()):
            answer = client.request(method.upper(), _filled(path, operation), json={})
            if (method, path) in PUBLIC:
                assert answer.status_code != 401, (method, path, answer.text)
            else:
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.json()["code"] == "token_missing", (method, path)


def test_the_public_verify_page_is_documented_as_public(onceonly_home: Path) -> None:
    spec = TestClient(create_app()).get("/openapi.json").json()
    page = spec["paths"]["/verify/{extract_id}"]["get"]
    assert "public" in page["tags"]
    assert "deliberately public" in page["description"]
    assert "text/html" in page["responses"]["200"]["content"]
    assert "429" in page["responses"]
