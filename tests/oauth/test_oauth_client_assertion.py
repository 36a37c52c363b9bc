"""JWT client authentication: private_key_jwt and client_secret_jwt (RFC 7523 §2.2, §3; OIDC Core §9)."""

from __future__ import annotations

import time
import uuid
from http import HTTPStatus
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client as HttpClient
from jwt.algorithms import ECAlgorithm

from registration.models import Client
from tenants.models import Workspace
from tests.helpers import post_json

TOKEN = "/default/default/oauth2/token"
ISSUER = "http://testserver/default/default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def client_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def key_client(api: HttpClient, workspace: Workspace, client_key: Any) -> dict[str, Any]:
    jwk = {**ECAlgorithm.to_jwk(client_key.public_key(), as_dict=True), "kid": "c1", "alg": "ES256"}
    response = post_json(
        api,
        "/default/default/oauth2/register",
        {
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [jwk]},
        },
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


def _assertion(client_id: str, key: Any, alg: str = "ES256", **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{ISSUER}/oauth2/token",
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": "c1"})


def _token(api: HttpClient, assertion: str, **extra: str) -> Any:
    return api.post(
        TOKEN,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
            **extra,
        },
    )


def test_private_key_jwt_authenticates_rfc7523_2_2(
    api: HttpClient, key_client: dict[str, Any], client_key: Any
) -> None:
    response = _token(api, _assertion(key_client["client_id"], client_key))

    assert response.status_code == HTTPStatus.OK, response.content
    assert "client_secret" not in key_client


@pytest.mark.parametrize("aud", [ISSUER, [f"{ISSUER}/oauth2/token", "https://other.example"]])
def test_issuer_or_token_endpoint_as_audience_rfc7523_3(
    api: HttpClient, key_client: dict[str, Any], client_key: Any, aud: Any
) -> None:
    response = _token(api, _assertion(key_client["client_id"], client_key, aud=aud))

    assert response.status_code == HTTPStatus.OK


def test_replayed_assertion_is_refused_rfc7523_3(
    api: HttpClient, key_client: dict[str, Any], client_key: Any
) -> None:
    assertion = _assertion(key_client["client_id"], client_key)

    assert _token(api, assertion).status_code == HTTPStatus.OK
    assert _token(api, assertion).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://someone-else.example/token"},
        {"exp": int(time.time()) - 600},
        {"jti": None},
        {"exp": None},
        {"sub": "someone-else"},
    ],
)
def test_bad_claims_are_refused_rfc7523_3(
    api: HttpClient, key_client: dict[str, Any], client_key: Any, claims: dict[str, Any]
) -> None:
    response = _token(api, _assertion(key_client["client_id"], client_key, **claims))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_assertion_signed_by_another_key_is_refused(
    api: HttpClient, key_client: dict[str, Any]
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())

    assert _token(api, _assertion(key_client["client_id"], stranger)).status_code == 401


def test_alg_none_and_hmac_with_the_public_key_are_refused_rfc8725_3_1(
    api: HttpClient, key_client: dict[str, Any]
) -> None:
    unsigned = _assertion(key_client["client_id"], None, alg="none")
    jwk_text = str(key_client["jwks"]["keys"][0])
    hmac_forged = _assertion(key_client["client_id"], jwk_text, alg="HS256")

    assert _token(api, unsigned).status_code == HTTPStatus.UNAUTHORIZED
    assert _token(api, hmac_forged).status_code == HTTPStatus.UNAUTHORIZED


def test_wrong_assertion_type_is_refused_rfc7521_4_2(
    api: HttpClient, key_client: dict[str, Any], client_key: Any
) -> None:
    response = api.post(
        TOKEN,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:example:other",
            "client_assertion": _assertion(key_client["client_id"], client_key),
        },
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_client_secret_jwt_authenticates_oidc_core_9(api: HttpClient, workspace: Workspace) -> None:
    body = post_json(
        api,
        "/default/default/oauth2/register",
        {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_jwt"},
    ).json()

    good = _token(api, _assertion(body["client_id"], body["client_secret"], alg="HS256"))
    bad = _token(api, _assertion(body["client_id"], "not-the-secret-" * 3, alg="HS256"))

    assert good.status_code == HTTPStatus.OK, good.content
    assert bad.status_code == HTTPStatus.UNAUTHORIZED


def test_secret_client_cannot_switch_to_an_assertion_rfc7591_2(
    api: HttpClient, service_client: dict[str, Any]
) -> None:
    assertion = _assertion(
        service_client["client_id"], service_client["client_secret"], alg="HS256"
    )

    assert _token(api, assertion).status_code == HTTPStatus.UNAUTHORIZED


def test_jwks_uri_at_a_private_address_is_not_fetched_rfc7591_5(
    api: HttpClient, key_client: dict[str, Any], client_key: Any, settings: Any
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    client = Client.objects.get(client_id=key_client["client_id"])
    metadata = dict(client.metadata)
    metadata.pop("jwks")
    metadata["jwks_uri"] = "https://127.0.0.1:9/jwks.json"
    Client.objects.filter(pk=client.pk).update(metadata=metadata)

    response = _token(api, _assertion(key_client["client_id"], client_key))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_discovery_lists_the_signing_algorithms_rfc8414_2(
    api: HttpClient, workspace: Workspace
) -> None:
    document = api.get("/default/default/.well-known/openid-configuration").json()

    algs = document["token_endpoint_auth_signing_alg_values_supported"]
    assert "ES256" in algs and "HS256" in algs
    assert "none" not in algs
    assert {"private_key_jwt", "client_secret_jwt"} <= set(
        document["token_endpoint_auth_methods_supported"]
    )
