"""Helpers for building requests in tests (fixtures live in conftest.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import Client as HttpClient

from tenants.models import Workspace


def ws_url(workspace: Workspace, suffix: str) -> str:
    return f"{workspace.path}{suffix}"


def post_json(api: HttpClient, url: str, body: Any, **extra: Any) -> Any:
    return api.post(url, data=json.dumps(body), content_type="application/json", **extra)


def put_json(api: HttpClient, url: str, body: Any, **extra: Any) -> Any:
    return api.put(url, data=json.dumps(body), content_type="application/json", **extra)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


WEB_CLIENT = {
    "client_name": "Sample web client",
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": ["https://app.example.com/callback"],
}

SERVICE_CLIENT = {"client_name": "Back-end service", "grant_types": ["client_credentials"]}


def sign_in(client: Any, user: Any, *workspaces: Any) -> None:
    """Log ``user`` in on the test ``client`` for ``workspaces``, as the login page does when
    its ``next`` names them (issue 14: a login counts only at its own workspaces)."""
    from dcr_server.oauth.sessions import SESSION_KEY

    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = [workspace.pk for workspace in workspaces]
    session.save()
