"""Signed request body: application/jwt (or application/jose) verified against the workspace keys."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import Client
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json
from tests.protections.conftest import KeyPair, request_claims, statement_claims

REGISTER = "/default/default/oauth2/register"
AUDIENCE = "http://testserver/default/default"


def _post_jwt(api: HttpClient, token: str, content_type: str = "application/jwt") -> Any:
    return api.generic("POST", REGISTER, token.encode(), content_type=content_type)


@pytest.fixture
def request_key(workspace: Workspace, ec_key: KeyPair) -> KeyPair:
    dcr_configure(
        workspace=workspace, change=SettingsChange(signed_request=KeySetChange(jwks=ec_key.jwks))
    )
    return ec_key


@pytest.mark.parametrize("content_type", ["application/jwt", "application/jose"])
def test_signed_body_registers_the_payload(
    api: HttpClient, request_key: KeyPair, content_type: str
) -> None:
    token = request_key.sign(request_claims({**SERVICE_CLIENT, "client_name": "Signed"}))

    response = _post_jwt(api, token, content_type)

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["client_name"] == "Signed"
    assert "jti" not in body and "exp" not in body


def test_plain_json_is_refused_with_a_message_that_says_so(
    api: HttpClient, request_key: KeyPair
) -> None:
    response = post_json(api, REGISTER, SERVICE_CLIENT)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "signed request body" in response.json()["error_description"]
    assert not Client.objects.exists()


def test_jti_is_never_accepted_twice_rfc7519_4_1_7(api: HttpClient, request_key: KeyPair) -> None:
    token = request_key.sign(request_claims(SERVICE_CLIENT))

    assert _post_jwt(api, token).status_code == HTTPStatus.CREATED
    replay = _post_jwt(api, token)

    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert "jti" in replay.json()["error_description"]
    assert Client.objects.count() == 1


@pytest.mark.parametrize(
    "claims_change",
    [
        {"exp": None},  # exp is required
        {"exp": 1},  # expired
        {"aud": "https://someone-else.example"},  # aud must name this server
    ],
)
def test_bad_signed_bodies_are_refused(
    api: HttpClient, request_key: KeyPair, claims_change: dict[str, Any]
) -> None:
    claims = request_claims(SERVICE_CLIENT)
    for name, value in claims_change.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value

    response = _post_jwt(api, request_key.sign(claims))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.exists()


@pytest.mark.parametrize("aud", [AUDIENCE, f"{AUDIENCE}/oauth2/register", [AUDIENCE, "x"]])
def test_aud_may_name_the_issuer_or_the_endpoint(
    api: HttpClient, request_key: KeyPair, aud: Any
) -> None:
    response = _post_jwt(api, request_key.sign(request_claims(SERVICE_CLIENT, aud=aud)))

    assert response.status_code == HTTPStatus.CREATED, response.content


def test_wrong_key_is_refused(api: HttpClient, request_key: KeyPair, rsa_key: KeyPair) -> None:
    response = _post_jwt(api, rsa_key.sign(request_claims(SERVICE_CLIENT), kid=request_key.kid))

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_signed_body_to_a_workspace_without_keys_is_415(
    api: HttpClient, workspace: Workspace, ec_key: KeyPair
) -> None:
    response = _post_jwt(api, ec_key.sign(request_claims(SERVICE_CLIENT)))

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def test_all_three_protections_together(
    api: HttpClient, workspace: Workspace, ec_key: KeyPair, rsa_key: KeyPair
) -> None:
    import io
    import json

    from django.core.management import call_command

    dcr_configure(
        workspace=workspace,
        change=SettingsChange(
            protect_by_access_token=True,
            software_statement=KeySetChange(jwks=rsa_key.jwks),
            signed_request=KeySetChange(jwks=ec_key.jwks),
        ),
    )
    out = io.StringIO()
    call_command("dcr", "registrar", "default/default", stdout=out)
    registrar = json.loads(out.getvalue())
    from tests.helpers import basic

    access_token = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials", "scope": "dcr_register"},
        **basic(registrar["client_id"], registrar["client_secret"]),
    ).json()["access_token"]
    statement = rsa_key.sign(statement_claims(client_name="From the directory"))
    body = ec_key.sign(request_claims({**SERVICE_CLIENT, "software_statement": statement}))

    response = api.generic(
        "POST",
        REGISTER,
        body.encode(),
        content_type="application/jwt",
        HTTP_AUTHORIZATION=f"Bearer {access_token}",
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["client_name"] == "From the directory"


def test_lone_surrogate_in_a_signed_body_is_a_400_not_a_500_rfc8259_8_2(
    api: HttpClient, request_key: KeyPair
) -> None:
    """Claims become stored metadata, so JWS payloads meet the request body's strict JSON."""
    token = request_key.sign(request_claims({**SERVICE_CLIENT, "client_name": "bad \ud800 name"}))

    response = _post_jwt(api, token)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.exists()
