"""The source IP address of a request, for rate limits, ``source_ip_ranges`` and the audit trail.

Without trusted proxies (``DCR_TRUSTED_PROXY_COUNT`` = 0, the default) it is ``REMOTE_ADDR`` and
``X-Forwarded-For`` is ignored: anyone can send that header. Behind N trusted proxies each one
appends the address it received the request from, so the client is the N-th entry from the right;
entries further left were written by the client and may be forged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest

DEFAULT_HEADER = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str:
    """The client's address, normalised; "" only when no valid address is found."""
    return client_ip_from_meta(request.META)


def client_ip_from_meta(meta: Mapping[str, Any]) -> str:
    """:func:`client_ip` from the WSGI environment alone (oauthlib requests carry only that)."""
    remote = normalize_ip(str(meta.get("REMOTE_ADDR", ""))) or ""
    hops = getattr(settings, "DCR_TRUSTED_PROXY_COUNT", 0)
    if not isinstance(hops, int) or hops <= 0:
        return remote
    header = getattr(settings, "DCR_CLIENT_IP_HEADER", DEFAULT_HEADER) or DEFAULT_HEADER
    # Several X-Forwarded-For headers arrive joined by commas, in order: one list either way.
    entries = str(meta.get(header, "")).split(",")
    if not meta.get(header) or len(entries) < hops:
        # Fewer entries than trusted proxies: the request did not come through all of them.
        return remote
    return normalize_ip(entries[-hops]) or remote


def normalize_ip(value: str) -> str | None:
    """``value`` as a canonical address: whitespace, port, brackets and zone id removed,
    IPv4-mapped IPv6 as IPv4. None when it is not an IP address."""
    text = value.strip()
    if text.startswith("["):  # "[::1]:443" or "[::1]"
        end = text.find("]")
        rest = text[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # "1.2.3.4:5678" (a bare IPv6 address has at least two colons)
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]  # IPv6 zone id ("fe80::1%eth0")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
