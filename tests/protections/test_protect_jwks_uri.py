"""Software statements and signed request bodies verified against a JWKS **URI** (RFC 7591 §2.3,
RFC 7517 §5), end to end through ``POST /default/default/oauth2/register``.

The JWKS is served by a real HTTP server on 127.0.0.1 whose document and ``Cache-Control`` can be
changed while it runs and which counts its hits: the cache (RFC 9111 max-age), a key rotation at
the issuer (one refetch for an unknown ``kid``), the refetch cooldown for a bogus ``kid``, an
outage bridged by the cached keys, and an unreachable URI that is never revealed to the client.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.test import Client as HttpClient
from jwt.algorithms import RSAAlgorithm

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.intake import software_statement_keys
from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tenants.services import workspace_create
from tests.helpers import SERVICE_CLIENT, post_json
from tests.protections.conftest import KeyPair, request_claims, statement_claims
from tests.servers import JWKSServer

REGISTER = "/default/default/oauth2/register"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rotated_key() -> KeyPair:
    """The issuer's next key: a different RSA key under a new kid."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(
        private, RSAAlgorithm.to_jwk(private.public_key(), as_dict=True), "RS256", "rsa-2"
    )


@pytest.fixture
def statement_uri(workspace: Workspace, jwks_server: JWKSServer, rsa_key: KeyPair) -> JWKSServer:
    """default/default requires software statements verified by ``jwks_server``'s keys."""
    jwks_server.document = rsa_key.jwks
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(software_statement=KeySetChange(jwks_uri=jwks_server.url)),
    )
    return jwks_server


def _register_with(api: HttpClient, statement: str, path: str = REGISTER) -> Any:
    return post_json(api, path, {**SERVICE_CLIENT, "software_statement": statement})


def _refused_statement(response: Any) -> str:
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert body["error"] == "invalid_software_statement"
    description: str = body["error_description"]
    return description


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- software statement (RFC 7591 §2.3) ----------------------------------------------------------
def test_rfc7591_2_3_statement_verifies_against_the_jwks_uri(
    api: HttpClient, statement_uri: JWKSServer, rsa_key: KeyPair
) -> None:
    response = _register_with(api, rsa_key.sign(statement_claims(client_name="From URI")))

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["client_name"] == "From URI"
    assert statement_uri.hits == 1


def test_rfc9111_second_registration_uses_the_cached_keys(
    api: HttpClient, statement_uri: JWKSServer, rsa_key: KeyPair
) -> None:
    for _ in range(3):
        response = _register_with(api, rsa_key.sign(statement_claims()))
        assert response.status_code == HTTPStatus.CREATED, response.content

    assert statement_uri.hits == 1


def test_rfc7517_4_5_issuer_key_rotation_is_picked_up_after_one_refetch(
    api: HttpClient, statement_uri: JWKSServer, rsa_key: KeyPair, rotated_key: KeyPair
) -> None:
    assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201
    statement_uri.document = rotated_key.jwks  # the issuer rotates: the old kid is gone

    first = _register_with(api, rotated_key.sign(statement_claims()))
    second = _register_with(api, rotated_key.sign(statement_claims()))

    assert first.status_code == HTTPStatus.CREATED, first.content
    assert second.status_code == HTTPStatus.CREATED, second.content
    assert statement_uri.hits == 2  # the first fetch plus exactly one refetch


def test_rfc8725_bogus_kid_does_not_cause_a_fetch_per_request(
    api: HttpClient, statement_uri: JWKSServer, rsa_key: KeyPair
) -> None:
    assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201

    for _ in range(5):
        description = _refused_statement(
            _register_with(api, rsa_key.sign(statement_claims(), kid="bogus"))
        )
        assert statement_uri.url not in description

    assert statement_uri.hits == 2  # one refetch for the unknown kid, then the cooldown holds
    assert Client.objects.count() == 1
    # The known key still verifies while the cooldown runs.
    assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201
    assert statement_uri.hits == 2


def test_no_store_jwks_is_still_used_for_the_minimum_lifetime(
    api: HttpClient, statement_uri: JWKSServer, rsa_key: KeyPair
) -> None:
    """RFC 9111 §5.2.2: no-store/no-cache is clamped to the minimum TTL, not a fetch per use."""
    statement_uri.cache_control = "no-store"

    for _ in range(2):
        assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201

    assert statement_uri.hits == 1


def test_jwks_uri_outage_is_bridged_by_the_cached_keys(
    api: HttpClient, statement_uri: JWKSServer, rsa_key: KeyPair
) -> None:
    assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201
    statement_uri.stop()

    response = _register_with(api, rsa_key.sign(statement_claims()))

    assert response.status_code == HTTPStatus.CREATED, response.content


def test_jwks_uri_outage_after_the_fresh_copy_expired_falls_back_to_the_stale_copy(
    api: HttpClient, workspace: Workspace, statement_uri: JWKSServer, rsa_key: KeyPair
) -> None:
    assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201
    statement_uri.stop()
    dcr = DCRSettings.objects.get(workspace=workspace)  # not the fixture's cached relation
    fresh_key = software_statement_keys(dcr)._cache_key("fresh")
    assert cache.get(fresh_key) is not None
    cache.delete(fresh_key)  # the max-age has run out

    response = _register_with(api, rsa_key.sign(statement_claims()))

    assert response.status_code == HTTPStatus.CREATED, response.content


