"""The token endpoint with client credentials: client authentication, grants and scopes."""

from __future__ import annotations

import base64
from http import HTTPStatus
from typing import Any
from urllib.parse import quote_plus

import pytest
from oauth2_provider.models import AccessToken
from oauth2_provider.signals import app_authorized

from registration.models import Client
from tests.helpers import basic, ws_url

CC = {"grant_type": "client_credentials"}


def quoted_basic(client_id: str, secret: str) -> dict[str, str]:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined for HTTP Basic."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


@pytest.fixture
def post_client(register) -> dict[str, Any]:
    """A client_credentials client that authenticates with client_secret_post."""
    response = register(
        {
            "client_name": "Posting service",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_post",
        }
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


def body_auth(client: dict[str, Any]) -> dict[str, str]:
    return {"client_id": client["client_id"], "client_secret": client["client_secret"]}


def test_client_credentials_with_basic_rfc6749_4_4(token_request, service_client):
    """RFC 6749 §4.4.3: a confidential client authenticated with HTTP Basic gets a token."""
    response = token_request(
        CC, **basic(service_client["client_id"], service_client["client_secret"])
    )
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    assert body["expires_in"] > 0
    # RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
    assert "refresh_token" not in body
    assert (
        AccessToken.objects.filter(application__client_id=service_client["client_id"]).count() == 1
    )


def test_basic_credentials_are_form_urlencoded_rfc6749_2_3_1(token_request, service_client):
    """RFC 6749 §2.3.1: id and secret are encoded with application/x-www-form-urlencoded."""
    headers = quoted_basic(service_client["client_id"], service_client["client_secret"])
    response = token_request(CC, **headers)
    assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("secret", ["a+b c", "colon:in:secret", "100%/sure&=?", "ünïcødé"])
def test_secret_with_reserved_characters_rfc6749_2_3_1(token_request, service_client, secret):
    """RFC 6749 §2.3.1: a secret with reserved characters works once form-urlencoded."""
    client = Client.objects.get(client_id=service_client["client_id"])
    client.set_client_secret(secret, expires_at=None)
    client.save()
    response = token_request(CC, **quoted_basic(client.client_id, secret))
    assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("which", ["secret", "id"])
def test_bad_credentials_are_invalid_client_rfc6749_5_2(token_request, service_client, which):
    """RFC 6749 §5.2: failed client authentication is 401 invalid_client."""
    client_id = service_client["client_id"] if which == "secret" else "no-such-client"
    secret = "wrong-secret" if which == "secret" else service_client["client_secret"]
    response = token_request(CC, **basic(client_id, secret))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    # RFC 6749 §5.2: the challenge matches the scheme the client used.
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert not AccessToken.objects.exists()


def test_no_credentials_is_invalid_client_rfc6749_5_2(token_request, service_client):
    """RFC 6749 §5.2: a request without client authentication is invalid_client."""
    response = token_request(CC)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_client_secret_post_authenticates_in_body_rfc6749_2_3_1(token_request, post_client):
    """RFC 6749 §2.3.1 / RFC 7591 §2: a client_secret_post client sends its secret in the body."""
    response = token_request({**CC, **body_auth(post_client)})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["access_token"]


@pytest.mark.parametrize("style", ["basic", "quoted_basic"])
def test_client_secret_post_client_cannot_use_basic_rfc7591_2(token_request, post_client, style):
    """RFC 7591 §2: token_endpoint_auth_method binds the client to its registered method."""
    make = basic if style == "basic" else quoted_basic
    response = token_request(CC, **make(post_client["client_id"], post_client["client_secret"]))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_client_secret_basic_client_cannot_use_body_rfc7591_2(token_request, service_client):
    """RFC 7591 §2 / RFC 6749 §2.3.1: a client_secret_basic client may not put its secret in the body."""
    response = token_request({**CC, **body_auth(service_client)})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_client_with_several_grant_types_uses_client_credentials_rfc7591_2(register, token_request):
    """RFC 7591 §2: grant_types is a list; every registered grant type is usable."""
    response = register(
        {
            "client_name": "Hybrid",
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "redirect_uris": ["https://app.example.com/callback"],
        }
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    client = response.json()
    token = token_request(CC, **basic(client["client_id"], client["client_secret"]))
    assert token.status_code == HTTPStatus.OK, token.content


def test_grant_type_not_registered_is_unauthorized_client_rfc6749_5_2(token_request, registered):
    """RFC 6749 §5.2: unauthorized_client when the client may not use this grant type."""
    response = token_request(CC, **basic(registered["client_id"], registered["client_secret"]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unauthorized_client"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("scope", ["address", "dcr_register", "openid admin"])
def test_scope_not_granted_is_invalid_scope_rfc6749_5_2(token_request, service_client, scope):
    """RFC 6749 §5.2: invalid_scope for a scope beyond what the client was granted."""
    headers = basic(service_client["client_id"], service_client["client_secret"])
    response = token_request({**CC, "scope": scope}, **headers)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(None, {"openid", "profile", "email"}), ("openid email", {"openid", "email"})],
)
def test_token_scope_is_requested_or_registered_rfc6749_3_3(
    token_request, service_client, requested, expected
):
    """RFC 6749 §3.3: a narrower scope is honoured; none means the registered default."""
    data = CC if requested is None else {**CC, "scope": requested}
    headers = basic(service_client["client_id"], service_client["client_secret"])
    response = token_request(data, **headers)
    assert response.status_code == HTTPStatus.OK
    assert set(response.json()["scope"].split()) == expected


@pytest.mark.parametrize("outcome", ["success", "error"])
def test_token_response_is_not_cached_rfc6749_5_1(token_request, service_client, outcome):
    """RFC 6749 §5.1/§5.2: Cache-Control: no-store on token responses."""
    secret = service_client["client_secret"] if outcome == "success" else "wrong"
    response = token_request(CC, **basic(service_client["client_id"], secret))
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_token_endpoint_only_accepts_post_rfc6749_3_2(api, workspace, method):
    """RFC 6749 §3.2: "The client MUST use the HTTP POST method"; others are 405 JSON."""
    response = getattr(api, method)(ws_url(workspace, "/oauth2/token"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "invalid_request"
    assert "POST" in response["Allow"]


@pytest.mark.parametrize(
    "grant_type", ["urn:ietf:params:oauth:grant-type:jwt-bearer", "CLIENT_CREDENTIALS", "magic"]
)
def test_unsupported_grant_type_rfc6749_5_2(token_request, service_client, grant_type):
    """RFC 6749 §5.2: unsupported_grant_type for a grant the server does not offer."""
    headers = basic(service_client["client_id"], service_client["client_secret"])
    response = token_request({"grant_type": grant_type}, **headers)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_app_authorized_still_sent_to_a_connected_receiver(token_request, service_client):
    """The token view skips DOT's reload of the issued token only while nobody listens."""
    received: list[AccessToken] = []

    def receiver(sender: Any, request: Any, token: AccessToken, **kwargs: Any) -> None:
        received.append(token)

    app_authorized.connect(receiver)
    try:
        response = token_request(
            CC, **basic(service_client["client_id"], service_client["client_secret"])
        )
    finally:
        app_authorized.disconnect(receiver)

    assert response.status_code == HTTPStatus.OK
    assert [token.application.client_id for token in received] == [service_client["client_id"]]
