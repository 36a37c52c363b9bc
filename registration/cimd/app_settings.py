"""Typed accessors for the server-wide CIMD bounds (``DCR_CIMD_*``, dcr_server/settings.py).

Read on every use, so ``override_settings`` and the pytest ``settings`` fixture take effect.
"""

from __future__ import annotations

from django.conf import settings


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    value = getattr(settings, name, default)
    return value if isinstance(value, int) and value >= minimum else default


def max_document_bytes() -> int:
    """draft -01 §6.6: "The recommended maximum response size ... is 5 kilobytes"."""
    return _int("DCR_CIMD_MAX_DOCUMENT_BYTES", 5 * 1024, minimum=256)


def fetch_timeout() -> float:
    """One deadline over name resolution, connection, TLS and body."""
    return float(_int("DCR_CIMD_FETCH_TIMEOUT_SECONDS", 3, minimum=1))


def min_cache_seconds() -> int:
    """draft -01 §4.4: the server's lower bound on a document's cache lifetime."""
    return _int("DCR_CIMD_MIN_CACHE_SECONDS", 300)


def max_cache_seconds() -> int:
    """draft -01 §4.4: the server's upper bound (never below the lower one)."""
    return max(_int("DCR_CIMD_MAX_CACHE_SECONDS", 86400), min_cache_seconds())


def default_cache_seconds() -> int:
    """The lifetime of a document served without a usable Cache-Control max-age."""
    return _int("DCR_CIMD_DEFAULT_CACHE_SECONDS", 3600)


def failure_backoff_seconds() -> int:
    """How long a refused or unreachable document is not fetched again (negative cache)."""
    return _int("DCR_CIMD_FAILURE_BACKOFF_SECONDS", 60, minimum=1)


def stale_if_error_seconds() -> int:
    """How long past its expiry a good document still serves while the host is unreachable."""
    return _int("DCR_CIMD_STALE_IF_ERROR_SECONDS", 3600)


def max_concurrent_fetches() -> int:
    """Document fetches in flight per process (0: no cap)."""
    return _int("DCR_CIMD_MAX_CONCURRENT_FETCHES", 16)
