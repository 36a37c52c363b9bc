"""RFC 8707 resource indicators: audience-bound access tokens, ``aud`` in introspection, the
workspace's list of resources, narrowing at the token endpoint and on refresh."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from tenants.models import Workspace
from tenants.services import workspace_resources_set
from tests.helpers import basic, sign_in, ws_url
from tests.oauth.conftest import REDIRECT_URI, pkce_pair, query_of

ISSUER = "http://testserver/default/default"
API = "https://api.example.com/mcp"
FILES = "https://files.example.com/"
OTHER = "https://other.example.net/api"


def code_for(authorize: Any, client: dict[str, Any], *resources: str) -> tuple[str, str]:
    """Approve an authorization request naming ``resources``; returns (code, verifier)."""
    verifier, challenge = pkce_pair()
    extra = {"resource": " ".join(resources)} if resources else {}
    response = authorize(client["client_id"], code_challenge=challenge, **extra)
    assert response.status_code == HTTPStatus.FOUND, response.content
    params = query_of(response["Location"])
    assert "code" in params, params
    return params["code"], verifier


def token_with(
    token_request: Any, client: dict[str, Any], fields: dict[str, str], *resources: str
) -> Any:
    data: dict[str, Any] = dict(fields)
    if resources:
        data["resource"] = list(resources)  # repeated parameter (RFC 8707 §2)
    return token_request(data, **basic(client["client_id"], client["client_secret"]))


def exchange_code(
    token_request: Any, client: dict[str, Any], code: str, verifier: str, *resources: str
) -> Any:
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    return token_with(token_request, client, fields, *resources)


def refresh(token_request: Any, client: dict[str, Any], token: str, *resources: str) -> Any:
    fields = {"grant_type": "refresh_token", "refresh_token": token}
    return token_with(token_request, client, fields, *resources)


def audience(introspect: Any, resource_server: dict[str, Any], token: str) -> Any:
    body = introspect(token, client=resource_server).json()
    assert body["active"] is True, body
    return body.get("aud")


def written() -> tuple[int, int, int]:
    return AccessToken.objects.count(), RefreshToken.objects.count(), IDToken.objects.count()


@pytest.fixture
def listed(workspace: Workspace) -> Workspace:
    """default/default accepting only API and FILES."""
    workspace_resources_set(workspace=workspace, resources=[API, FILES])
    return workspace


def test_access_token_audience_is_the_resource_rfc8707_2(
    authorize, token_request, introspect, registered, resource_server
):
    """RFC 8707 §2: the access token is audience-restricted to the requested resource."""
    code, verifier = code_for(authorize, registered, API)
    response = exchange_code(token_request, registered, code, verifier)
    assert response.status_code == HTTPStatus.OK, response.content
    assert audience(introspect, resource_server, response.json()["access_token"]) == API
    assert Grant.objects.count() == 0  # the code is spent


def test_several_resources_are_an_audience_array_rfc8707_2(
    authorize, token_request, introspect, registered, resource_server
):
    """RFC 8707 §2: the parameter may be repeated; RFC 7662 §2.2 aud is then an array."""
    code, verifier = code_for(authorize, registered, API, FILES)
    access = exchange_code(token_request, registered, code, verifier).json()["access_token"]
    assert audience(introspect, resource_server, access) == [API, FILES]


def test_no_resource_no_audience_rfc8707_2(
    authorize, token_request, introspect, registered, resource_server
):
    """RFC 8707 §2 is optional: without a resource the token carries no aud."""
    code, verifier = code_for(authorize, registered)
    access = exchange_code(token_request, registered, code, verifier).json()["access_token"]
    assert audience(introspect, resource_server, access) is None


def test_client_credentials_with_resource_rfc8707_2(
    token_request, introspect, service_client, resource_server
):
    """RFC 8707 §2.2: a resource at the token endpoint of the client credentials grant."""
    response = token_with(token_request, service_client, {"grant_type": "client_credentials"}, API)
    assert response.status_code == HTTPStatus.OK, response.content
    assert audience(introspect, resource_server, response.json()["access_token"]) == API


@pytest.mark.parametrize(
    "resource",
    [
        "https://api.example.com/mcp#section",  # RFC 8707 §2: MUST NOT include a fragment
        "/mcp",  # not absolute
        "api.example.com",
        "https://user:pw@api.example.com/",
        "https://api.example.com/\u200bmcp",
    ],
    ids=["fragment", "relative", "no-scheme", "userinfo", "non-ascii"],
)
def test_malformed_resource_at_authorize_redirects_invalid_target_rfc8707_2(
    api, workspace, user, registered, resource
):
    """RFC 8707 §2: invalid_target as an error redirect, with state and iss (RFC 9207 §2)."""
    sign_in(api, user, workspace)
    _, challenge = pkce_pair()
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        {
            "response_type": "code",
            "client_id": registered["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "st-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": [API, resource],
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(REDIRECT_URI + "?")
    params = query_of(response["Location"])
    assert params["error"] == "invalid_target"
    assert params["state"] == "st-1"
    assert params["iss"] == ISSUER
    assert "code" not in params
    assert not Grant.objects.exists()


@pytest.mark.parametrize("resource", ["https://api.example.com/#f", "urn:x", "relative"])
def test_malformed_resource_at_token_is_400_rfc8707_2(token_request, service_client, resource):
    """RFC 8707 §2: 400 invalid_target at the token endpoint; no token is written."""
    response = token_with(
        token_request, service_client, {"grant_type": "client_credentials"}, resource
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_target"
    assert response.json()["error_description"]
    assert written() == (0, 0, 0)


def test_workspace_list_refuses_other_resources_at_authorize(
    api, authorize, listed, registered, user
):
    """CONTRACT: while the workspace lists resources, any other one is invalid_target (here on
    the consent POST, whose hidden resource field can be tampered with)."""
    _, challenge = pkce_pair()
    response = authorize(registered["client_id"], code_challenge=challenge, resource=OTHER)
    assert response.status_code == HTTPStatus.FOUND
    params = query_of(response["Location"])
    assert params["error"] == "invalid_target"
    assert params["state"] == "xyz"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


def test_workspace_list_refuses_other_resources_at_token(
    token_request, introspect, listed, service_client, resource_server
):
    """CONTRACT: 400 invalid_target for an unlisted resource; a listed one is accepted."""
    fields = {"grant_type": "client_credentials"}
    refused = token_with(token_request, service_client, fields, API, OTHER)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"] == "invalid_target"
    assert written() == (0, 0, 0)
    accepted = token_with(token_request, service_client, fields, FILES)
    assert accepted.status_code == HTTPStatus.OK
    assert audience(introspect, resource_server, accepted.json()["access_token"]) == FILES


def test_workspace_list_is_compared_exactly(token_request, listed, service_client):
    """The listed URI is the resource's identifier: a look-alike (trailing path) is refused."""
    fields = {"grant_type": "client_credentials"}
    response = token_with(token_request, service_client, fields, API + "/admin")
    assert response.json()["error"] == "invalid_target"


