"""The limiter against a real Redis through Django's RedisCache (db 15, keys removed after)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from registration import ratelimit
from registration.errors import TooManyRequests
from registration.ratelimit import EXPIRY_SLACK, Limit, check, hit, record

REDIS_URL = "redis://127.0.0.1:6379/15"
T0 = 1_700_000_040.0  # the start of a 60-second window


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_reachable(), reason=f"needs a Redis server at {REDIS_URL} (not reachable)"
)


@pytest.fixture
def store() -> Iterator[RedisCache]:
    prefix = f"dcr-test-{uuid.uuid4().hex}"
    yield RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def per_ip(ip: str, limit: int) -> Limit:
    return Limit(key=f"dcr:ws1:register:ip:{ip}", limit=limit, rule="rate_limit")


def per_workspace(limit: int) -> Limit:
    return Limit(key="dcr:ws1:register", limit=limit, rule="rate_limit")


def test_refused_at_n_plus_one_with_retry_after(store: RedisCache) -> None:
    limit = per_ip("192.0.2.1", limit=3)
    for _ in range(3):
        hit([limit], cache=store, now=lambda: T0 + 20)
    with pytest.raises(TooManyRequests) as info:
        hit([limit], cache=store, now=lambda: T0 + 20)
    assert info.value.status == 429
    assert info.value.headers() == {"Retry-After": "40"}
    assert info.value.rule == "rate_limit"


def test_window_rolls_over(store: RedisCache) -> None:
    limit = per_ip("192.0.2.1", limit=1)
    hit([limit], cache=store, now=lambda: T0)
    with pytest.raises(TooManyRequests):
        hit([limit], cache=store, now=lambda: T0 + 59)
    hit([limit], cache=store, now=lambda: T0 + 60)


def test_global_limit_refuses_another_ip(store: RedisCache) -> None:
    for _ in range(2):
        hit([per_ip("192.0.2.1", 10), per_workspace(2)], cache=store, now=lambda: T0)
    with pytest.raises(TooManyRequests):
        hit([per_ip("192.0.2.2", 10), per_workspace(2)], cache=store, now=lambda: T0)


def test_check_and_record(store: RedisCache) -> None:
    failures = Limit(key="dcr:ws1:rat-failures:ip:2001:db8::1", limit=2)
    check([failures], cache=store, now=lambda: T0)
    record([failures], cache=store, now=lambda: T0)
    check([failures], cache=store, now=lambda: T0)
    record([failures], cache=store, now=lambda: T0)
    record([failures], cache=store, now=lambda: T0)  # never raises
    with pytest.raises(TooManyRequests):
        check([failures], cache=store, now=lambda: T0)


def test_counter_expires_after_its_window(store: RedisCache) -> None:
    hit([Limit(key="k", limit=5, window=30)], cache=store)
    client = redis.Redis.from_url(REDIS_URL)
    (key,) = client.scan_iter(match=f"{store.key_prefix}:*")
    assert 0 < client.ttl(key) <= 30 + EXPIRY_SLACK


def test_concurrent_hits_never_over_admit(store: RedisCache) -> None:
    limit = per_ip("192.0.2.1", limit=10)
    admitted = 0
    lock = threading.Lock()

    def attempt() -> None:
        nonlocal admitted
        try:
            hit([limit], cache=store, now=lambda: T0)
        except TooManyRequests:
            return
        with lock:
            admitted += 1

    with ThreadPoolExecutor(max_workers=16) as pool:
        for future in [pool.submit(attempt) for _ in range(50)]:
            future.result()
    assert admitted == 10


def test_unreachable_redis_fails_open(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ratelimit, "_outage_logged", False)
    down = RedisCache("redis://127.0.0.1:1/15", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    limits = [per_ip("192.0.2.1", 0), per_workspace(0)]
    with caplog.at_level(logging.WARNING, logger="registration.ratelimit"):
        hit(limits, cache=down)
        check(limits, cache=down)
        record(limits, cache=down)
    assert len(caplog.records) == 1
