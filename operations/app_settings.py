"""Typed accessors for the operations settings (set in dcr_server/settings.py from the env)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_METRICS_ALLOWED_NETWORKS = ("127.0.0.0/8", "::1/128")
DEFAULT_HEALTH_TIMEOUT = 2.0


@lru_cache(maxsize=8)
def _parse_networks(raw: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in raw)


def metrics_allowed_networks() -> tuple[IPNetwork, ...]:
    """``DCR_METRICS_ALLOWED_NETWORKS``: the peers ``/metrics`` answers (others get 404)."""
    raw = getattr(settings, "DCR_METRICS_ALLOWED_NETWORKS", DEFAULT_METRICS_ALLOWED_NETWORKS)
    return _parse_networks(tuple(raw))


def health_timeout() -> float:
    """``DCR_HEALTH_TIMEOUT``: seconds each readiness check may take before it counts as failed."""
    value = float(getattr(settings, "DCR_HEALTH_TIMEOUT", DEFAULT_HEALTH_TIMEOUT))
    return value if value > 0 else DEFAULT_HEALTH_TIMEOUT


def access_log_enabled() -> bool:
    """``DCR_ACCESS_LOG``: one ``dcr.access`` line per request (health and metrics excepted)."""
    return bool(getattr(settings, "DCR_ACCESS_LOG", True))
