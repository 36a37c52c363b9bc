"""Two app servers (two ``bin/serve`` instances on different ports) sharing one database and one
Redis (issue 14, finding 11): a client registered through one is read, rotated, updated and
deleted through the other; rate limits, replay ids and key-set caches are shared; a rotation
race across the two servers has one winner.

``.ci/run`` runs this on PostgreSQL with Redis required (``DCR_TEST_REQUIRE_REDIS=1``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import Client
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT
from tests.live.conftest import LiveServer
from tests.live.http import request
from tests.protections.conftest import KeyPair, request_claims
from tests.security.conftest import run_parallel
from tests.servers import JWKSServer

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

REGISTER = "/default/default/oauth2/register"


@pytest.fixture
def two(start_server: Any, workspace: Workspace, redis_url: str) -> tuple[LiveServer, LiveServer]:
    env = {"REDIS_URL": redis_url, "DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP": "6"}
    first, second = start_server(**env), start_server(**env)
    assert first.url != second.url
    return first, second


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _away_from_a_window_edge() -> None:
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.5)


def test_rfc7592_a_client_registered_on_one_server_is_managed_on_the_other(
    two: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two
    created = request(a.url, "POST", REGISTER, json_body=SERVICE_CLIENT)
    assert created.status == HTTPStatus.CREATED
    body = created.json()
    path = f"{REGISTER}/{body['client_id']}"

    read = request(b.url, "GET", path, headers=_bearer(body["registration_access_token"]))
    assert read.status == HTTPStatus.OK, read.body
    rotated = read.json()["registration_access_token"]
    assert rotated != body["registration_access_token"]
    stale = request(a.url, "GET", path, headers=_bearer(body["registration_access_token"]))
    assert stale.status == HTTPStatus.UNAUTHORIZED  # the rotation on B holds on A

    update = {**SERVICE_CLIENT, "client_id": body["client_id"], "client_name": "Renamed on A"}
    updated = request(a.url, "PUT", path, headers=_bearer(rotated), json_body=update)
    assert updated.status == HTTPStatus.OK, updated.body
    assert updated.json()["client_name"] == "Renamed on A"

    latest = updated.json()["registration_access_token"]
    assert request(b.url, "DELETE", path, headers=_bearer(latest)).status == HTTPStatus.NO_CONTENT
    assert request(a.url, "GET", path, headers=_bearer(latest)).status == HTTPStatus.UNAUTHORIZED
    assert not Client.objects.filter(client_id=body["client_id"]).exists()


def test_rfc7592_2_1_a_rotation_race_across_the_two_servers_has_one_winner(
    two: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two
    body = request(a.url, "POST", REGISTER, json_body=SERVICE_CLIENT).json()
    path = f"{REGISTER}/{body['client_id']}"
    token = _bearer(body["registration_access_token"])

    answers = run_parallel(
        12, lambda i: request((a if i % 2 else b).url, "GET", path, headers=token)
    )

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.OK: 1, HTTPStatus.UNAUTHORIZED: 11}, statuses


def test_the_per_address_limit_is_shared_by_the_two_servers(
    two: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two
    _away_from_a_window_edge()

    statuses = [
        request(server.url, "POST", REGISTER, json_body=SERVICE_CLIENT).status
        for server in (a, b, a, b, a, b, a, b)
    ]

    assert statuses == [HTTPStatus.CREATED] * 6 + [HTTPStatus.TOO_MANY_REQUESTS] * 2


@pytest.fixture
def jwks_server(ec_key: KeyPair) -> Iterator[JWKSServer]:
    server = JWKSServer()
    server.document = ec_key.jwks
    yield server
    server.stop()


def test_replay_ids_and_the_key_set_cache_are_shared_by_the_two_servers(
    two: tuple[LiveServer, LiveServer],
    workspace: Workspace,
    ec_key: KeyPair,
    jwks_server: JWKSServer,
) -> None:
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(signed_request=KeySetChange(jwks_uri=jwks_server.url)),
    )
    a, b = two
    signed = ec_key.sign(request_claims(SERVICE_CLIENT)).encode()
    jwt_type = {"Content-Type": "application/jwt"}

    first = request(a.url, "POST", REGISTER, headers=jwt_type, body=signed)
    replay = request(b.url, "POST", REGISTER, headers=jwt_type, body=signed)
    fresh = ec_key.sign(request_claims(SERVICE_CLIENT)).encode()
    other = request(b.url, "POST", REGISTER, headers=jwt_type, body=fresh)

    assert first.status == HTTPStatus.CREATED, first.body
    assert replay.status == HTTPStatus.BAD_REQUEST
    assert "jti" in replay.json()["error_description"]
    assert other.status == HTTPStatus.CREATED, other.body
    assert jwks_server.hits == 1, "B verified with the key set A cached in Redis"
