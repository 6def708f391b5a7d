"""Which reverse proxies the API believes about the scheme and the client's address.

Off unless ONCEONLY_TRUSTED_PROXIES is set (see `settings`): a request could otherwise claim
to have arrived over https, and the console would mark its cookie accordingly from a header
anyone can send.
"""

from __future__ import annotations

from typing import TypedDict

import settings


class ProxyOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: str | None


def uvicorn_proxy_options() -> ProxyOptions:
    """uvicorn's proxy-header options for the trusted proxies, comma-separated IPs or networks
    (uvicorn itself would trust 127.0.0.1 by default)."""
    trusted = settings.current().trusted_proxies
    return ProxyOptions(proxy_headers=trusted is not None, forwarded_allow_ips=trusted)
