"""The source IP address of a request, for rate limits, ``source_ip_ranges`` and the audit trail.

Without trusted proxies (``DCR_TRUSTED_PROXY_COUNT`` = 0, the default) it is ``REMOTE_ADDR`` and
``X-Forwarded-For`` is ignored: anyone can send that header. Behind N trusted proxies each one
appends the address it received the request from, so the client is the N-th entry from the right;
entries further left were written by the client and may be forged.

The header is believed only from a peer inside ``DCR_TRUSTED_PROXY_NETWORKS`` (required when the
count is above 0, checked at start-up by the settings): a client connecting directly, bypassing
the proxies, cannot choose its own address. Walking from the right, every hop between the peer
and the client must be a trusted proxy too; the first address outside the networks is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest

DEFAULT_HEADER = "HTTP_X_FORWARDED_FOR"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str | None, networks: Sequence[Network]) -> bool:
    if not address:
        return False
    parsed = ipaddress.ip_address(address)
    return any(parsed.version == net.version and parsed in net for net in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address, normalised; "" only when no valid address is found."""
    remote = normalize_ip(str(request.META.get("REMOTE_ADDR", ""))) or ""
    hops = getattr(settings, "DCR_TRUSTED_PROXY_COUNT", 0)
    if not isinstance(hops, int) or hops <= 0:
        return remote
    networks: Sequence[Network] = getattr(settings, "DCR_TRUSTED_PROXY_NETWORKS", ())
    if not _trusted(remote, networks):
        return remote  # not through our proxies: its X-Forwarded-For is the client's own text
    header = getattr(settings, "DCR_CLIENT_IP_HEADER", DEFAULT_HEADER) or DEFAULT_HEADER
    # Several X-Forwarded-For headers arrive joined by commas, in order: one list either way.
    raw = str(request.META.get(header, ""))
    entries = [normalize_ip(entry) for entry in raw.split(",")] if raw else []
    # The peer is the last proxy; the hops before it appended the addresses right of the client.
    for position in range(1, hops + 1):
        if position > len(entries):
            return remote  # fewer entries than proxies: it did not come through all of them
        entry = entries[-position]
        if entry is None:
            return remote
        if position == hops or not _trusted(entry, networks):
            return entry
    return remote  # pragma: no cover - the loop always returns


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
