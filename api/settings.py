"""API settings from environment variables, defaulting to the embedded layout under var/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypedDict


def home() -> Path:
    return Path(os.environ.get("ONCEONLY_HOME", "var"))


def serving_dir() -> Path:
    """ONCEONLY_SERVING (default `$ONCEONLY_HOME/serving`): snapshots the pipelines publish."""
    return Path(os.environ.get("ONCEONLY_SERVING", home() / "serving"))


def trusted_proxies() -> str | None:
    """ONCEONLY_TRUSTED_PROXIES (default: none): addresses of reverse proxies whose
    X-Forwarded-Proto and X-Forwarded-For are believed, comma separated (IPs or networks).

    Off unless configured: a request could otherwise claim to have arrived over https, and
    the console would mark its cookie accordingly from a header anyone can send."""
    configured = os.environ.get("ONCEONLY_TRUSTED_PROXIES", "").strip()
    return configured or None


class ProxyOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: str | None


def uvicorn_proxy_options() -> ProxyOptions:
    """uvicorn's proxy-header options for `trusted_proxies()` (uvicorn itself would trust
    127.0.0.1 by default)."""
    trusted = trusted_proxies()
    return ProxyOptions(proxy_headers=trusted is not None, forwarded_allow_ips=trusted)
