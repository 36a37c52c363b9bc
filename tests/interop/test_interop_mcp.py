"""Model Context Protocol Python SDK (``mcp`` on PyPI), 1.x and 2.x: its discovery, dynamic
registration and response validation, and a full authorization-code + PKCE flow through
``mcp.client.auth.OAuthClientProvider`` to the example protected resource (RFC 9728,
examples/protected_resource.py) served by the script: the SDK sends ``resource`` (RFC 8707) at
authorize and token, and the resource accepts the token only because its ``aud`` is the
resource."""

from __future__ import annotations

from typing import Any

import pytest

from registration.models import Client
from registration.services import resource_server_create
from tests.interop.support import LiveServer, python_client, run_client

LOOPBACK = "http://127.0.0.1:33418/callback"
HTTPS = "https://client.example/callback"
CASES = [
    # The latest 1.x and the latest 2.x on PyPI (2.x sends application_type native).
    pytest.param("1.30.0", HTTPS, id="mcp-1.30.0-https"),
    # mcp 1.x cannot send application_type: a loopback http redirect as a "web" client
    # (RFC 8252 §7.3; OIDC Registration §2 restricts web clients to https only for implicit).
    pytest.param("1.30.0", LOOPBACK, id="mcp-1.30.0-loopback"),
    pytest.param("2.3.0", LOOPBACK, id="mcp-2.3.0-loopback"),
]


@pytest.fixture
def resource_server(live: LiveServer) -> dict[str, Any]:
    """The protected resource's client, created by an administrator: only such clients may
    introspect tokens issued to other clients (RFC 7662 §4)."""
    client, secret = resource_server_create(workspace=live.workspace, name="MCP resource server")
    return {"client_id": client.client_id, "client_secret": secret}


@pytest.mark.interop
@pytest.mark.parametrize(("mcp_version", "redirect_uri"), CASES)
def test_mcp_oauth_client_provider_full_flow(
    live: LiveServer,
    session_cookie: str,
    resource_server: dict[str, Any],
    mcp_version: str,
    redirect_uri: str,
) -> None:
    python = python_client("mcp", mcp_version)

    out = run_client(
        [str(python)],
        "mcp_flow.py",
        live.issuer,
        session_cookie,
        resource_server["client_id"],
        resource_server["client_secret"],
        redirect_uri,
    )

    assert out["mcp"] == mcp_version
    # The SDK's discovery URLs for a path-bearing issuer: RFC 8414 §3.1 path insertion
    # (oauth-authorization-server and openid-configuration) and OIDC's appended form.
    assert len(out["discovery"]) == 3, out["discovery"]
    for url, entry in out["discovery"].items():
        assert entry["status"] == 200, url
        assert entry["issuer"] == live.issuer
        assert entry["registration_endpoint"] == live.url("/oauth2/register")
    # 401 -> protected resource metadata -> AS metadata -> register -> authorize -> token -> 200.
    assert out["status"] == 200, out
    assert out["second_status"] == 200
    resource = out["resource"]
    # RFC 8707 §2: the SDK names the resource (from its RFC 9728 metadata) at authorize and
    # token; the resource accepted the token after introspection showed aud == resource.
    assert out["authorize_resource"] == [resource]
    assert out["checked"], out
    accepted = out["checked"][-1]
    assert accepted["active"] is True
    assert accepted["aud"] == resource
    assert accepted["iss"] == live.issuer
    registration = next(r for r in out["as_requests"] if r["url"].endswith("/oauth2/register"))
    assert registration["status"] == 201
    token_request = next(r for r in out["as_requests"] if r["url"].endswith("/oauth2/token"))
    assert token_request["status"] == 200
    assert {"code", "code_verifier", "redirect_uri"} <= set(token_request["body"])
    assert token_request["resource"] == [resource]
    assert "code_challenge" in out["authorize_query"]
    registered = out["registered"]
    client = Client.objects.get(client_id=registered["client_id"])
    assert client.registration_source == "dcr"
    assert accepted["client_id"] == registered["client_id"]
