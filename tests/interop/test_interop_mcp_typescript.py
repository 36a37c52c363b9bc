"""The TypeScript MCP SDK (``@modelcontextprotocol/sdk`` on npm): its client auth flow
(``auth()`` with an ``OAuthClientProvider``) against a live workspace by dynamic client
registration, with RFC 8707 ``resource``, PKCE and RFC 9207 ``iss``, to the example protected
resource (examples/protected_resource.py), which accepts the token only for its ``aud``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from examples.protected_resource import RunningResource, metadata_url, start
from registration.models import Client
from registration.services import resource_server_create
from tests.interop.support import CLIENTS, LiveServer, node_client, run_client

SDK = "1.32.2"  # the latest 1.x on npm
REDIRECT_URI = "http://127.0.0.1:33419/callback"


@pytest.fixture
def resource(live: LiveServer) -> Iterator[RunningResource]:
    client, secret = resource_server_create(workspace=live.workspace, name="MCP resource server")
    running = start(issuer=live.issuer, client_id=client.client_id, client_secret=secret)
    yield running
    running.stop()


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is needed for this client")
    return node


@pytest.mark.interop
def test_typescript_sdk_auth_flow_by_dcr(
    live: LiveServer, session_cookie: str, resource: RunningResource
) -> None:
    prefix = node_client("@modelcontextprotocol/sdk", SDK)
    # An ES module resolves bare imports from its own folder: run a copy inside the prefix.
    script = prefix / "mcp_ts_flow.mjs"
    shutil.copyfile(CLIENTS / "mcp_ts_flow.mjs", script)

    out: dict[str, Any] = run_client(
        [_node()], str(script), resource.resource, session_cookie, REDIRECT_URI
    )

    assert out.get("sdk") == SDK, out
    # RFC 9728 §5.1: the 401 names the resource metadata; the SDK follows it.
    assert out["first_status"] == 401
    assert out["resource_metadata_url"] == metadata_url(resource.resource)
    assert out["first_auth"] == "REDIRECT"
    assert out["second_auth"] == "AUTHORIZED"
    requests = out["requests"]
    registration = next(r for r in requests if r["url"] == live.url("/oauth2/register"))
    assert registration["method"] == "POST"
    assert registration["status"] == 201
    # RFC 8707 §2: the resource at authorize and at token; PKCE S256 (RFC 7636).
    assert out["authorize"]["resource"] == [resource.resource]
    assert out["authorize"]["code_challenge_method"] == "S256"
    token = next(r for r in requests if r["url"] == live.url("/oauth2/token"))
    assert token["status"] == 200
    assert token["resource"] == [resource.resource]
    assert {"code", "code_verifier", "redirect_uri", "client_id"} <= set(token["fields"])
    # RFC 9207 §2: the authorization response carried the workspace's issuer.
    assert out["callback"]["iss"] == live.issuer
    assert out["callback"]["state"] == "ts-state-1"
    # The example resource accepted the token after introspection showed aud == resource.
    assert out["status"] == 200, out
    checked = resource.checker.checked[-1]
    assert checked["active"] is True
    assert checked["aud"] == resource.resource
    registered = out["registered"]
    assert out["body"]["result"]["client_id"] == registered["client_id"]
    client = Client.objects.get(client_id=registered["client_id"])
    assert client.registration_source == "dcr"
    assert client.token_endpoint_auth_method == "none"
    assert out["has_refresh_token"] is True
