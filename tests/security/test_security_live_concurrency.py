"""Races over real HTTP: a live server (its own threads and connections), clients in threads.

RFC 7592 §2: one registration access token, many parallel reads: exactly one succeeds.
RFC 7591 §3 + the seed: one dcr_register access token, many parallel registrations: exactly one.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus
from typing import Any

import pytest

from registration.models import Client, DCRSettings, RegistrationAccessToken
from registration.services import registrar_create
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT
from tests.security.conftest import run_parallel

PARALLEL = 8

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _call(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _register(base: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    return _call(
        "POST",
        f"{base}/default/default/oauth2/register",
        body=json.dumps(SERVICE_CLIENT).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def test_parallel_reads_over_http_rotate_the_token_once_rfc7592_2_1(
    live_server: Any, workspace: Workspace
) -> None:
    status, created = _register(live_server.url)
    assert status == HTTPStatus.CREATED
    uri = f"{live_server.url}/default/default/oauth2/register/{created['client_id']}"
    bearer = {"Authorization": f"Bearer {created['registration_access_token']}"}

    results = run_parallel(PARALLEL, lambda _i: _call("GET", uri, headers=bearer))

    statuses = sorted(status for status, _ in results)
    assert statuses == [HTTPStatus.OK] + [HTTPStatus.UNAUTHORIZED] * (PARALLEL - 1)
    assert (
        RegistrationAccessToken.objects.filter(client__client_id=created["client_id"]).count() == 1
    )


def test_parallel_registrations_over_http_with_one_access_token_one_wins(
    live_server: Any, workspace: Workspace
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(protect_by_access_token=True)
    registrar, secret = registrar_create(workspace=workspace, name="registrar")
    basic = base64.b64encode(f"{registrar.client_id}:{secret}".encode()).decode()
    status, token = _call(
        "POST",
        f"{live_server.url}/default/default/oauth2/token",
        body=urllib.parse.urlencode(
            {"grant_type": "client_credentials", "scope": "dcr_register"}
        ).encode(),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == HTTPStatus.OK, token
    bearer = {"Authorization": f"Bearer {token['access_token']}"}

    results = run_parallel(PARALLEL, lambda _i: _register(live_server.url, bearer))

    statuses = sorted(status for status, _ in results)
    assert statuses == [HTTPStatus.CREATED] + [HTTPStatus.UNAUTHORIZED] * (PARALLEL - 1)
    assert Client.objects.filter(registration_source="dcr").count() == 1
