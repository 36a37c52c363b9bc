"""RFC 7662 token introspection at the workspace's introspection endpoint."""

from __future__ import annotations

import time
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from dcr_server.oauth.subjects import subject_for
from registration.models import Client
from tests.helpers import basic, bearer, ws_url
from tests.oauth.conftest import exchange

ISSUER = "http://testserver/default/default"


@pytest.fixture
def post_client(register) -> dict[str, Any]:
    response = register(
        {
            "client_name": "Posting resource server",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_post",
        }
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


def test_active_token_rfc7662_2_2(introspect, issue_token, service_client, resource_server):
    """RFC 7662 §2.2: an active token with scope, client_id, token_type, exp, iat and iss."""
    before = int(time.time())
    token = issue_token(service_client)
    response = introspect(token, client=resource_server)
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == "openid profile email"
    assert body["client_id"] == service_client["client_id"]
    assert body["token_type"] == "Bearer"
    assert body["iss"] == ISSUER
    assert before - 1 <= body["iat"] <= int(time.time()) + 1
    assert body["exp"] == pytest.approx(body["iat"] + 3600, abs=2)
    assert "sub" not in body  # client_credentials: no resource owner


def test_user_token_carries_subject_rfc7662_2_2(
    introspect, obtain_code, token_request, registered, resource_server, user, workspace
):
    """RFC 7662 §2.2: sub and username describe the resource owner who authorized the token."""
    code, verifier = obtain_code(registered["client_id"])
    access = exchange(token_request, registered, code, verifier).json()["access_token"]
    body = introspect(access, client=resource_server).json()
    assert body["active"] is True
    # Issue 14: the workspace's subject identifier, never the database id.
    assert body["sub"] == subject_for(workspace=workspace, user_pk=user.pk, client=None)
    assert body["sub"] != str(user.pk)
    assert body["username"] == "alice"
    assert body["client_id"] == registered["client_id"]


def test_refresh_token_introspection_rfc7662_2_1(
    api, workspace, obtain_code, token_request, registered, resource_server
):
    """RFC 7662 §2.1: token_type_hint refresh_token; a refresh token introspects as active."""
    code, verifier = obtain_code(registered["client_id"])
    refresh = exchange(token_request, registered, code, verifier).json()["refresh_token"]
    response = api.post(
        ws_url(workspace, "/oauth2/introspect"),
        data={"token": refresh, "token_type_hint": "refresh_token"},
        **basic(resource_server["client_id"], resource_server["client_secret"]),
    )
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == registered["client_id"]


@pytest.mark.parametrize("state", ["unknown", "expired", "revoked"])
def test_inactive_token_is_only_active_false_rfc7662_2_2(
    api, workspace, introspect, issue_token, service_client, resource_server, state
):
    """RFC 7662 §2.2: for an inactive token the response SHOULD NOT carry any other member."""
    token = issue_token(service_client)
    if state == "unknown":
        token = "no-such-token"
    elif state == "expired":
        AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    else:
        revoked = api.post(
            ws_url(workspace, "/oauth2/revoke"),
            data={"token": token},
            **basic(service_client["client_id"], service_client["client_secret"]),
        )
        assert revoked.status_code == HTTPStatus.OK
    response = introspect(token, client=resource_server)
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"active": False}


@pytest.mark.parametrize(
    "auth",
    ["none", "wrong-secret", "unknown-client", "bearer"],
)
def test_introspection_requires_client_authentication_rfc7662_2_1(
    api, workspace, issue_token, service_client, registered, auth
):
    """RFC 7662 §2.1: the endpoint MUST require authorization; failure is 401 (§2.3)."""
    token = issue_token(service_client)
    headers = {
        "none": {},
        "wrong-secret": basic(registered["client_id"], "wrong"),
        "unknown-client": basic("no-such-client", registered["client_secret"]),
        "bearer": bearer(token),
    }[auth]
    response = api.post(ws_url(workspace, "/oauth2/introspect"), data={"token": token}, **headers)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    body = response.json()
    assert body["error"] == "invalid_client"
    assert "active" not in body
    assert "WWW-Authenticate" in response


