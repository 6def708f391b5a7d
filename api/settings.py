"""API settings from environment variables, defaulting to the embedded layout under var/."""

from __future__ import annotations

import functools
import os
import re
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


# The sample centre's case numbers are digits (region, date, serial: 41010020261120000001);
# other approval systems add capitals and hyphens (ZZ-2026-000123). Six to forty characters.
DEFAULT_CASE_NUMBER_PATTERN = r"[0-9A-Z][0-9A-Z-]{5,39}"
DEFAULT_CASE_RECENT_DAYS = 30


def case_number_pattern() -> re.Pattern[str]:
    """ONCEONLY_CASE_NUMBER_PATTERN: the centre's case-number format, a regular expression the
    whole number must match (default: digits, capitals and hyphens, 6-40 characters)."""
    return _compiled(os.environ.get("ONCEONLY_CASE_NUMBER_PATTERN") or DEFAULT_CASE_NUMBER_PATTERN)


def case_recent_days() -> int:
    """ONCEONLY_CASE_RECENT_DAYS (default 30): how long after its completion a case still
    justifies reads under its number (corrections, an appeal, a signed extract)."""
    return int(os.environ.get("ONCEONLY_CASE_RECENT_DAYS", DEFAULT_CASE_RECENT_DAYS))


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
