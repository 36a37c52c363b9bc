"""Tenant isolation: the same OAuth requests against default/default and acme/prod.

Each workspace is its own authorization server (RFC 8414 §2 issuer): its clients, tokens and keys
mean nothing to any other workspace.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import jwt
import pytest
from oauth2_provider.models import Grant

from tests.helpers import SERVICE_CLIENT, basic, sign_in, ws_url
from tests.oauth.conftest import REDIRECT_URI, exchange, pkce_pair

ISSUER = "http://testserver/default/default"
OTHER_ISSUER = "http://testserver/acme/prod"


@pytest.fixture
def acme_client(register, other_workspace) -> dict[str, Any]:
    """A client_credentials client of acme/prod."""
    response = register(SERVICE_CLIENT, on=other_workspace)
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def default_token(issue_token, service_client) -> str:
    """An access token issued by default/default to its service client."""
    return issue_token(service_client)


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_client_is_unknown_in_other_workspace_rfc6749_5_2(
    token_request, other_workspace, service_client, acme_client, auth
):
    """RFC 6749 §5.2: a default/default client is invalid_client at acme/prod's token endpoint."""
    if auth == "basic":
        response = token_request(
            {"grant_type": "client_credentials"},
            on=other_workspace,
            **basic(service_client["client_id"], service_client["client_secret"]),
        )
    else:
        response = token_request(
            {
                "grant_type": "client_credentials",
                "client_id": service_client["client_id"],
                "client_secret": service_client["client_secret"],
            },
            on=other_workspace,
        )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_each_workspace_issues_to_its_own_clients_rfc6749_4_4(
    token_request, other_workspace, acme_client, introspect
):
    """RFC 6749 §4.4: acme/prod's own client gets a token there (the control for the test above)."""
    response = token_request(
        {"grant_type": "client_credentials"},
        on=other_workspace,
        **basic(acme_client["client_id"], acme_client["client_secret"]),
    )
    assert response.status_code == HTTPStatus.OK
    token = response.json()["access_token"]
    body = introspect(token, client=acme_client, on=other_workspace).json()
    assert body["active"] is True
    assert body["iss"] == OTHER_ISSUER


def test_token_is_inactive_in_other_workspace_rfc7662_2_2(
    introspect, other_workspace, default_token, acme_client, registered
):
    """RFC 7662 §2.2: a token of another authorization server is {"active": false}."""
    foreign = introspect(default_token, client=acme_client, on=other_workspace)
    assert foreign.status_code == HTTPStatus.OK
    assert foreign.json() == {"active": False}
    assert introspect(default_token, client=registered).json()["active"] is True


def test_client_cannot_introspect_at_other_workspace_rfc7662_2_1(
    introspect, other_workspace, default_token, service_client, acme_client
):
    """RFC 7662 §2.1: a default/default client does not authenticate at acme/prod."""
    response = introspect(default_token, client=service_client, on=other_workspace)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "active" not in response.json()


def test_revocation_in_other_workspace_has_no_effect_rfc7009_2_1(
    api, introspect, other_workspace, default_token, service_client, acme_client, registered
):
    """RFC 7009 §2.1-2.2: acme/prod answers 200 but cannot revoke default/default's token."""
    response = api.post(
        ws_url(other_workspace, "/oauth2/revoke"),
        data={"token": default_token},
        **basic(acme_client["client_id"], acme_client["client_secret"]),
    )
    assert response.status_code == HTTPStatus.OK
    assert introspect(default_token, client=registered).json()["active"] is True


def test_owner_cannot_revoke_through_other_workspace_rfc7009_2_1(
    api, introspect, other_workspace, default_token, service_client, acme_client, registered
):
    """RFC 7009 §2.1: the owning client is unknown at acme/prod, so it cannot revoke there."""
    response = api.post(
        ws_url(other_workspace, "/oauth2/revoke"),
        data={"token": default_token},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert introspect(default_token, client=registered).json()["active"] is True


@pytest.mark.parametrize(("which", "expected"), [("default", ISSUER), ("other", OTHER_ISSUER)])
def test_discovery_carries_own_issuer_rfc8414_3_3(api, workspace, other_workspace, which, expected):
    """RFC 8414 §3.3: each workspace's metadata names its own issuer and endpoints."""
    target = workspace if which == "default" else other_workspace
    document = api.get(ws_url(target, "/.well-known/oauth-authorization-server")).json()
    assert document["issuer"] == expected
    assert document["token_endpoint"] == expected + "/oauth2/token"
    assert document["jwks_uri"] == expected + "/.well-known/jwks.json"


def test_workspaces_have_distinct_signing_keys_oidc_core_10_1(
    api, workspace, other_workspace, registered, obtain_code, token_request
):
    """OIDC Core §10.1: an ID token of default/default does not verify with acme/prod's keys."""
    default_keys = api.get(ws_url(workspace, "/.well-known/jwks.json")).json()["keys"]
    other_keys = api.get(ws_url(other_workspace, "/.well-known/jwks.json")).json()["keys"]
    assert {key["kid"] for key in default_keys}.isdisjoint({key["kid"] for key in other_keys})
    code, verifier = obtain_code(registered["client_id"])
    id_token = exchange(token_request, registered, code, verifier).json()["id_token"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            id_token,
            key=jwt.PyJWK(other_keys[0]),
            algorithms=["RS256"],
            audience=registered["client_id"],
        )


@pytest.mark.parametrize("method", ["get", "post"])
def test_authorize_refuses_other_workspace_client_rfc6749_4_1_2_1(
    api, user, other_workspace, registered, method
):
    """RFC 6749 §4.1.2.1: at acme/prod a default/default client_id is invalid and never redirected."""
    sign_in(api, user, other_workspace)
    _, challenge = pkce_pair()
    fields = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = ws_url(other_workspace, "/oauth2/authorize")
    if method == "get":
        response = api.get(url, fields)
    else:
        response = api.post(url, {**fields, "allow": "Authorize"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert not Grant.objects.exists()


def test_code_cannot_be_redeemed_at_other_workspace_rfc6749_4_1_3(
    token_request, register, other_workspace, obtain_code, registered
):
    """RFC 6749 §4.1.3: a code of default/default is unknown at acme/prod's token endpoint."""
    code, verifier = obtain_code(registered["client_id"])
    response = token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        on=other_workspace,
        **basic(registered["client_id"], registered["client_secret"]),
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    # The code is still good where it was issued.
    assert exchange(token_request, registered, code, verifier).status_code == HTTPStatus.OK
