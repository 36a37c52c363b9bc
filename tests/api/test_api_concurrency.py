"""RFC 7592 §2: one registration access token, many parallel requests: exactly one succeeds."""

from __future__ import annotations

import threading
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient

from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, bearer, post_json

PARALLEL = 6


@pytest.mark.django_db(transaction=True)
def test_parallel_reads_with_one_token_rotate_it_once(workspace: Workspace) -> None:
    created = post_json(HttpClient(), "/default/default/oauth2/register", SERVICE_CLIENT).json()
    uri = f"/default/default/oauth2/register/{created['client_id']}"
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    lock = threading.Lock()

    def read() -> None:
        try:
            barrier.wait(timeout=10)
            response: Any = HttpClient().get(uri, **bearer(created["registration_access_token"]))
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [HTTPStatus.OK] + [HTTPStatus.UNAUTHORIZED] * (PARALLEL - 1)