def test_unreachable_uri_never_fetched_is_refused_without_revealing_it(
    api: HttpClient, db: None, rsa_key: KeyPair
) -> None:
    """RFC 7591 §3.2.2 invalid_software_statement; the configured URI stays the server's."""
    fresh = workspace_create(tenant_slug="fresh", workspace_slug="unreachable")
    uri = f"http://127.0.0.1:{_unused_port()}/private-directory/jwks.json"
    dcr_configure(
        workspace=fresh,
        change=SettingsChange(enabled=True, software_statement=KeySetChange(jwks_uri=uri)),
    )

    response = _register_with(
        api, rsa_key.sign(statement_claims()), path=f"{fresh.path}/oauth2/register"
    )

    description = _refused_statement(response)
    assert uri not in description
    assert "127.0.0.1" not in description and "private-directory" not in description
    assert not Client.objects.filter(workspace=fresh).exists()


def test_jwks_uri_key_sets_are_cached_per_workspace(
    api: HttpClient,
    statement_uri: JWKSServer,
    other_workspace: Workspace,
    rsa_key: KeyPair,
    rotated_key: KeyPair,
) -> None:
    """A second workspace with its own URI never sees the first one's cached keys."""
    assert _register_with(api, rsa_key.sign(statement_claims())).status_code == 201
    other = JWKSServer()
    try:
        other.document = rotated_key.jwks
        dcr_configure(
            workspace=other_workspace,
            change=SettingsChange(software_statement=KeySetChange(jwks_uri=other.url)),
        )
        path = f"{other_workspace.path}/oauth2/register"

        wrong = _register_with(api, rsa_key.sign(statement_claims(), kid="rsa-2"), path=path)
        right = _register_with(api, rotated_key.sign(statement_claims()), path=path)

        _refused_statement(wrong)
        assert right.status_code == HTTPStatus.CREATED, right.content
        assert other.hits == 1
    finally:
        other.stop()


# -- signed request body ------------------------------------------------------------------------
@pytest.fixture
def request_uri(workspace: Workspace, jwks_server: JWKSServer, ec_key: KeyPair) -> JWKSServer:
    jwks_server.document = ec_key.jwks
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(signed_request=KeySetChange(jwks_uri=jwks_server.url)),
    )
    return jwks_server


def _post_jwt(api: HttpClient, token: str, path: str = REGISTER) -> Any:
    return api.generic("POST", path, token.encode(), content_type="application/jwt")


def test_signed_request_body_verifies_against_the_jwks_uri_and_is_cached(
    api: HttpClient, request_uri: JWKSServer, ec_key: KeyPair
) -> None:
    for name in ("First", "Second"):
        token = ec_key.sign(request_claims({**SERVICE_CLIENT, "client_name": name}))
        response = _post_jwt(api, token)
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert response.json()["client_name"] == name

    assert request_uri.hits == 1


def test_signed_request_key_rotation_and_outage(
    api: HttpClient, request_uri: JWKSServer, ec_key: KeyPair, rsa_key: KeyPair
) -> None:
    assert _post_jwt(api, ec_key.sign(request_claims(SERVICE_CLIENT))).status_code == 201
    request_uri.document = {"keys": [ec_key.public_jwk, rsa_key.public_jwk]}

    rotated = _post_jwt(api, rsa_key.sign(request_claims(SERVICE_CLIENT)))
    request_uri.stop()
    during_outage = _post_jwt(api, rsa_key.sign(request_claims(SERVICE_CLIENT)))

    assert rotated.status_code == HTTPStatus.CREATED, rotated.content
    assert during_outage.status_code == HTTPStatus.CREATED, during_outage.content
    assert request_uri.hits == 2


def test_signed_request_bogus_kid_is_refused_without_a_fetch_per_request(
    api: HttpClient, request_uri: JWKSServer, ec_key: KeyPair
) -> None:
    assert _post_jwt(api, ec_key.sign(request_claims(SERVICE_CLIENT))).status_code == 201

    for _ in range(4):
        response = _post_jwt(api, ec_key.sign(request_claims(SERVICE_CLIENT), kid="bogus"))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["error"] == "invalid_client_metadata"

    assert request_uri.hits == 2
    assert Client.objects.count() == 1


def test_signed_request_unreachable_uri_is_refused_without_revealing_it(
    api: HttpClient, db: None, ec_key: KeyPair
) -> None:
    fresh = workspace_create(tenant_slug="fresh", workspace_slug="signed")
    uri = f"http://127.0.0.1:{_unused_port()}/private-directory/jwks.json"
    dcr_configure(
        workspace=fresh,
        change=SettingsChange(enabled=True, signed_request=KeySetChange(jwks_uri=uri)),
    )

    response = _post_jwt(
        api, ec_key.sign(request_claims(SERVICE_CLIENT)), path=f"{fresh.path}/oauth2/register"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_client_metadata"
    assert "private-directory" not in response.json()["error_description"]
    assert not Client.objects.filter(workspace=fresh).exists()
