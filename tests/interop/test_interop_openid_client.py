"""Node's openid-client v5 (Issuer.discover, Client.register, Client.fromUri, client_credentials)
and v6 (discovery, dynamicClientRegistration, clientCredentialsGrant; ``allowInsecureRequests``
because the loopback test server speaks plain HTTP)."""

from __future__ import annotations

import shutil

import pytest

from registration.models import Client
from tests.interop.support import CLIENTS, LiveServer, node_client, run_client

V5 = "5.7.1"  # the latest 5.x
V6 = "6.9.0"  # the latest


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is needed for openid-client")
    return node


@pytest.mark.interop
def test_openid_client_v5_discovers_registers_reads_and_gets_a_token(live: LiveServer) -> None:
    prefix = node_client("openid-client", V5)

    out = run_client(
        [_node()],
        "openid_client_v5.cjs",
        live.issuer,
        env={"NODE_PATH": str(prefix / "node_modules")},
    )

    assert out["openid-client"] == V5
    assert out["issuer"] == live.issuer
    assert out["oauth_form_issuer"] == live.issuer
    assert out["registration_endpoint"] == live.url("/oauth2/register")
    registered = out["registered"]
    assert registered["grant_types"] == ["client_credentials"]
    assert registered["response_types"] == []
    assert out["read_client_id"] == registered["client_id"]
    assert out["has_access_token"] is True
    assert out["token_type"].lower() == "bearer"
    assert Client.objects.filter(client_id=registered["client_id"]).exists()


@pytest.mark.interop
@pytest.mark.parametrize(
    ("mode", "method"), [("post", "client_secret_post"), ("basic", "client_secret_basic")]
)
def test_openid_client_v6_discovers_registers_and_gets_a_token(
    live: LiveServer, mode: str, method: str
) -> None:
    prefix = node_client("openid-client", V6)
    # An ES module resolves bare imports from its own folder, not NODE_PATH: run a copy placed
    # inside the install prefix.
    script = prefix / "openid_client_v6.mjs"
    shutil.copyfile(CLIENTS / "openid_client_v6.mjs", script)

    out = run_client([_node()], str(script), live.issuer, mode)

    assert out["openid-client"] == V6
    assert out["issuer"] == live.issuer
    assert out["oauth2_issuer"] == live.issuer
    assert out["registration_endpoint"] == live.url("/oauth2/register")
    registered = out["registered"]
    assert registered["grant_types"] == ["client_credentials"]
    assert registered["token_endpoint_auth_method"] == method
    assert out["has_access_token"] is True
    assert out["token_type"].lower() == "bearer"
    assert Client.objects.filter(client_id=registered["client_id"]).exists()
