"""Helpers for the CIMD tests (fixtures live in conftest.py)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client as HttpClient

from registration.models import Client
from tenants.models import Workspace
from tests.helpers import sign_in, ws_url

REDIRECT_URI = "https://app.example.com/callback"


def pkce_pair() -> tuple[str, str]:
    """RFC 7636 §4.1-4.2: a code_verifier and its S256 code_challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def public_document(url: str, **overrides: Any) -> dict[str, Any]:
    """A public client's document, as MCP clients publish them (``None`` drops a member)."""
    document = {
        "client_id": url,
        "client_name": "Example MCP client",
        "client_uri": "https://app.example.com/",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **overrides,
    }
    return {name: value for name, value in document.items() if value is not None}


def cimd_rows(workspace: Workspace, url: str) -> list[Client]:
    return list(Client.objects.filter(workspace=workspace, client_id=url))


def token_post(api: HttpClient, workspace: Workspace, data: dict[str, str], **extra: Any) -> Any:
    return api.post(ws_url(workspace, "/oauth2/token"), data, **extra)


def code_exchange(
    api: HttpClient, workspace: Workspace, client_id: str, code: str, verifier: str
) -> Any:
    """RFC 6749 §4.1.3 for a public client: client_id in the body, no authentication."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    return token_post(api, workspace, data)


def approve(api: HttpClient, workspace: Workspace, user: Any, client_id: str) -> tuple[str, str]:
    """Log ``user`` in, approve an authorization request (PKCE S256); returns (code, verifier)."""
    sign_in(api, user, workspace)
    verifier, challenge = pkce_pair()
    fields = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "allow": "Authorize",
    }
    response = api.post(ws_url(workspace, "/oauth2/authorize"), fields)
    assert response.status_code == 302, response.content
    params = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI), response["Location"]
    assert "code" in params, params
    return params["code"], verifier
