"""Fixtures for the per-workspace OAuth endpoints: users, tokens and the authorization code flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from tenants.models import Workspace
from tests.helpers import basic, sign_in, ws_url

REDIRECT_URI = "https://app.example.com/callback"

TokenFn = Callable[..., Any]
AuthorizeFn = Callable[..., Any]


def pkce_pair() -> tuple[str, str]:
    """RFC 7636 §4.1-4.2: a code_verifier and its S256 code_challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def exchange(token_request: TokenFn, client: dict[str, Any], code: str, verifier: str) -> Any:
    """RFC 6749 §4.1.3 with RFC 7636 §4.5: trade a code for tokens (HTTP Basic client auth)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    return token_request(data, **basic(client["client_id"], client["client_secret"]))


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user(username="alice", password="correct horse 42")


@pytest.fixture
def token_request(api: HttpClient, workspace: Workspace) -> TokenFn:
    """POST form fields to a workspace's token endpoint (default/default unless ``on=``)."""

    def _post(data: dict[str, str], *, on: Workspace | None = None, **extra: Any) -> Any:
        return api.post(ws_url(on or workspace, "/oauth2/token"), data=data, **extra)

    return _post


@pytest.fixture
def issue_token(token_request: TokenFn) -> Callable[..., str]:
    """An access token issued by client_credentials to a confidential client_secret_basic client."""

    def _issue(client: dict[str, Any], *, on: Workspace | None = None) -> str:
        response = token_request(
            {"grant_type": "client_credentials"},
            on=on,
            **basic(client["client_id"], client["client_secret"]),
        )
        assert response.status_code == 200, response.content
        token: str = response.json()["access_token"]
        return token

    return _issue


@pytest.fixture
def introspect(api: HttpClient, workspace: Workspace) -> Callable[..., Any]:
    """POST a token to a workspace's introspection endpoint, authenticated as ``client``."""

    def _introspect(token: str, *, client: dict[str, Any], on: Workspace | None = None) -> Any:
        return api.post(
            ws_url(on or workspace, "/oauth2/introspect"),
            data={"token": token},
            **basic(client["client_id"], client["client_secret"]),
        )

    return _introspect


@pytest.fixture
def authorize(api: HttpClient, workspace: Workspace, user: Any) -> AuthorizeFn:
    """Log ``user`` in and approve an authorization request; returns the POST response."""

    def _authorize(client_id: str, **overrides: str | None) -> Any:
        sign_in(api, user, workspace)
        fields = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "xyz",
            "nonce": "n-0S6_WzA2Mj",
            "code_challenge_method": "S256",
            **overrides,
        }
        fields = {key: value for key, value in fields.items() if value is not None}
        return api.post(
            ws_url(workspace, "/oauth2/authorize"), data={**fields, "allow": "Authorize"}
        )

    return _authorize


@pytest.fixture
def obtain_code(authorize: AuthorizeFn) -> Callable[..., tuple[str, str]]:
    """Run the approved authorization request with a fresh PKCE pair; returns (code, verifier)."""

    def _obtain(client_id: str, **overrides: str) -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        response = authorize(client_id, code_challenge=challenge, **overrides)
        assert response.status_code == 302, response.content
        assert response["Location"].startswith(REDIRECT_URI), response["Location"]
        params = query_of(response["Location"])
        assert "code" in params, params
        return params["code"], verifier

    return _obtain
