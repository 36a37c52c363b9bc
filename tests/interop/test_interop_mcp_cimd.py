"""Model Context Protocol Python SDK (``mcp`` on PyPI), 1.x and 2.x, by Client ID Metadata
Document: ``OAuthClientProvider(client_metadata_url=...)`` (both lines have it: 1.30.0 and 2.3.0
checked) completes the authorization-code + PKCE flow with an https URL as its client_id, served
by the HTTPS test document server; the live server fetches and validates the document.

The TypeScript SDK (``@modelcontextprotocol/sdk`` on npm; 1.32.2 checked) supports it too, as
``OAuthClientProvider.clientMetadataUrl`` with ``auth()``: the same flow, by its own script.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registration.configuration import SettingsChange, dcr_configure
from registration.models import AuditEvent, Client
from registration.services import resource_server_create
from tests.cimd.docserver import DocumentServer
from tests.interop.support import CLIENTS, LiveServer, node_client, python_client, run_client

LOOPBACK = "http://127.0.0.1:33418/callback"
TS_SDK = "1.32.2"


def _publish_mcp_document(doc_server: DocumentServer) -> str:
    """What MCP clients publish (VS Code lists device_code too: tolerated, dropped)."""
    url = doc_server.new_url("oauth/client-metadata.json")
    document = {
        "client_id": url,
        "client_name": "MCP CIMD interop client",
        "client_uri": "https://client.example/",
        "redirect_uris": [LOOPBACK],
        "grant_types": [
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    doc_server.publish(url, json.dumps(document).encode(), cache_control="max-age=600")
    return url


def _assert_cimd_client(live: LiveServer, doc_server: DocumentServer, url: str) -> None:
    client = Client.objects.get(workspace=live.workspace, client_id=url)
    assert client.registration_source == "cimd"
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert doc_server.hits(url) == 1
    assert AuditEvent.objects.filter(client_id=url, event="register", operation="cimd").count() == 1


@pytest.fixture
def doc_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[DocumentServer]:
    server = DocumentServer(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True  # the document host is loopback (a lab)
    yield server
    server.stop()


@pytest.fixture
def resource_server(live: LiveServer) -> dict[str, Any]:
    """The protected resource's client, created by an administrator: only such clients may
    introspect tokens issued to other clients (RFC 7662 §4)."""
    client, secret = resource_server_create(workspace=live.workspace, name="MCP resource server")
    return {"client_id": client.client_id, "client_secret": secret}


@pytest.mark.interop
@pytest.mark.parametrize("mcp_version", ["1.30.0", "2.3.0"])
def test_mcp_sdk_authorization_code_flow_by_client_id_metadata_document(
    live: LiveServer,
    session_cookie: str,
    resource_server: dict[str, Any],
    doc_server: DocumentServer,
    mcp_version: str,
) -> None:
    dcr_configure(workspace=live.workspace, change=SettingsChange(cimd_enabled=True))
    url = _publish_mcp_document(doc_server)
    python = python_client("mcp", mcp_version)

    out = run_client(
        [str(python)],
        "mcp_cimd_flow.py",
        live.issuer,
        session_cookie,
        resource_server["client_id"],
        resource_server["client_secret"],
        LOOPBACK,
        url,
    )

    assert out["mcp"] == mcp_version
    assert out["status"] == 200, out
    assert out["second_status"] == 200
    assert out["client_id"] == url
    assert out["authorize_client_id"] == url
    assert out["consent_status"] == 200 and out["consent_shows_name"]
    assert "code_challenge" in out["authorize_query"]
    # No registration: the URL is the client_id.
    assert not any(r["url"].endswith("/oauth2/register") for r in out["as_requests"]), out
    token_request = next(r for r in out["as_requests"] if r["url"].endswith("/oauth2/token"))
    assert token_request["status"] == 200
    assert token_request["body"]["client_id"] == url
    assert out["introspection"] == {
        "active": True,
        "client_id": url,
        "scope": out["introspection"]["scope"],
    }
    _assert_cimd_client(live, doc_server, url)


@pytest.mark.interop
def test_typescript_mcp_sdk_authorization_code_flow_by_client_id_metadata_document(
    live: LiveServer,
    session_cookie: str,
    resource_server: dict[str, Any],
    doc_server: DocumentServer,
) -> None:
    dcr_configure(workspace=live.workspace, change=SettingsChange(cimd_enabled=True))
    url = _publish_mcp_document(doc_server)
    prefix = node_client("@modelcontextprotocol/sdk", TS_SDK)
    # An ES module resolves bare imports from its own folder: run a copy inside the prefix.
    script = prefix / "mcp_ts_cimd_flow.mjs"
    shutil.copyfile(CLIENTS / "mcp_ts_cimd_flow.mjs", script)

    out = run_client(
        [shutil.which("node") or "node"],
        str(script),
        live.issuer,
        session_cookie,
        resource_server["client_id"],
        resource_server["client_secret"],
        LOOPBACK,
        url,
    )

    assert out["sdk"] == TS_SDK
    assert out["first_status"] == 401
    assert (out["first_auth"], out["second_auth"]) == ("REDIRECT", "AUTHORIZED")
    assert out["status"] == 200, out
    assert out["client_id"] == url
    assert out["authorize_client_id"] == url
    assert out["consent_status"] == 200 and out["consent_shows_name"]
    assert "code_challenge" in out["authorize_query"]
    assert not any(r["url"].endswith("/oauth2/register") for r in out["requests"]), out
    token_request = next(r for r in out["requests"] if r["url"].endswith("/oauth2/token"))
    assert token_request["status"] == 200
    assert token_request["body"]["client_id"] == url
    assert out["introspection"] == {"active": True, "client_id": url}
    _assert_cimd_client(live, doc_server, url)
