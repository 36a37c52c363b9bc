"""Fixed-window rate limits kept in Django's cache (shared through Redis when ``REDIS_URL`` is set).

A :class:`Limit` allows ``limit`` events per ``window`` seconds. Windows are aligned to
``floor(now / window)``, and the window number is part of the counter's cache key, so a new window
starts from zero without any reset and an old counter simply expires. Counting is ``cache.add``
then ``cache.incr``, both atomic on Redis and on the local-memory cache, so concurrent requests in
several processes never over-admit.

The rate limiter protects the service; it must not take it down. When the cache fails (Redis
unreachable, timeouts), every call lets the request through and one warning is logged per process.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache

from operations import metrics
from registration.errors import TooManyRequests

logger = logging.getLogger(__name__)

KEY_PREFIX = "dcr:rl:v1"
# A counter outlives its window by a few seconds, so processes with slightly skewed clocks still
# find it; its window number keeps it from being counted in the next window.
EXPIRY_SLACK = 5

_outage_logged = False


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` events per ``window`` seconds for one key (e.g. one workspace and IP)."""

    key: str  # e.g. f"dcr:ws{pk}:register:ip:{ip}"; any text, hashed before it reaches the cache
    limit: int  # events allowed per window; 0 refuses every event
    window: int = 60  # seconds
    rule: str = ""  # reported in TooManyRequests.rule (the audit trail), e.g. "rate_limit"
    description: str = ""  # one line for the client; empty: TooManyRequests' default text

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"a rate limit window is at least one second, not {self.window}")


@dataclass(frozen=True)
class _Slot:
    """One limit's counter for the window that holds a given instant."""

    limit: Limit
    cache_key: str
    retry_after: int  # whole seconds until the window ends, at least 1

    @property
    def timeout(self) -> int:
        return self.limit.window + EXPIRY_SLACK


def _slot(limit: Limit, at: float) -> _Slot:
    number = math.floor(at / limit.window)
    # Hashed: the key holds IPs (colons, brackets, zone ids) and must be safe for every backend
    # (memcached refuses spaces and control characters and keys over 250 bytes).
    digest = hashlib.sha256(limit.key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    ends = (number + 1) * limit.window
    return _Slot(
        limit=limit,
        cache_key=f"{KEY_PREFIX}:{digest}:{limit.window}:{number}",
        retry_after=max(1, math.ceil(ends - at)),
    )


def _store(cache: BaseCache | None) -> BaseCache:
    return default_cache if cache is None else cache


def _cache_failed(exc: Exception) -> None:
    global _outage_logged
    if _outage_logged:
        logger.debug("Rate-limit cache still failing: %s: %s", type(exc).__name__, exc)
        return
    _outage_logged = True
    logger.warning(
        "Rate limiting is off: the cache failed (%s: %s); requests are let through. "
        "Logged once per process.",
        type(exc).__name__,
        exc,
    )


def _increment(store: BaseCache, slot: _Slot) -> int | None:
    """Count one event; the new count, or None when the cache failed (fail open)."""
    try:
        for _attempt in range(2):
            store.add(slot.cache_key, 0, timeout=slot.timeout)
            try:
                return store.incr(slot.cache_key)
            except ValueError:
                # The counter expired or was evicted between add and incr: add it again, once.
                continue
        raise RuntimeError("the rate-limit counter vanished twice between add and incr")
    except Exception as exc:
        _cache_failed(exc)
        return None


def _refusal(slot: _Slot) -> TooManyRequests:
    metrics.rate_limited(rule=slot.limit.rule)  # the request's workspace (tenants.context)
    return TooManyRequests(
        slot.limit.description or None,
        rule=slot.limit.rule or None,
        retry_after=slot.retry_after,
    )


def hit(
    limits: Sequence[Limit],
    *,
    cache: BaseCache | None = None,
    now: Callable[[], float] = time.time,
) -> None:
    """Count one event against the limits, in order; raise TooManyRequests for the first exceeded.

    The limits after a refusing one are not counted: list the narrowest first (per IP, then
    global), so a single address hammering past its own limit does not also use up the global
    budget and lock every other client out.
    """
    store = _store(cache)
    at = now()
    for limit in limits:
        slot = _slot(limit, at)
        count = _increment(store, slot)
        if count is None:
            return  # cache outage: fail open
        if count > limit.limit:
            raise _refusal(slot)


def check(
    limits: Sequence[Limit],
    *,
    cache: BaseCache | None = None,
    now: Callable[[], float] = time.time,
) -> None:
    """Raise TooManyRequests if any limit is already used up, without counting anything.

    With several exhausted, the one whose window ends last is reported, so a client that waits
    Retry-After is not refused again at once by another.
    """
    if not limits:
        return
    store = _store(cache)
    at = now()
    slots = [_slot(limit, at) for limit in limits]
    try:
        counts = store.get_many([slot.cache_key for slot in slots])
    except Exception as exc:
        _cache_failed(exc)
        return
    exhausted = [slot for slot in slots if _count(counts.get(slot.cache_key)) >= slot.limit.limit]
    if exhausted:
        raise _refusal(max(exhausted, key=lambda slot: slot.retry_after))


def record(
    limits: Sequence[Limit],
    *,
    cache: BaseCache | None = None,
    now: Callable[[], float] = time.time,
) -> None:
    """Count one event against every limit and never raise (e.g. failed token attempts, which a
    later ``check`` then refuses; RFC 7592 §5 asks servers to resist token guessing)."""
    store = _store(cache)
    at = now()
    for limit in limits:
        if _increment(store, _slot(limit, at)) is None:
            return  # cache outage: fail open


def _count(value: object) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0
