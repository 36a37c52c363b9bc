"""``max_clients`` and ``max_clients_per_software_id`` hold exactly under parallel registrations
(issue 14, finding 2; CONTRACT.md "Abuse defaults"): 40 at once with room for 5 create 5.

Threads with their own database connections (SQLite's file lock, PostgreSQL's row lock); the
same race over HTTP against ``bin/serve`` is ``tests/live/test_live_concurrency.py``.
"""

from __future__ import annotations

from collections import Counter
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json
from tests.security.conftest import run_parallel

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REGISTER = "/default/default/oauth2/register"
PARALLEL = 40


def _race(metadata: dict[str, Any]) -> Counter[int]:
    results = run_parallel(
        PARALLEL, lambda _i: post_json(HttpClient(), REGISTER, metadata).status_code
    )
    return Counter(results)


def test_max_clients_holds_under_40_parallel_registrations(workspace: Workspace) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(policy={"max_clients": 5})

    statuses = _race(SERVICE_CLIENT)

    assert statuses == {HTTPStatus.CREATED: 5, HTTPStatus.FORBIDDEN: PARALLEL - 5}
    assert Client.objects.filter(workspace=workspace).count() == 5


def test_max_clients_per_software_id_holds_under_40_parallel_registrations(
    workspace: Workspace,
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(
        policy={"max_clients_per_software_id": 5}
    )

    statuses = _race({**SERVICE_CLIENT, "software_id": "race-app"})

    assert statuses == {HTTPStatus.CREATED: 5, HTTPStatus.BAD_REQUEST: PARALLEL - 5}
    assert Client.objects.filter(software_id="race-app").count() == 5
