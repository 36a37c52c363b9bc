"""The authorization code grant with PKCE S256, ID tokens and refresh tokens."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import jwt
import pytest
from oauth2_provider.models import Grant, RefreshToken

from tests.helpers import basic, sign_in, ws_url
from tests.oauth.conftest import REDIRECT_URI, exchange, pkce_pair, query_of

ISSUER = "http://testserver/default/default"


def register_ok(register, metadata: dict[str, Any]) -> dict[str, Any]:
    response = register(metadata)
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def public_client(register) -> dict[str, Any]:
    return register_ok(
        register,
        {
            "client_name": "Single-page app",
            "grant_types": ["authorization_code"],
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        },
    )


@pytest.fixture
def code_only_client(register) -> dict[str, Any]:
    """A confidential client registered without the refresh_token grant."""
    return register_ok(
        register,
        {
            "client_name": "No refresh",
            "grant_types": ["authorization_code"],
            "redirect_uris": [REDIRECT_URI],
        },
    )


def authorize_params(client_id: str, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def test_authorization_request_shows_consent_page_rfc6749_4_1_1(api, workspace, user, registered):
    """RFC 6749 §4.1.1: a logged-in user is asked to approve the client's request."""
    sign_in(api, user, workspace)
    _, challenge = pkce_pair()
    url = ws_url(workspace, "/oauth2/authorize")
    response = api.get(url, authorize_params(registered["client_id"], challenge))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    assert b'name="allow"' in response.content
    assert registered["client_id"].encode() in response.content


def test_unauthenticated_user_is_sent_to_login_rfc6749_3_1(api, workspace, registered):
    """RFC 6749 §3.1: the server authenticates the resource owner first (Django login)."""
    _, challenge = pkce_pair()
    url = ws_url(workspace, "/oauth2/authorize")
    response = api.get(url, authorize_params(registered["client_id"], challenge))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not Grant.objects.exists()


