"""Protected by software statement (seed; RFC 7591 §2.3, §3.1.1)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import Client
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, bearer, post_json, put_json
from tests.protections.conftest import KeyPair, statement_claims

REGISTER = "/default/default/oauth2/register"


@pytest.fixture
def statement_key(workspace: Workspace, rsa_key: KeyPair) -> KeyPair:
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(software_statement=KeySetChange(jwks=rsa_key.jwks)),
    )
    return rsa_key


def test_statement_is_required_rfc7591_2_3(api: HttpClient, statement_key: KeyPair) -> None:
    response = post_json(api, REGISTER, SERVICE_CLIENT)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_software_statement"
    assert not Client.objects.exists()


def test_statement_claims_win_over_json_values_rfc7591_2_3(
    api: HttpClient, statement_key: KeyPair
) -> None:
    statement = statement_key.sign(
        statement_claims(client_name="Directory Name", software_id="4NRB1-0XZABZI9E6-5SM3R")
    )

    response = post_json(
        api,
        REGISTER,
        {**SERVICE_CLIENT, "client_name": "Self-chosen name", "software_statement": statement},
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["client_name"] == "Directory Name"
    assert body["software_id"] == "4NRB1-0XZABZI9E6-5SM3R"
    # RFC 7591 §3.2.1: the statement is returned as received.
    assert body["software_statement"] == statement
    assert "iss" not in body and "exp" not in body


@pytest.mark.parametrize("family", ["ec_key", "ed_key"])
def test_ec_and_eddsa_statements_verify_rfc7515(
    api: HttpClient, workspace: Workspace, family: str, request: pytest.FixtureRequest
) -> None:
    key: KeyPair = request.getfixturevalue(family)
    dcr_configure(
        workspace=workspace, change=SettingsChange(software_statement=KeySetChange(jwks=key.jwks))
    )

    response = post_json(
        api, REGISTER, {**SERVICE_CLIENT, "software_statement": key.sign(statement_claims())}
    )

    assert response.status_code == HTTPStatus.CREATED, response.content


def _bad_statements(key: KeyPair, other: KeyPair) -> list[Any]:
    claims = statement_claims()
    return [
        "not-a-jwt",
        42,
        other.sign(claims, kid=key.kid),  # signed by a key the workspace does not trust
        key.sign({k: v for k, v in claims.items() if k != "iss"}),  # iss is required
        key.sign(statement_claims(exp=1)),  # expired
        key.sign(statement_claims(nbf=2_000_000_000 * 2)),  # not yet valid
        jwt_none(claims),
    ]


def jwt_none(claims: dict[str, Any]) -> str:
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize("index", range(7))
def test_invalid_statements_are_refused_rfc7591_3_2_2(
    api: HttpClient, statement_key: KeyPair, ec_key: KeyPair, index: int
) -> None:
    statement = _bad_statements(statement_key, ec_key)[index]

    response = post_json(api, REGISTER, {**SERVICE_CLIENT, "software_statement": statement})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_software_statement"
    assert response.json()["error_description"]
    assert not Client.objects.exists()


def test_statement_is_ignored_without_configured_keys_rfc7591_2_3(
    api: HttpClient, workspace: Workspace, rsa_key: KeyPair
) -> None:
    statement = rsa_key.sign(statement_claims(client_name="Unverified"))

    body = post_json(
        api, REGISTER, {**SERVICE_CLIENT, "client_name": "Mine", "software_statement": statement}
    ).json()

    assert body["client_name"] == "Mine"
    assert "software_statement" not in body


def test_update_also_needs_a_valid_statement_rfc7592_2_2(
    api: HttpClient, statement_key: KeyPair
) -> None:
    statement = statement_key.sign(statement_claims(client_name="Directory Name"))
    created = post_json(api, REGISTER, {**SERVICE_CLIENT, "software_statement": statement}).json()
    uri = f"{REGISTER}/{created['client_id']}"
    token = created["registration_access_token"]

    without = put_json(
        api, uri, {"client_id": created["client_id"], **SERVICE_CLIENT}, **bearer(token)
    )
    assert without.status_code == HTTPStatus.BAD_REQUEST
    assert without.json()["error"] == "invalid_software_statement"

    with_statement = put_json(
        api,
        uri,
        {"client_id": created["client_id"], **SERVICE_CLIENT, "software_statement": statement},
        **bearer(token),
    )
    assert with_statement.status_code == HTTPStatus.OK, with_statement.content
    assert with_statement.json()["client_name"] == "Directory Name"
