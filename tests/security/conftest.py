"""Fixtures for the security suite: the resilience middleware, PostgreSQL-only marks, threads,
and snapshots of the rows a refused request must not write."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections
from oauth2_provider.models import AccessToken, RefreshToken

from registration.models import AuditEvent, Client, RegistrationAccessToken
from tests.protections.conftest import KeyPair, ec_key, request_claims, rsa_key, statement_claims

__all__ = ["KeyPair", "ec_key", "request_claims", "rsa_key", "statement_claims"]  # fixtures too

RESILIENCE_MIDDLEWARE = "dcr_server.resilience.DatabaseUnavailableMiddleware"

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks, parallel writers and server-side timeouts "
    "(SQLite serializes every writer on one file lock)",
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and cached key sets never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def resilient(settings: Any) -> None:
    """The 503 middleware is in MIDDLEWARE (appended when settings.py does not list it yet).

    Request it before ``api`` or any fixture that sends a request: a test client builds its
    middleware chain on its first request."""
    if RESILIENCE_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, RESILIENCE_MIDDLEWARE]


def run_parallel(count: int, work: Callable[[int], Any], *, timeout: float = 60) -> list[Any]:
    """Run ``work(i)`` for i in range(count) in threads released together by a barrier.

    Each thread closes its own database connection; an exception in a thread fails the test.
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = work(index)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    if errors:
        raise errors[0]
    return results


@dataclass(frozen=True)
class Rows:
    clients: int
    registration_tokens: int
    access_tokens: int
    refresh_tokens: int
    audit_ok: int

    @classmethod
    def now(cls) -> Rows:
        return cls(
            clients=Client.objects.count(),
            registration_tokens=RegistrationAccessToken.objects.count(),
            access_tokens=AccessToken.objects.count(),
            refresh_tokens=RefreshToken.objects.count(),
            # Refusals are audited on purpose, and so is the test's own set-up of the workspace
            # (configure); any other event means a request did something.
            audit_ok=AuditEvent.objects.exclude(
                event__in=[AuditEvent.Event.REFUSED, AuditEvent.Event.CONFIGURE]
            ).count(),
        )


@pytest.fixture
def unchanged() -> Iterator[Callable[[], None]]:
    """Call the returned function to assert that no client, token or non-refusal audit row
    appeared since the fixture was set up."""
    before = Rows.now()

    def check() -> None:
        assert Rows.now() == before

    yield check


def assert_json_error(response: Any, *, allow: tuple[int, ...] = ()) -> dict[str, Any]:
    """A refusal: 4xx (never 5xx unless listed), JSON, both fields present and strings."""
    assert response.status_code < 500 or response.status_code in allow, (
        response.status_code,
        response.content[:300],
    )
    assert response.status_code >= 400, (response.status_code, response.content[:300])
    assert response["Content-Type"].split(";")[0] == "application/json", response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("error"), str) and body["error"]
    assert isinstance(body.get("error_description"), str) and body["error_description"]
    return body