def test_code_flow_with_pkce_s256_rfc7636_4(obtain_code, authorize, token_request, registered):
    """RFC 7636 §4.5-4.6 / RFC 6749 §4.1.2-4.1.4: code + state, then tokens for the verifier."""
    verifier, challenge = pkce_pair()
    response = authorize(registered["client_id"], code_challenge=challenge)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(REDIRECT_URI + "?")
    params = query_of(response["Location"])
    assert params["state"] == "xyz"  # RFC 6749 §4.1.2: state returned unchanged
    token = exchange(token_request, registered, params["code"], verifier)
    assert token.status_code == HTTPStatus.OK, token.content
    assert token["Cache-Control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    assert body["refresh_token"]  # the client registered the refresh_token grant
    assert body["scope"] == "openid"


def test_id_token_is_signed_by_workspace_key_oidc_core_3_1_3_7(
    api, workspace, obtain_code, token_request, registered
):
    """OIDC Core §3.1.3.7: iss is the workspace issuer, aud the client, signed with its JWKS."""
    code, verifier = obtain_code(registered["client_id"])
    id_token = exchange(token_request, registered, code, verifier).json()["id_token"]
    jwks = api.get(ws_url(workspace, "/.well-known/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    assert jwt.get_unverified_header(id_token)["kid"] == jwks["keys"][0]["kid"]
    claims = jwt.decode(
        id_token, key=key, algorithms=["RS256"], audience=registered["client_id"], issuer=ISSUER
    )
    assert claims["iss"] == ISSUER
    assert claims["aud"] == registered["client_id"]
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["sub"]


def test_wrong_code_verifier_is_invalid_grant_rfc7636_4_6(obtain_code, token_request, registered):
    """RFC 7636 §4.6: a verifier that does not match the challenge gets invalid_grant."""
    code, _ = obtain_code(registered["client_id"])
    wrong_verifier, _ = pkce_pair()
    response = exchange(token_request, registered, code, wrong_verifier)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_missing_code_verifier_is_refused_rfc7636_4_5(obtain_code, token_request, registered):
    """RFC 7636 §4.5/§4.6: a code issued with a challenge needs the verifier."""
    code, _ = obtain_code(registered["client_id"])
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    response = token_request(data, **basic(registered["client_id"], registered["client_secret"]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}


def test_code_is_single_use_rfc6749_4_1_2(obtain_code, token_request, registered):
    """RFC 6749 §4.1.2: "The client MUST NOT use the authorization code more than once"."""
    code, verifier = obtain_code(registered["client_id"])
    assert exchange(token_request, registered, code, verifier).status_code == HTTPStatus.OK
    again = exchange(token_request, registered, code, verifier)
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert again.json()["error"] == "invalid_grant"


def test_code_is_bound_to_its_client_rfc6749_4_1_3(
    obtain_code, token_request, registered, code_only_client
):
    """RFC 6749 §4.1.3: the code must have been issued to the authenticated client."""
    code, verifier = obtain_code(registered["client_id"])
    response = exchange(token_request, code_only_client, code, verifier)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},  # RFC 7636 §4.3: defaults to "plain"
        {"code_challenge": None},
    ],
    ids=["plain", "method-omitted", "challenge-missing"],
)
def test_pkce_s256_is_required_rfc7636_4_4_1(authorize, registered, overrides):
    """RFC 7636 §4.4.1 / RFC 9700 §2.1.1: no code without an S256 challenge."""
    verifier, _ = pkce_pair()
    fields = {"code_challenge": verifier, **overrides}
    response = authorize(registered["client_id"], **fields)
    assert response.status_code == HTTPStatus.FOUND
    params = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI)
    assert params["error"] == "invalid_request"
    assert params["state"] == "xyz"
    assert "code" not in params
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "https://app.example.com/callback/extra",
        "https://app.example.com/",
    ],
)
def test_unregistered_redirect_uri_is_not_followed_rfc6749_4_1_2_1(
    authorize, registered, redirect_uri
):
    """RFC 6749 §4.1.2.1: a mismatching redirect URI MUST NOT be redirected to."""
    _, challenge = pkce_pair()
    response = authorize(
        registered["client_id"], code_challenge=challenge, redirect_uri=redirect_uri
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert not Grant.objects.exists()


def test_unknown_client_is_not_redirected_rfc6749_4_1_2_1(authorize):
    """RFC 6749 §4.1.2.1: an invalid client_id MUST NOT be redirected to the redirect URI."""
    _, challenge = pkce_pair()
    response = authorize("no-such-client", code_challenge=challenge)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response


def test_refresh_token_grant_rfc6749_6(obtain_code, token_request, registered):
    """RFC 6749 §6: the refresh token gets a new access token (and, rotated, a new refresh token)."""
    code, verifier = obtain_code(registered["client_id"])
    first = exchange(token_request, registered, code, verifier).json()
    headers = basic(registered["client_id"], registered["client_secret"])
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    response = token_request(data, **headers)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["access_token"] != first["access_token"]
    assert body["refresh_token"] != first["refresh_token"]
    assert body["scope"] == "openid"
    # RFC 9700 §4.14.2: a rotated refresh token cannot be used again.
    reuse = token_request(data, **headers)
    assert reuse.status_code == HTTPStatus.BAD_REQUEST
    assert reuse.json()["error"] == "invalid_grant"


def test_no_refresh_token_without_refresh_grant_rfc7591_2(
    obtain_code, token_request, code_only_client
):
    """RFC 7591 §2 / RFC 6749 §5.1: no refresh_token for a client without that grant type."""
    code, verifier = obtain_code(code_only_client["client_id"])
    response = exchange(token_request, code_only_client, code, verifier)
    assert response.status_code == HTTPStatus.OK, response.content
    assert "refresh_token" not in response.json()
    assert not RefreshToken.objects.exists()


def test_refresh_grant_refused_without_registration_rfc7591_2(
    obtain_code, token_request, code_only_client, registered
):
    """RFC 6749 §5.2: a client that did not register refresh_token cannot use the grant."""
    code, verifier = obtain_code(registered["client_id"])
    refresh = exchange(token_request, registered, code, verifier).json()["refresh_token"]
    data = {"grant_type": "refresh_token", "refresh_token": refresh}
    headers = basic(code_only_client["client_id"], code_only_client["client_secret"])
    response = token_request(data, **headers)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in {"unauthorized_client", "invalid_grant"}


def test_public_client_completes_flow_with_pkce_rfc7636_4_5(
    obtain_code, token_request, public_client
):
    """RFC 7636 §4.5 / RFC 6749 §4.1.3: a public client sends client_id and the verifier."""
    assert "client_secret" not in public_client
    code, verifier = obtain_code(public_client["client_id"])
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": public_client["client_id"],
        "code_verifier": verifier,
    }
    response = token_request(data)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["access_token"]
    assert body["id_token"]
    assert "refresh_token" not in body


def test_public_client_with_wrong_verifier_rfc7636_4_6(obtain_code, token_request, public_client):
    """RFC 7636 §4.6: for a public client the verifier is the only proof; a wrong one fails."""
    code, _ = obtain_code(public_client["client_id"])
    wrong, _ = pkce_pair()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": public_client["client_id"],
        "code_verifier": wrong,
    }
    response = token_request(data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_pkce_is_refused_before_consent_rfc9700_2_1_1(
    api, workspace, user, registered, method
):
    """RFC 9700 §2.1.1 / RFC 7636 §4.4.1: the authorization request itself is refused (no consent
    page) when the challenge method is plain or omitted (which means plain, RFC 7636 §4.3)."""
    from urllib.parse import urlencode

    verifier, _ = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "xyz",
        "code_challenge": verifier,
    }
    if method is not None:
        params["code_challenge_method"] = method
    sign_in(api, user, workspace)
    response = api.get(ws_url(workspace, "/oauth2/authorize") + "?" + urlencode(params))

    assert response.status_code == HTTPStatus.FOUND
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_authorization_response_carries_the_workspace_issuer_rfc9207_2(
    obtain_code, authorize, registered
):
    """RFC 9207 §2: iss in the authorization response equals the workspace's issuer."""
    _, challenge = pkce_pair()
    response = authorize(registered["client_id"], code_challenge=challenge)

    assert query_of(response["Location"])["iss"] == "http://testserver/default/default"
