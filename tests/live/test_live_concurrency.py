"""Races over HTTP against ``bin/serve`` (two workers of four threads; PostgreSQL when
DATABASE_URL points there): quotas exact (issue 14, finding 2), one token rotation among
parallel reads (RFC 7592 §2.1), default limits shared by the workers through Redis (finding 1).
"""

from __future__ import annotations

import time
from collections import Counter
from http import HTTPStatus
from typing import Any

import pytest

from registration.models import AuditEvent, Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT
from tests.live.http import assert_json_4xx, request
from tests.security.conftest import run_parallel

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

REGISTER = "/default/default/oauth2/register"


def _register_many(url: str, count: int, metadata: dict[str, Any]) -> list[Any]:
    return run_parallel(count, lambda _i: request(url, "POST", REGISTER, json_body=metadata))


def test_max_clients_holds_for_40_parallel_registrations_under_bin_serve(
    start_server: Any, workspace: Workspace
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(policy={"max_clients": 5})
    server = start_server()

    answers = _register_many(server.url, 40, SERVICE_CLIENT)

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.CREATED: 5, HTTPStatus.FORBIDDEN: 35}, statuses
    for answer in answers:
        if answer.status == HTTPStatus.FORBIDDEN:
            assert assert_json_4xx(answer)["error"] == "access_denied"
    assert Client.objects.filter(workspace=workspace).count() == 5


def test_max_clients_per_software_id_holds_for_40_parallel_registrations_under_bin_serve(
    start_server: Any, workspace: Workspace
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(
        policy={"max_clients_per_software_id": 5}
    )
    server = start_server()

    answers = _register_many(server.url, 40, {**SERVICE_CLIENT, "software_id": "live-race"})

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.CREATED: 5, HTTPStatus.BAD_REQUEST: 35}, statuses
    assert Client.objects.filter(software_id="live-race").count() == 5


def test_rfc7592_2_1_parallel_reads_rotate_the_token_once_under_bin_serve(
    start_server: Any, workspace: Workspace
) -> None:
    server = start_server()
    created = request(server.url, "POST", REGISTER, json_body=SERVICE_CLIENT).json()
    path = f"{REGISTER}/{created['client_id']}"
    bearer = {"Authorization": f"Bearer {created['registration_access_token']}"}

    answers = run_parallel(12, lambda _i: request(server.url, "GET", path, headers=bearer))

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.OK: 1, HTTPStatus.UNAUTHORIZED: 11}, statuses


def _away_from_a_window_edge() -> None:
    """Fixed one-minute windows: a burst across a minute's end is counted in two windows."""
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.5)


def test_default_per_address_limit_is_shared_by_the_workers_through_redis(
    start_server: Any, workspace: Workspace, redis_url: str
) -> None:
    server = start_server(
        REDIS_URL=redis_url,
        DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP="10",
        WORKERS="3",
    )

    _away_from_a_window_edge()
    answers = _register_many(server.url, 30, SERVICE_CLIENT)

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.CREATED: 10, HTTPStatus.TOO_MANY_REQUESTS: 20}, (
        statuses,
        "".join(server.log)[-3000:],
    )
    refused = AuditEvent.objects.filter(event="refused", rule="default_rate_limit")
    assert sum(row.count for row in refused) == 20
    assert refused.count() == 1  # one row: the database's unique key, whichever worker won
