"""Authorization responses: RFC 9207 ``iss`` on every one (errors included) and ``prompt=none``
(OpenID Connect Core §3.1.2.6)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from oauth2_provider.models import Grant

from tests.helpers import sign_in, ws_url
from tests.oauth.conftest import REDIRECT_URI, exchange, pkce_pair, query_of

ISSUER = "http://testserver/default/default"


def request_params(client_id: str, **overrides: str) -> dict[str, str]:
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "st-42",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {key: value for key, value in params.items() if value}


def client_redirect(response: Any) -> dict[str, str]:
    """The parameters of a redirect to the client's registered redirect URI."""
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert response["Location"].startswith(REDIRECT_URI + "?"), response["Location"]
    return query_of(response["Location"])


def test_denied_consent_carries_iss_rfc9207_2(api, workspace, user, registered):
    """RFC 9207 §2: the error response (access_denied, RFC 6749 §4.1.2.1) carries iss too."""
    sign_in(api, user, workspace)
    fields = request_params(registered["client_id"])
    response = api.post(ws_url(workspace, "/oauth2/authorize"), data=fields)  # no "allow"
    params = client_redirect(response)
    assert params["error"] == "access_denied"
    assert params["state"] == "st-42"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"scope": "openid not-a-scope"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unauthorized_client"),
    ],
)
def test_error_redirects_carry_iss_rfc9207_2(api, workspace, user, registered, overrides, error):
    """RFC 9207 §2: "the iss parameter ... in authorization error responses" as well."""
    sign_in(api, user, workspace)
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"), request_params(registered["client_id"], **overrides)
    )
    params = client_redirect(response)
    assert params["error"] == error
    assert params["iss"] == ISSUER
    assert params["state"] == "st-42"


def test_iss_appears_once_rfc9207_2(api, workspace, user, register):
    """RFC 9207 §2: a single iss, even when the registered redirect URI has a query."""
    redirect_uri = "https://app.example.com/callback?tenant=a"
    client = register(
        {
            "client_name": "Query",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code"],
        }
    ).json()
    sign_in(api, user, workspace)
    fields = request_params(client["client_id"], redirect_uri=redirect_uri)
    response = api.post(ws_url(workspace, "/oauth2/authorize"), data={**fields, "allow": "1"})
    assert response.status_code == HTTPStatus.FOUND
    location = response["Location"]
    assert location.count("iss=") == 1
    assert query_of(location)["tenant"] == "a"
    assert query_of(location)["iss"] == ISSUER


def test_prompt_none_without_session_is_login_required_oidc_core_3_1_2_6(
    api, workspace, registered
):
    """OIDC Core §3.1.2.6: no logged-in user and prompt=none: login_required, no login page."""
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        request_params(registered["client_id"], prompt="none"),
    )
    params = client_redirect(response)
    assert params["error"] == "login_required"
    assert params["state"] == "st-42"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


def test_prompt_none_without_consent_is_consent_required_oidc_core_3_1_2_6(
    api, workspace, user, registered
):
    """OIDC Core §3.1.2.6: a logged-in user who never approved the client: consent_required
    (the consent page is never shown for prompt=none)."""
    sign_in(api, user, workspace)
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        request_params(registered["client_id"], prompt="none"),
    )
    params = client_redirect(response)
    assert params["error"] == "consent_required"
    assert params["state"] == "st-42"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


def test_prompt_none_after_consent_issues_a_code_oidc_core_3_1_2_6(
    api, workspace, user, registered, obtain_code, token_request
):
    """OIDC Core §3.1.2.6: once the user approved these scopes (an unexpired token exists),
    prompt=none answers with a code, silently."""
    code, verifier = obtain_code(registered["client_id"])
    assert exchange(token_request, registered, code, verifier).status_code == HTTPStatus.OK
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        request_params(registered["client_id"], prompt="none"),
    )
    params = client_redirect(response)
    assert params["code"]
    assert params["iss"] == ISSUER
    assert "error" not in params


def test_prompt_none_with_other_values_is_invalid_request_oidc_core_3_1_2_1(
    api, workspace, user, registered
):
    """OIDC Core §3.1.2.1: "none" with any other value is an error."""
    sign_in(api, user, workspace)
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        request_params(registered["client_id"], prompt="none consent"),
    )
    params = client_redirect(response)
    assert params["error"] == "invalid_request"
    assert params["iss"] == ISSUER


@pytest.mark.parametrize("logged_in", [True, False])
def test_prompt_none_never_redirects_to_unregistered_uri_rfc6749_4_1_2_1(
    api, workspace, user, registered, logged_in
):
    """RFC 6749 §4.1.2.1: a mismatching redirect URI gets an error page, never a redirect."""
    if logged_in:
        sign_in(api, user, workspace)
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        request_params(
            registered["client_id"], prompt="none", redirect_uri="https://evil.example/cb"
        ),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
