"""pyoidc (``oic``) and idpyoidc: provider configuration, registration and registration read."""

from __future__ import annotations

import pytest

from registration.models import Client
from tests.interop.support import LiveServer, python_client, run_client

OIC_VERSION = "1.7.0"
IDPYOIDC_VERSION = "5.0.0"


@pytest.mark.interop
def test_pyoidc_discovers_registers_and_reads(live: LiveServer) -> None:
    python = python_client("oic", OIC_VERSION)

    out = run_client([str(python)], "pyoidc_register.py", live.issuer)

    assert out["oic"] == OIC_VERSION
    assert out["issuer"] == live.issuer
    assert out["registration_endpoint"] == live.url("/oauth2/register")
    registered = out["registered"]
    assert registered["redirect_uris"] == ["https://rp.example.com/callback"]
    assert registered["token_endpoint_auth_method"] == "client_secret_basic"
    assert out["read"]["client_id"] == registered["client_id"]
    assert out["read_again_client_id"] == registered["client_id"]
    # RFC 7592 §2.1 rotation: pyoidc stores the new token from every read response.
    assert out["token_rotated"] is True
    assert Client.objects.filter(client_id=registered["client_id"]).exists()


@pytest.mark.interop
@pytest.mark.parametrize(
    "flags",
    [
        # idpyoidc's defaults send token_endpoint_auth_signing_alg with client_secret_basic; the
        # server drops it (OIDC Registration §2 defines it for the JWT methods only).
        pytest.param([], id="defaults"),
        pytest.param(["--without-signing-alg"], id="without-signing-alg"),
    ],
)
def test_idpyoidc_discovers_registers_and_reads(live: LiveServer, flags: list[str]) -> None:
    python = python_client("idpyoidc", IDPYOIDC_VERSION)

    out = run_client([str(python)], "idpyoidc_register.py", live.issuer, *flags)

    assert out["idpyoidc"] == IDPYOIDC_VERSION
    assert out["issuer"] == live.issuer
    assert out["registration_endpoint"] == live.url("/oauth2/register")
    registered = out["registered"]
    assert out["context_client_id"] == registered["client_id"]
    assert out["read"]["client_id"] == registered["client_id"]
    assert out["read"]["client_name"] == "idpyoidc interop"
    assert Client.objects.filter(client_id=registered["client_id"]).exists()