def test_token_request_narrows_the_grant_rfc8707_2_2(
    authorize, token_request, introspect, registered, resource_server
):
    """RFC 8707 §2.2: the token request may name a subset of the authorized resources."""
    code, verifier = code_for(authorize, registered, API, FILES)
    access = exchange_code(token_request, registered, code, verifier, FILES).json()["access_token"]
    assert audience(introspect, resource_server, access) == FILES


def test_token_request_cannot_widen_the_grant_rfc8707_2_2(
    authorize, token_request, introspect, registered, resource_server
):
    """RFC 8707 §2.2: a resource the user did not authorize is invalid_target; the refused
    request writes nothing and the code stays usable."""
    code, verifier = code_for(authorize, registered, API)
    refused = exchange_code(token_request, registered, code, verifier, OTHER)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"] == "invalid_target"
    assert written() == (0, 0, 0)
    again = exchange_code(token_request, registered, code, verifier)
    assert again.status_code == HTTPStatus.OK
    assert audience(introspect, resource_server, again.json()["access_token"]) == API


def test_refresh_keeps_or_narrows_never_widens_rfc8707_2_2(
    authorize, token_request, introspect, registered, resource_server
):
    """RFC 8707 §2.2: a refresh without resource keeps the grant's audience; with one it
    narrows; a resource outside the grant is invalid_target. The refresh token stays bound to
    the whole grant, so narrowing once does not lose the other resource."""
    code, verifier = code_for(authorize, registered, API, FILES)
    first = exchange_code(token_request, registered, code, verifier, API).json()
    assert audience(introspect, resource_server, first["access_token"]) == API

    narrowed = refresh(token_request, registered, first["refresh_token"], FILES).json()
    assert audience(introspect, resource_server, narrowed["access_token"]) == FILES

    kept = refresh(token_request, registered, narrowed["refresh_token"]).json()
    assert audience(introspect, resource_server, kept["access_token"]) == [API, FILES]

    before = written()
    widened = refresh(token_request, registered, kept["refresh_token"], OTHER)
    assert widened.status_code == HTTPStatus.BAD_REQUEST
    assert widened.json()["error"] == "invalid_target"
    assert written() == before
    # The refused refresh consumed nothing: the refresh token still works.
    assert refresh(token_request, registered, kept["refresh_token"]).status_code == HTTPStatus.OK


def test_narrowed_unrestricted_grant_stays_narrowed_rfc8707_2_2(
    authorize, token_request, introspect, registered, resource_server
):
    """A grant without resources narrowed at the token endpoint: later refreshes keep that
    audience (a refresh never turns an audience-bound token into an unrestricted one)."""
    code, verifier = code_for(authorize, registered)
    first = exchange_code(token_request, registered, code, verifier, API).json()
    assert audience(introspect, resource_server, first["access_token"]) == API
    again = refresh(token_request, registered, first["refresh_token"]).json()
    assert audience(introspect, resource_server, again["access_token"]) == API
    widened = refresh(token_request, registered, again["refresh_token"], FILES)
    assert widened.json()["error"] == "invalid_target"


def test_resource_removed_from_workspace_list_no_longer_refreshes(
    workspace, authorize, token_request, registered
):
    """CONTRACT: the list applies to inherited resources too (an administrator withdrew it)."""
    workspace_resources_set(workspace=workspace, resources=[API])
    code, verifier = code_for(authorize, registered, API)
    tokens = exchange_code(token_request, registered, code, verifier).json()
    workspace_resources_set(workspace=workspace, resources=[FILES])
    response = refresh(token_request, registered, tokens["refresh_token"])
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_target"


def test_discovery_names_listed_resources_rfc9728_4(api, workspace):
    """RFC 9728 §4: protected_resources in the authorization server metadata, while listed."""
    url = ws_url(workspace, "/.well-known/openid-configuration")
    assert "protected_resources" not in api.get(url).json()
    workspace_resources_set(workspace=workspace, resources=[API, FILES])
    assert api.get(url).json()["protected_resources"] == [API, FILES]
