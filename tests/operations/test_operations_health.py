"""GET /health/live and GET /health/ready (CONTRACT "Operations"): JSON, no auth, never cached."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from operations import health
from registration.models import AuditEvent


def _assert_probe_headers(response: Any) -> None:
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Request-ID"]


def test_live_is_ok_without_any_io(api: HttpClient, monkeypatch: Any) -> None:
    # No django_db mark: pytest-django makes any database access raise. The cache must not be
    # touched either.
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *a, **k: pytest.fail("liveness used the cache"))
    monkeypatch.setattr(health, "run_checks", lambda *a, **k: pytest.fail("liveness ran checks"))

    response = api.get("/health/live")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    _assert_probe_headers(response)


@pytest.mark.django_db
def test_ready_is_ok_when_database_and_cache_answer(api: HttpClient) -> None:
    response = api.get("/health/ready")

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "cache": {"status": "ok"}},
    }
    _assert_probe_headers(response)


@pytest.mark.django_db
def test_probes_answer_any_host_header_and_plain_http(settings: Any) -> None:
    # A kubelet probes http://<pod ip>:<port>/health/...: neither in ALLOWED_HOSTS nor https.
    settings.SECURE_SSL_REDIRECT = True
    client = HttpClient(HTTP_HOST="10.1.2.3:8000")

    assert client.get("/health/live").status_code == HTTPStatus.OK
    assert client.get("/health/ready").status_code == HTTPStatus.OK
    assert client.get("/default/default/.well-known/jwks.json").status_code != HTTPStatus.OK


@pytest.mark.django_db
def test_ready_names_an_unreachable_cache_and_answers_503(settings: Any) -> None:
    # A port nothing listens on: the connection is refused at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    health._probe_caches.clear()
    try:
        response = HttpClient().get("/health/ready")
    finally:
        health._probe_caches.clear()

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database"] == {"status": "ok"}
    _assert_probe_headers(response)


@pytest.mark.django_db
def test_ready_names_an_unreachable_database_and_answers_503(monkeypatch: Any) -> None:
    from django.db import connections

    broken = dict(connections.settings["default"])
    if connections["default"].vendor == "postgresql":
        broken.update(HOST="127.0.0.1", PORT="9")  # connection refused
    else:
        broken["NAME"] = "/nonexistent-directory/db.sqlite3"  # cannot be opened
    # Only the settings new connections are made from; this test's own connection stays open.
    monkeypatch.setitem(connections.settings, "default", broken)

    response = HttpClient().get("/health/ready")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "error", "error": "OperationalError"}


@pytest.mark.django_db
def test_a_hanging_check_times_out_and_is_not_started_twice(monkeypatch: Any) -> None:
    import threading

    release = threading.Event()
    calls: list[int] = []

    def hangs() -> None:
        calls.append(1)
        release.wait(timeout=10)

    check = health.Check("database", hangs)
    monkeypatch.setattr(health, "CHECKS", (check, health.CHECKS[1]))
    try:
        first = health.run_checks(timeout=0.2)
        second = health.run_checks(timeout=0.2)
    finally:
        release.set()

    assert first["database"] == {"status": "error", "error": "timeout"}
    assert second["database"] == {"status": "error", "error": "timeout"}
    assert len(calls) == 1  # the second probe waited on the first, still hung, check


@pytest.mark.django_db
def test_probes_write_no_audit_event_and_no_access_log_line(
    api: HttpClient, capture_logs: Any
) -> None:
    logs = capture_logs(level=10)

    api.get("/health/live")
    api.get("/health/ready")

    assert not AuditEvent.objects.exists()
    assert not [line for line in logs.lines if "dcr.access" in line]


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_probes_accept_only_get_and_head(api: HttpClient, path: str) -> None:
    response = api.post(path)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"] == "invalid_request"
