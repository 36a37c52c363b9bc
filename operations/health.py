"""``GET /health/live`` and ``GET /health/ready``: the orchestrator's and load balancer's probes.

Liveness does no I/O: it answers while the process can serve requests. Readiness asks the
database and the cache, each on its own fresh connection with short client-side timeouts, in a
thread the probe waits on for at most ``DCR_HEALTH_TIMEOUT`` seconds, so an unreachable or
black-holed PostgreSQL or Redis makes the probe fail quickly instead of hanging. A check still
running from an earlier probe (hung on a dead peer) is waited on again rather than started
twice, so probes during an outage never pile up threads.

Both are answered by ``operations.middleware`` before the rest of the middleware: no session,
no CSRF, no host validation (probes use the pod's IP as Host), no HTTPS redirect (probes speak
plain HTTP to the pod), no rate limit, no audit event and no access-log line.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string

from dcr_server.headers import NO_STORE
from dcr_server.middleware import json_error
from operations import metrics
from operations.app_settings import health_timeout

logger = logging.getLogger(__name__)

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def _database() -> None:
    """``SELECT 1`` on a new connection (not the request's pooled one), with timeouts."""
    # connections.settings, not connections[alias]: that one is the calling thread's wrapper.
    current = connections.settings[DEFAULT_DB_ALIAS]
    timeout = max(1, round(health_timeout()))
    options: dict[str, Any] = dict(current.get("OPTIONS") or {})
    options.pop("pool", None)  # a probe asks for a real new connection
    wrapper = load_backend(current["ENGINE"]).DatabaseWrapper(
        {**current, "OPTIONS": options}, DEFAULT_DB_ALIAS
    )
    if wrapper.vendor == "postgresql":
        # libpq's client-side connect timeout, and a server-side cap on the statement.
        options["connect_timeout"] = max(2, timeout)
        extra = f"-c statement_timeout={timeout * 1000}"
        options["options"] = f"{options.get('options', '')} {extra}".strip()
    elif wrapper.vendor == "sqlite":
        options["timeout"] = timeout  # seconds to wait for a lock
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        wrapper.close()


_probe_caches: dict[int, BaseCache] = {}


def _probe_cache() -> BaseCache:
    """The default cache's backend with short socket timeouts (Redis), one per process."""
    made = _probe_caches.get(os.getpid())
    if made is None:
        params: dict[str, Any] = dict(settings.CACHES["default"])
        backend = params.pop("BACKEND")
        location = params.pop("LOCATION", "")
        if backend == REDIS_BACKEND:
            timeout = health_timeout()
            params["OPTIONS"] = {
                **(params.get("OPTIONS") or {}),
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
            }
        made = _probe_caches[os.getpid()] = import_string(backend)(location, params)
    return made


def _cache() -> None:
    """A write and a read back: the rate limits and replay ids need both."""
    probe = _probe_cache()
    key = f"dcr:health:{os.getpid()}:{threading.get_ident()}"
    value = str(time.monotonic_ns())
    probe.set(key, value, 30)
    if probe.get(key) != value:
        raise RuntimeError("the cache did not return the value just written")


class Check:
    """One dependency's check, run in its own daemon thread, at most one at a time."""

    def __init__(self, name: str, run: Callable[[], None]) -> None:
        self.name = name
        self.run = run
        self._lock = threading.Lock()
        self._future: Future[None] | None = None
        self._pid = 0

    def start(self) -> Future[None]:
        with self._lock:
            future = self._future
            if future is None or future.done() or self._pid != os.getpid():
                future = self._future = Future()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._work, args=(future,), name=f"health-{self.name}", daemon=True
                ).start()
            return future

    def _work(self, future: Future[None]) -> None:
        try:
            self.run()
        except BaseException as exc:  # reported to the probe that waits
            future.set_exception(exc)
        else:
            future.set_result(None)


CHECKS = (Check("database", _database), Check("cache", _cache))

_last_failed: set[str] = set()


def run_checks(timeout: float | None = None) -> dict[str, dict[str, str]]:
    """``{name: {"status": "ok"}}`` or ``{"status": "error", "error": <class or timeout>}``."""
    limit = health_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    started = [(check, check.start()) for check in CHECKS]
    results: dict[str, dict[str, str]] = {}
    for check, future in started:
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[check.name] = {"status": "error", "error": "timeout"}
        except Exception as exc:
            # The class name only: a driver's message may name hosts, users or paths.
            results[check.name] = {"status": "error", "error": type(exc).__name__}
        else:
            results[check.name] = {"status": "ok"}
    _log_changes(results)
    return results


def _log_changes(results: dict[str, dict[str, str]]) -> None:
    """One log line when a check starts or stops failing (not one per probe)."""
    for name, result in results.items():
        if result["status"] != "ok":
            metrics.readiness_failure(check=name)
            if name not in _last_failed:
                _last_failed.add(name)
                logger.warning("Readiness check %s failed: %s", name, result["error"])
        elif name in _last_failed:
            _last_failed.discard(name)
            logger.warning("Readiness check %s recovered", name)


def _method_not_allowed() -> HttpResponse:
    response = json_error(HTTPStatus.METHOD_NOT_ALLOWED)
    response["Allow"] = "GET, HEAD"
    return response


def live(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    return JsonResponse({"status": "ok"}, headers=NO_STORE)


def ready(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    checks = run_checks()
    failing = sorted(name for name, result in checks.items() if result["status"] != "ok")
    if failing:
        return JsonResponse(
            {"status": "unavailable", "failing": failing, "checks": checks},
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            headers=NO_STORE,
        )
    return JsonResponse({"status": "ok", "checks": checks}, headers=NO_STORE)
