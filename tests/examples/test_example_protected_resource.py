"""The example protected resource (examples/protected_resource.py, RFC 9728) run live against
a live authorization server: its metadata document, its challenge, and its token check by
introspection that requires this workspace's iss and this resource's aud."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest

from examples.protected_resource import RunningResource, metadata_url, start
from registration.services import resource_server_create
from tests.interop.support import LiveServer


@pytest.fixture
def resource(live: LiveServer) -> Iterator[RunningResource]:
    client, secret = resource_server_create(workspace=live.workspace, name="Example resource")
    running = start(issuer=live.issuer, client_id=client.client_id, client_secret=secret)
    yield running
    running.stop()


@pytest.fixture
def service(live: LiveServer) -> dict[str, Any]:
    return live.post_json(
        "/oauth2/register", {"client_name": "Service", "grant_types": ["client_credentials"]}
    )


def token_for(live: LiveServer, client: dict[str, Any], resource: str | None) -> str:
    fields = {"grant_type": "client_credentials"}
    if resource:
        fields["resource"] = resource
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    request = urllib.request.Request(
        live.url("/oauth2/token"),
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.load(response)["access_token"]
    return token


def call(resource: RunningResource, token: str | None) -> tuple[int, dict[str, str], Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        resource.resource, data=b'{"jsonrpc": "2.0", "id": 7, "method": "ping"}', headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def test_metadata_document_names_the_workspace_rfc9728_2(live, resource):
    """RFC 9728 §2-3: at the inserted well-known path, resource equals the identifier and the
    workspace is the authorization server."""
    url = metadata_url(resource.resource)
    assert url.endswith("/.well-known/oauth-protected-resource/mcp")
    with urllib.request.urlopen(url, timeout=10) as response:
        document = json.load(response)
    assert document["resource"] == resource.resource  # RFC 9728 §3.3
    assert document["authorization_servers"] == [live.issuer]
    assert document["bearer_methods_supported"] == ["header"]


def test_request_without_token_is_challenged_rfc9728_5_1(resource):
    """RFC 9728 §5.1 / RFC 6750 §3.1: 401 naming the metadata URL; no error code."""
    status, headers, _ = call(resource, None)
    assert status == HTTPStatus.UNAUTHORIZED
    challenge = headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{metadata_url(resource.resource)}"' in challenge
    assert "error=" not in challenge


def test_token_for_this_resource_is_accepted_rfc8707_2(live, resource, service):
    """RFC 8707 §2: a token whose audience is this resource passes introspection checks."""
    status, _, body = call(resource, token_for(live, service, resource.resource))
    assert status == HTTPStatus.OK
    assert body["id"] == 7
    assert body["result"]["client_id"] == service["client_id"]
    assert resource.checker.checked[-1]["aud"] == resource.resource


@pytest.mark.parametrize("audience", [None, "https://other.example/api"], ids=["none", "other"])
def test_token_for_another_audience_is_refused_rfc8707_2(live, resource, service, audience):
    """RFC 8707 §2: an unrestricted token, or one for another resource, is invalid_token here."""
    status, headers, _ = call(resource, token_for(live, service, audience))
    assert status == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert resource.checker.checked[-1]["active"] is True  # the server said active; aud refused


def test_unknown_token_is_refused(resource):
    status, headers, _ = call(resource, "not-a-token")
    assert status == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert resource.checker.checked[-1] == {
        "active": False,
        "aud": None,
        "client_id": None,
        "iss": None,
    }
