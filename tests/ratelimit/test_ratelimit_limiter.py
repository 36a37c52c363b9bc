"""The fixed-window limiter against the local-memory cache, with an injected clock."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache

from registration import ratelimit
from registration.errors import TooManyRequests
from registration.ratelimit import Limit, check, hit, record

T0 = 1_700_000_040.0  # the start of a 60-second window (1_700_000_040 = 28_333_334 * 60)


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def store() -> LocMemCache:
    return LocMemCache(f"ratelimit-{uuid.uuid4()}", {})


@pytest.fixture
def clock() -> Clock:
    return Clock()


def per_ip(ip: str, limit: int = 3) -> Limit:
    return Limit(
        key=f"dcr:ws1:register:ip:{ip}",
        limit=limit,
        rule="rate_limit",
        description="Too many registrations from this address; retry later.",
    )


def per_workspace(limit: int) -> Limit:
    return Limit(
        key="dcr:ws1:register",
        limit=limit,
        rule="rate_limit",
        description="Too many registrations; retry later.",
    )


def test_refused_exactly_at_n_plus_one(store: LocMemCache, clock: Clock) -> None:
    limit = per_ip("192.0.2.1", limit=3)
    for _ in range(3):
        hit([limit], cache=store, now=clock)
    clock.t = T0 + 15.2
    with pytest.raises(TooManyRequests) as info:
        hit([limit], cache=store, now=clock)
    exc = info.value
    assert exc.status == HTTPStatus.TOO_MANY_REQUESTS == 429
    assert exc.error == "too_many_requests"
    assert exc.rule == "rate_limit"
    assert exc.description == "Too many registrations from this address; retry later."
    # 44.8 s left in the window, rounded up.
    assert exc.headers() == {"Retry-After": "45"}


def test_retry_after_at_least_one_second(store: LocMemCache, clock: Clock) -> None:
    limit = per_ip("192.0.2.1", limit=0)
    clock.t = T0 + 59.999
    with pytest.raises(TooManyRequests) as info:
        hit([limit], cache=store, now=clock)
    assert info.value.retry_after == 1


def test_defaults_when_rule_and_description_empty(store: LocMemCache, clock: Clock) -> None:
    with pytest.raises(TooManyRequests) as info:
        hit([Limit(key="k", limit=0)], cache=store, now=clock)
    assert info.value.rule is None
    assert info.value.description == TooManyRequests.default_description
    assert info.value.retry_after == 60


def test_window_rolls_over(store: LocMemCache, clock: Clock) -> None:
    limit = per_ip("192.0.2.1", limit=2)
    hit([limit], cache=store, now=clock)
    clock.t = T0 + 59.9
    hit([limit], cache=store, now=clock)
    with pytest.raises(TooManyRequests):
        hit([limit], cache=store, now=clock)
    clock.t = T0 + 60.0  # the next window starts from zero
    hit([limit], cache=store, now=clock)
    hit([limit], cache=store, now=clock)
    with pytest.raises(TooManyRequests) as info:
        hit([limit], cache=store, now=clock)
    assert info.value.retry_after == 60


def test_windows_are_aligned_not_sliding(store: LocMemCache, clock: Clock) -> None:
    limit = Limit(key="k", limit=1, window=10)
    clock.t = T0 + 9.0
    hit([limit], cache=store, now=clock)
    clock.t = T0 + 10.0  # a new window one second later, not ten
    hit([limit], cache=store, now=clock)


def test_per_ip_and_global_both_counted(store: LocMemCache, clock: Clock) -> None:
    limits_a = [per_ip("192.0.2.1", limit=10), per_workspace(limit=4)]
    for _ in range(4):
        hit(limits_a, cache=store, now=clock)
    # Another address has its own budget left, but the workspace-wide one is used up.
    with pytest.raises(TooManyRequests) as info:
        hit([per_ip("192.0.2.2", limit=10), per_workspace(limit=4)], cache=store, now=clock)
    assert info.value.description == "Too many registrations; retry later."
    assert info.value.rule == "rate_limit"


def test_per_ip_refusal_does_not_use_up_global_budget(store: LocMemCache, clock: Clock) -> None:
    for _ in range(3):
        hit([per_ip("192.0.2.1", limit=3), per_workspace(limit=5)], cache=store, now=clock)
    for _ in range(10):  # one address hammering past its own limit
        with pytest.raises(TooManyRequests) as info:
            hit([per_ip("192.0.2.1", limit=3), per_workspace(limit=5)], cache=store, now=clock)
        assert info.value.description.endswith("from this address; retry later.")
    # Everybody else still has the two remaining global slots.
    hit([per_ip("192.0.2.2"), per_workspace(limit=5)], cache=store, now=clock)
    hit([per_ip("192.0.2.3"), per_workspace(limit=5)], cache=store, now=clock)
    with pytest.raises(TooManyRequests):
        hit([per_ip("192.0.2.4"), per_workspace(limit=5)], cache=store, now=clock)


def test_check_does_not_count(store: LocMemCache, clock: Clock) -> None:
    limit = per_ip("192.0.2.1", limit=2)
    for _ in range(10):
        check([limit], cache=store, now=clock)
    hit([limit], cache=store, now=clock)
    check([limit], cache=store, now=clock)
    hit([limit], cache=store, now=clock)
    with pytest.raises(TooManyRequests) as info:
        check([limit], cache=store, now=clock)
    assert info.value.rule == "rate_limit"
    assert info.value.retry_after == 60


def test_check_reports_the_window_that_ends_last(store: LocMemCache, clock: Clock) -> None:
    short = Limit(key="a", limit=0, window=10, description="short")
    long = Limit(key="b", limit=0, window=3600, description="long")
    with pytest.raises(TooManyRequests) as info:
        check([short, long], cache=store, now=clock)
    assert info.value.description == "long"


def test_check_with_no_limits(store: LocMemCache) -> None:
    check([], cache=store)
    hit([], cache=store)
    record([], cache=store)


def test_record_counts_without_raising(store: LocMemCache, clock: Clock) -> None:
    # RFC 7592 §5: failed registration-access-token attempts are counted, then refused by check.
    failures = Limit(key="dcr:ws1:rat-failures:ip:192.0.2.1", limit=3, rule="rate_limit")
    for _ in range(5):
        record([failures], cache=store, now=clock)
    with pytest.raises(TooManyRequests):
        check([failures], cache=store, now=clock)
    with pytest.raises(TooManyRequests):
        hit([failures], cache=store, now=clock)
    clock.t = T0 + 60
    check([failures], cache=store, now=clock)


def test_separate_keys_do_not_interfere(store: LocMemCache, clock: Clock) -> None:
    hit([per_ip("192.0.2.1", limit=1)], cache=store, now=clock)
    hit([per_ip("192.0.2.2", limit=1)], cache=store, now=clock)
    hit([Limit(key="dcr:ws2:register:ip:192.0.2.1", limit=1)], cache=store, now=clock)
    # Same key, different window length: separate counters.
    hit([Limit(key="dcr:ws1:register:ip:192.0.2.1", limit=1, window=3600)], cache=store, now=clock)
    with pytest.raises(TooManyRequests):
        hit([per_ip("192.0.2.1", limit=1)], cache=store, now=clock)


def test_cache_keys_are_safe_for_every_backend(store: LocMemCache, clock: Clock) -> None:
    odd = Limit(key="dcr:ws1:ip:[fe80::1%eth0] \n\x00" + "x" * 400 + "\udcff", limit=1)
    hit([odd], cache=store, now=clock)
    (key,) = list(store._cache)  # the cache's own key, after make_key
    assert len(key) < 100
    assert key.isascii() and key.isprintable() and " " not in key
    assert "fe80" not in key


def test_default_cache_is_djangos(clock: Clock) -> None:
    limit = Limit(key=f"test:{uuid.uuid4()}", limit=1)
    hit([limit], now=clock)
    with pytest.raises(TooManyRequests):
        check([limit], now=clock)


def test_counter_evicted_between_add_and_incr_is_added_again(clock: Clock) -> None:
    class EvictingOnce(LocMemCache):
        evicted = False

        def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
            if not self.evicted:
                self.evicted = True
                self.delete(key, version=version)
            return super().incr(key, delta, version)

    store = EvictingOnce(f"ratelimit-{uuid.uuid4()}", {})
    limit = Limit(key="k", limit=1)
    hit([limit], cache=store, now=clock)
    with pytest.raises(TooManyRequests):
        hit([limit], cache=store, now=clock)


class BrokenCache(BaseCache):
    def __init__(self) -> None:
        super().__init__({})
        self.calls = 0

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = incr = get_many = delete = _fail


@pytest.fixture
def fresh_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "_outage_logged", False)


@pytest.mark.usefixtures("fresh_warning")
def test_cache_outage_fails_open_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    broken = BrokenCache()
    limits = [per_ip("192.0.2.1", limit=0), per_workspace(limit=0)]
    with caplog.at_level(logging.DEBUG, logger="registration.ratelimit"):
        for _ in range(3):
            hit(limits, cache=broken)
            check(limits, cache=broken)
            record(limits, cache=broken)
    assert broken.calls > 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Rate limiting is off" in warnings[0].getMessage()


@pytest.mark.usefixtures("fresh_warning")
def test_counter_vanishing_twice_fails_open(clock: Clock) -> None:
    class AlwaysEvicting(LocMemCache):
        def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
            self.delete(key, version=version)
            return super().incr(key, delta, version)

    store = AlwaysEvicting(f"ratelimit-{uuid.uuid4()}", {})
    hit([Limit(key="k", limit=0)], cache=store, now=clock)  # no exception


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one second"):
        Limit(key="k", limit=1, window=0)
