"""Authlib's RFC 8414 / OIDC Discovery metadata validators and RFC 7591 / OIDC Registration
client metadata claims, run on what dcr-server serves."""

from __future__ import annotations

import pytest

from tests.interop.support import LiveServer, python_client, run_client

AUTHLIB_VERSION = "1.9.10"


@pytest.mark.interop
def test_authlib_validates_discovery_and_registration_responses(live: LiveServer) -> None:
    python = python_client("authlib", AUTHLIB_VERSION)

    out = run_client([str(python)], "authlib_validate.py", live.issuer)

    assert out["authlib"] == AUTHLIB_VERSION
    assert set(out["discovery"]) == {
        "oidc_suffix",
        "oauth_suffix",
        "oauth_inserted",
        "oidc_inserted",
    }
    for label, result in out["discovery"].items():
        assert result["status"] == 200, label
        assert result["issuer"] == live.issuer, label
        assert result["rfc8414_field_errors"] == [], (label, result)
        assert result["oidc_field_errors"] == [], (label, result)
        assert result["rfc8414_validate"] is None, (label, result)
        assert result["oidc_validate"] is None, (label, result)
    for label, result in out["registrations"].items():
        assert (result["status"], result["read_status"]) == (201, 200), label
        assert result["register"] == {"rfc7591": None, "oidc": None}, (label, result)
        assert result["read"] == {"rfc7591": None, "oidc": None}, (label, result)
