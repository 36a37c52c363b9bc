"""What counts as one source of requests, for per-address limits and aggregated refusals.

An IPv4 address is one source. An IPv6 address is its /64: RFC 7421 makes /64 the subnet size,
so one host or one home router (RFC 6177) commonly holds all 2**64 addresses of its prefix and
can pick a fresh one per request; counting addresses would give it unlimited attempts.
"""

from __future__ import annotations

import ipaddress

IPV6_SOURCE_PREFIX = 64  # RFC 7421


def source_key(address: str | None) -> str:
    """``address`` as the source it stands for: IPv4 itself, IPv6 its /64; "-" when unknown."""
    if not address:
        return "-"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_SOURCE_PREFIX}", strict=False))
    return str(parsed)
