"""Protect by access token: registration needs a Bearer token with dcr_register (seed, RFC 7591 §3)."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from oauth2_provider.models import AccessToken

from registration.models import Client, DCRSettings
from registration.services import registrar_create
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, basic, bearer, post_json

REGISTER = "/default/default/oauth2/register"


def _registrar(label: str = "default/default") -> dict[str, Any]:
    out = io.StringIO()
    call_command("dcr", "registrar", label, stdout=out)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _token(api: HttpClient, registrar: dict[str, Any], scope: str = "dcr_register") -> str:
    path = registrar["token_endpoint"].removeprefix("http://127.0.0.1:8000")
    response = api.post(
        path,
        {"grant_type": "client_credentials", "scope": scope},
        **basic(registrar["client_id"], registrar["client_secret"]),
    )
    assert response.status_code == HTTPStatus.OK, response.content
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def protected(workspace: Workspace) -> Workspace:
    DCRSettings.objects.filter(workspace=workspace).update(protect_by_access_token=True)
    return workspace


@pytest.fixture
def registrar(protected: Workspace) -> dict[str, Any]:
    return _registrar()


def test_registrar_prints_credentials_and_token_endpoint_contract(workspace: Workspace) -> None:
    data = _registrar()

    assert set(data) == {"client_id", "client_secret", "token_endpoint"}
    assert data["token_endpoint"] == "http://127.0.0.1:8000/default/default/oauth2/token"
    client = Client.objects.get(client_id=data["client_id"])
    assert client.scope == "dcr_register"
    assert client.grant_types == ["client_credentials"]
    assert client.registration_source == "manual"


def test_registration_with_the_token_succeeds_and_terminates_it_seed(
    api: HttpClient, registrar: dict[str, Any]
) -> None:
    token = _token(api, registrar)

    first = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))
    second = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))

    assert first.status_code == HTTPStatus.CREATED, first.content
    assert second.status_code == HTTPStatus.UNAUTHORIZED
    assert second.json()["error"] == "invalid_token"
    assert second["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("authorization", [None, "Basic abc"])
def test_no_bearer_credentials_is_the_bare_challenge_rfc6750_3_1(
    api: HttpClient, protected: Workspace, authorization: str | None
) -> None:
    """RFC 6750 §3.1: a request that lacks credentials (or tries another scheme) gets no error
    code in the challenge; the JSON body keeps invalid_token (RFC 7592 §2)."""
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = post_json(api, REGISTER, SERVICE_CLIENT, **extra)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"] == 'Bearer realm="default/default"'
    assert not Client.objects.filter(registration_source="dcr").exists()


@pytest.mark.parametrize("authorization", ["Bearer unknown-token", "Bearer", "bearer  x y"])
def test_a_bad_bearer_token_is_401_invalid_token_rfc6750_3_1(
    api: HttpClient, protected: Workspace, authorization: str | None
) -> None:
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = post_json(api, REGISTER, SERVICE_CLIENT, **extra)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert not Client.objects.filter(registration_source="dcr").exists()


def test_expired_token_is_401_rfc6750_3_1(api: HttpClient, registrar: dict[str, Any]) -> None:
    token = _token(api, registrar)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_revoked_token_is_401_rfc7009_2_1(api: HttpClient, registrar: dict[str, Any]) -> None:
    token = _token(api, registrar)
    revoked = api.post(
        "/default/default/oauth2/revoke",
        {"token": token},
        **basic(registrar["client_id"], registrar["client_secret"]),
    )
    assert revoked.status_code == HTTPStatus.OK

    response = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_token_without_dcr_register_is_403_insufficient_scope_rfc6750_3_1(
    api: HttpClient, protected: Workspace
) -> None:
    client, secret = registrar_create(workspace=protected, name="plain")
    Client.objects.filter(pk=client.pk).update(scope="openid")
    token = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials", "scope": "openid"},
        **basic(client.client_id, secret),
    ).json()["access_token"]

    response = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "insufficient_scope"


def test_token_of_another_workspace_is_401(
    api: HttpClient, protected: Workspace, other_workspace: Workspace
) -> None:
    foreign = _registrar("acme/prod")
    token = _token(api, foreign)

    response = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_failed_registration_does_not_consume_the_token(
    api: HttpClient, registrar: dict[str, Any]
) -> None:
    token = _token(api, registrar)

    refused = post_json(api, REGISTER, {"grant_types": ["password"]}, **bearer(token))
    accepted = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token))

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert accepted.status_code == HTTPStatus.CREATED


def test_dcr_register_is_never_granted_to_a_registered_client(
    api: HttpClient, registrar: dict[str, Any]
) -> None:
    token = _token(api, registrar)

    body = post_json(
        api, REGISTER, {**SERVICE_CLIENT, "scope": "dcr_register openid"}, **bearer(token)
    ).json()

    assert body["scope"] == "openid"


def test_unprotected_workspace_ignores_bearer_header(api: HttpClient, workspace: Workspace) -> None:
    response = post_json(api, REGISTER, SERVICE_CLIENT, **bearer("whatever"))

    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_registrations_with_one_token_exactly_one_succeeds(
    workspace: Workspace,
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(protect_by_access_token=True)
    token = _token(HttpClient(), _registrar())
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            response = post_json(HttpClient(), REGISTER, SERVICE_CLIENT, **bearer(token))
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [HTTPStatus.CREATED] + [HTTPStatus.UNAUTHORIZED] * 9
    assert Client.objects.filter(registration_source="dcr").count() == 1
