"""RFC 7009 token revocation at the workspace's revocation endpoint."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from oauth2_provider.models import AccessToken

from tests.helpers import basic, ws_url
from tests.oauth.conftest import exchange


@pytest.fixture
def revoke(api, workspace):
    """POST a token to a workspace's revocation endpoint, authenticated as ``client``."""

    def _revoke(token: str, *, client: dict[str, Any], on=None, **fields: str) -> Any:
        return api.post(
            ws_url(on or workspace, "/oauth2/revoke"),
            data={"token": token, **fields},
            **basic(client["client_id"], client["client_secret"]),
        )

    return _revoke


@pytest.fixture
def second_service(register) -> dict[str, Any]:
    """Another client_credentials client of the same workspace."""
    response = register({"client_name": "Other service", "grant_types": ["client_credentials"]})
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_owner_revokes_its_access_token_rfc7009_2_1(
    revoke, introspect, resource_server, issue_token, service_client, registered, hint
):
    """RFC 7009 §2.1-2.2: the owning client revokes its token; 200; the token is then inactive.

    RFC 7009 §2.1: a wrong token_type_hint only widens the search.
    """
    token = issue_token(service_client)
    fields = {} if hint is None else {"token_type_hint": hint}
    response = revoke(token, client=service_client, **fields)
    assert response.status_code == HTTPStatus.OK
    assert introspect(token, client=resource_server).json() == {"active": False}
    assert not AccessToken.objects.filter(
        application__client_id=service_client["client_id"]
    ).exists()


def test_other_client_cannot_revoke_rfc7009_2_1(
    revoke, introspect, resource_server, issue_token, service_client, second_service, registered
):
    """RFC 7009 §2.1: the server verifies the token was issued to the requesting client.

    §2.2: the response is 200 either way, so it reveals nothing, but the token stays active.
    """
    token = issue_token(service_client)
    response = revoke(token, client=second_service)
    assert response.status_code == HTTPStatus.OK
    body = introspect(token, client=resource_server).json()
    assert body["active"] is True
    assert body["client_id"] == service_client["client_id"]


@pytest.mark.parametrize("token", ["no-such-token", "x" * 5000, "ünïcødé"])
def test_unknown_token_is_200_rfc7009_2_2(revoke, service_client, token):
    """RFC 7009 §2.2: "invalid tokens do not cause an error response"."""
    response = revoke(token, client=service_client)
    assert response.status_code == HTTPStatus.OK


def test_revoking_twice_is_200_rfc7009_2_2(revoke, issue_token, service_client):
    """RFC 7009 §2.2: revoking an already revoked token still answers 200."""
    token = issue_token(service_client)
    assert revoke(token, client=service_client).status_code == HTTPStatus.OK
    assert revoke(token, client=service_client).status_code == HTTPStatus.OK


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_revocation_requires_client_authentication_rfc7009_2_1(
    api, workspace, issue_token, introspect, resource_server, service_client, registered, secret
):
    """RFC 7009 §2.1 / §2.2.1: a confidential client must authenticate; failure is invalid_client."""
    token = issue_token(service_client)
    response = api.post(
        ws_url(workspace, "/oauth2/revoke"),
        data={"token": token},
        **basic(service_client["client_id"], secret),
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    assert introspect(token, client=resource_server).json()["active"] is True


def test_revocation_without_credentials_keeps_token_rfc7009_2_1(
    api, workspace, issue_token, introspect, resource_server, service_client, registered
):
    """RFC 7009 §2.1: a bare token (no client authentication) revokes nothing."""
    token = issue_token(service_client)
    response = api.post(
        ws_url(workspace, "/oauth2/revoke"),
        data={"token": token, "client_id": service_client["client_id"]},
    )
    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED}
    assert introspect(token, client=resource_server).json()["active"] is True


@pytest.mark.parametrize("method", ["get", "put"])
def test_revocation_endpoint_only_accepts_post_rfc7009_2_1(api, workspace, method):
    """RFC 7009 §2.1: "The client requests the revocation ... using HTTP POST"."""
    response = getattr(api, method)(ws_url(workspace, "/oauth2/revoke"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"].startswith("application/json")


def test_revoking_refresh_token_rfc7009_2_1(
    revoke, introspect, resource_server, obtain_code, token_request, registered, service_client
):
    """RFC 7009 §2.1: a revoked refresh token no longer refreshes, and its access token
    SHOULD be invalidated too."""
    code, verifier = obtain_code(registered["client_id"])
    tokens = exchange(token_request, registered, code, verifier).json()
    response = revoke(tokens["refresh_token"], client=registered, token_type_hint="refresh_token")
    assert response.status_code == HTTPStatus.OK
    assert introspect(tokens["refresh_token"], client=resource_server).json() == {"active": False}
    assert introspect(tokens["access_token"], client=resource_server).json() == {"active": False}
    refresh = token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        **basic(registered["client_id"], registered["client_secret"]),
    )
    assert refresh.status_code == HTTPStatus.BAD_REQUEST
    assert refresh.json()["error"] == "invalid_grant"