def test_public_client_cannot_introspect_rfc7662_2_1(
    api, workspace, register, issue_token, service_client
):
    """RFC 7662 §2.1 / discovery: only confidential clients authenticate at introspection."""
    response = register(
        {
            "client_name": "SPA",
            "grant_types": ["authorization_code"],
            "redirect_uris": ["https://app.example.com/callback"],
            "token_endpoint_auth_method": "none",
        }
    )
    public = response.json()
    token = issue_token(service_client)
    response = api.post(
        ws_url(workspace, "/oauth2/introspect"),
        data={"token": token, "client_id": public["client_id"]},
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_client_secret_post_introspects_rfc7662_2_1(api, workspace, token_request, post_client):
    """RFC 7662 §2.1 / RFC 6749 §2.3.1: a client_secret_post client authenticates in the body."""
    credentials = {
        "client_id": post_client["client_id"],
        "client_secret": post_client["client_secret"],
    }
    token = token_request({"grant_type": "client_credentials", **credentials}).json()
    response = api.post(
        ws_url(workspace, "/oauth2/introspect"),
        data={"token": token["access_token"], **credentials},
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["active"] is True


def test_missing_token_parameter_rfc7662_2_1(api, workspace, registered):
    """RFC 7662 §2.1: token is REQUIRED."""
    response = api.post(
        ws_url(workspace, "/oauth2/introspect"),
        data={},
        **basic(registered["client_id"], registered["client_secret"]),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("state", ["active", "inactive", "unauthenticated"])
def test_introspection_is_not_cached_rfc7662_2_2(
    api, workspace, introspect, issue_token, service_client, resource_server, state
):
    """RFC 7662 §2.2 (via RFC 6749 §5.1 practice): Cache-Control: no-store on every answer."""
    token = issue_token(service_client)
    if state == "unauthenticated":
        response = api.post(ws_url(workspace, "/oauth2/introspect"), data={"token": token})
    else:
        response = introspect(token if state == "active" else "nope", client=resource_server)
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("method", ["get", "put"])
def test_introspection_only_accepts_post_rfc7662_2_1(api, workspace, method):
    """RFC 7662 §2.1: "The protected resource calls the introspection endpoint using an HTTP POST"."""
    response = getattr(api, method)(ws_url(workspace, "/oauth2/introspect"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_inactive_refresh_token_is_only_active_false_rfc7662_2_2(
    api, workspace, obtain_code, token_request, registered, resource_server, state
):
    """RFC 7662 §2.2: an expired or revoked refresh token is exactly {"active": false}."""
    code, verifier = obtain_code(registered["client_id"])
    refresh = exchange(token_request, registered, code, verifier).json()["refresh_token"]
    if state == "expired":
        RefreshToken.objects.update(created=timezone.now() - timedelta(days=31))
    else:
        RefreshToken.objects.update(revoked=timezone.now())
    response = api.post(
        ws_url(workspace, "/oauth2/introspect"),
        data={"token": refresh, "token_type_hint": "refresh_token"},
        **basic(resource_server["client_id"], resource_server["client_secret"]),
    )
    assert response.json() == {"active": False}


def test_self_registered_client_sees_only_its_own_tokens_rfc7662_4(
    introspect, issue_token, service_client, register
):
    """RFC 7662 §4: a dynamically registered client learns active: true only for tokens issued
    to itself; another client's token is {"active": false} (it could probe tokens otherwise)."""
    other = register({"client_name": "Other", "grant_types": ["client_credentials"]}).json()
    token = issue_token(service_client)
    own = introspect(token, client=service_client).json()
    assert own["active"] is True
    assert own["client_id"] == service_client["client_id"]
    assert introspect(token, client=other).json() == {"active": False}


def test_self_registered_client_cannot_see_foreign_refresh_token_rfc7662_4(
    api, workspace, obtain_code, token_request, registered, service_client
):
    """RFC 7662 §4: the same for refresh tokens."""
    code, verifier = obtain_code(registered["client_id"])
    refresh = exchange(token_request, registered, code, verifier).json()["refresh_token"]
    response = api.post(
        ws_url(workspace, "/oauth2/introspect"),
        data={"token": refresh, "token_type_hint": "refresh_token"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )
    assert response.json() == {"active": False}


def test_resource_server_sees_every_token_of_its_workspace_rfc7662_4(
    introspect, issue_token, service_client, register, resource_server
):
    """RFC 7662 §4: a client created by an administrator (a resource server) may introspect
    any token of its workspace."""
    other = register({"client_name": "Other", "grant_types": ["client_credentials"]}).json()
    for client in (service_client, other):
        body = introspect(issue_token(client), client=resource_server).json()
        assert body["active"] is True
        assert body["client_id"] == client["client_id"]


@pytest.mark.parametrize("source", ["dcr", "cimd"])
def test_only_manual_clients_see_other_tokens_rfc7662_4(
    introspect, issue_token, service_client, resource_server, source
):
    """RFC 7662 §4: the rule follows registration_source; anything not created by an
    administrator is limited to its own tokens."""
    Client.objects.filter(client_id=resource_server["client_id"]).update(registration_source=source)
    assert introspect(issue_token(service_client), client=resource_server).json() == {
        "active": False
    }


def test_audience_is_in_introspection_rfc8707_2(
    token_request, introspect, service_client, resource_server
):
    """RFC 8707 §2 / RFC 7662 §2.2: the token's resource is its aud."""
    response = token_request(
        {"grant_type": "client_credentials", "resource": "https://api.example.com/"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )
    body = introspect(response.json()["access_token"], client=resource_server).json()
    assert body["aud"] == "https://api.example.com/"
