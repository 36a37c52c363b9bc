"""Refresh-token rotation for public clients (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).

A public client cannot authenticate, so its refresh tokens must be sender-constrained or
rotated: here django-oauth-toolkit rotates every refresh token (ROTATE_REFRESH_TOKEN), refuses
the previous one at once (no grace period), and on a replay revokes the whole token family and
its access tokens (REFRESH_TOKEN_REUSE_PROTECTION), so a stolen token is worth one use at most.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from oauth2_provider.models import AccessToken, RefreshToken
from oauth2_provider.settings import oauth2_settings

from tests.oauth.conftest import REDIRECT_URI


@pytest.fixture
def public_client(register) -> dict[str, Any]:
    response = register(
        {
            "client_name": "Single-page app",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        }
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def first_tokens(obtain_code, token_request, public_client) -> dict[str, Any]:
    code, verifier = obtain_code(public_client["client_id"])
    response = token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": public_client["client_id"],
            "code_verifier": verifier,
        }
    )
    assert response.status_code == HTTPStatus.OK, response.content
    body: dict[str, Any] = response.json()
    assert body["refresh_token"]
    return body


def refresh(token_request, client_id: str, token: str) -> Any:
    return token_request(
        {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    )


def test_settings_rotate_without_grace():
    """What the behaviour below rests on: rotation on, reuse protection on, no grace period."""
    assert oauth2_settings.ROTATE_REFRESH_TOKEN is True
    assert oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION is True
    assert oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS == 0


def test_public_client_refresh_token_rotates_oauth21_4_3_1(
    token_request, public_client, first_tokens
):
    """OAuth 2.1 §4.3.1: for public clients the server MUST rotate (or sender-constrain)
    refresh tokens: each use returns a new one and the used one no longer works."""
    client_id = public_client["client_id"]
    second = refresh(token_request, client_id, first_tokens["refresh_token"])
    assert second.status_code == HTTPStatus.OK, second.content
    rotated = second.json()["refresh_token"]
    assert rotated != first_tokens["refresh_token"]
    assert second.json()["access_token"] != first_tokens["access_token"]
    third = refresh(token_request, client_id, rotated)
    assert third.status_code == HTTPStatus.OK


def test_replayed_refresh_token_revokes_the_family_rfc9700_4_14_2(
    token_request, introspect, public_client, first_tokens, resource_server
):
    """RFC 9700 §4.14.2: a refresh token used twice means one copy was stolen: the replay is
    refused and every token of the family (the legitimate client's too) stops working."""
    client_id = public_client["client_id"]
    current = refresh(token_request, client_id, first_tokens["refresh_token"]).json()

    replay = refresh(token_request, client_id, first_tokens["refresh_token"])
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert replay.json()["error"] == "invalid_grant"

    after = refresh(token_request, client_id, current["refresh_token"])
    assert after.status_code == HTTPStatus.BAD_REQUEST
    assert after.json()["error"] == "invalid_grant"
    assert introspect(current["access_token"], client=resource_server).json() == {"active": False}
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not AccessToken.objects.exists()


def test_refresh_token_is_bound_to_its_public_client_rfc6749_6(
    register, token_request, public_client, first_tokens
):
    """RFC 6749 §6: the refresh token was issued to this client; another public client
    presenting it gets invalid_grant and the token keeps working for its owner."""
    other = register(
        {
            "client_name": "Other SPA",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        }
    ).json()
    stolen = refresh(token_request, other["client_id"], first_tokens["refresh_token"])
    assert stolen.status_code == HTTPStatus.BAD_REQUEST
    assert stolen.json()["error"] == "invalid_grant"
    owner = refresh(token_request, public_client["client_id"], first_tokens["refresh_token"])
    assert owner.status_code == HTTPStatus.OK


def test_a_refresh_token_is_unknown_in_another_workspace(
    register, token_request, public_client, first_tokens, other_workspace
):
    """Workspace isolation: a stale refresh token of one workspace replayed at another's token
    endpoint is invalid_grant there and revokes nothing here (DOT's reuse detection would
    otherwise revoke the family before comparing clients: dcr_server/oauth/validator.py)."""
    current = refresh(token_request, public_client["client_id"], first_tokens["refresh_token"])
    assert current.status_code == HTTPStatus.OK
    there = register(
        {
            "client_name": "SPA elsewhere",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        },
        on=other_workspace,
    )
    assert there.status_code == HTTPStatus.CREATED, there.content

    replay = token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": first_tokens["refresh_token"],
            "client_id": there.json()["client_id"],
        },
        on=other_workspace,
    )

    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert replay.json()["error"] == "invalid_grant"
    again = refresh(token_request, public_client["client_id"], current.json()["refresh_token"])
    assert again.status_code == HTTPStatus.OK, again.content
