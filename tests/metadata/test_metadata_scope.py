"""scope (RFC 7591 §2, RFC 6749 §3.3)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from registration.errors import InvalidClientMetadata


@pytest.fixture
def strict_capabilities(capabilities):
    return replace(capabilities, reject_unsupported_scopes=True)


def test_absent_scope_gets_the_workspace_defaults_rfc7591_2(validate, web_client):
    """RFC 7591 §2: "If omitted, an authorization server MAY register a client with a default
    set of scopes." """
    assert validate(web_client)["scope"] == "openid profile email"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("openid", "openid"),
        ("email openid", "email openid"),
        ("openid openid profile", "openid profile"),
        ("  openid   email ", "openid email"),
        ("offline_access", "offline_access"),
    ],
)
def test_supported_scopes_are_kept_deduplicated_in_order_rfc6749_3_3(
    validate, web_client, scope, expected
):
    """RFC 6749 §3.3: scope is a space-delimited list; order does not matter, repeats add
    nothing."""
    assert validate({**web_client, "scope": scope})["scope"] == expected


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("openid admin", "openid"), ("admin openid write", "openid"), ("OPENID profile", "profile")],
)
def test_unsupported_scopes_are_dropped_when_narrowing_rfc7591_2(
    validate, web_client, scope, expected
):
    """RFC 7591 §2: the server MAY register a client with fewer scopes than requested; the
    returned scope is what is granted (RFC 7591 §3.2.1)."""
    assert validate({**web_client, "scope": scope})["scope"] == expected


def test_nothing_grantable_omits_scope_rfc7591_3_2_1(validate, web_client):
    """RFC 7591 §3.2.1: only granted values are returned; none -> no scope member."""
    assert "scope" not in validate({**web_client, "scope": "admin write"})


def test_unsupported_scopes_are_refused_when_rejecting_rfc7591_2(
    validate, web_client, strict_capabilities
):
    """RFC 7591 §2: the server MAY instead refuse the registration, naming the scopes."""
    with pytest.raises(InvalidClientMetadata, match=r'^scope: not available .*"admin write"'):
        validate({**web_client, "scope": "openid admin write"}, capabilities=strict_capabilities)
    result = validate({**web_client, "scope": "openid email"}, capabilities=strict_capabilities)
    assert result["scope"] == "openid email"


@pytest.mark.parametrize("reject", [False, True])
@pytest.mark.parametrize("offered", [False, True])
def test_dcr_register_is_never_granted_rfc7591_2(
    validate, web_client, capabilities, reject, offered
):
    """RFC 7591 §2: scopes are at the server's discretion; the registration scope itself is
    never handed to a registered client, even if the workspace lists it."""
    scopes = capabilities.scopes_supported | ({"dcr_register"} if offered else set())
    caps = replace(capabilities, scopes_supported=scopes, reject_unsupported_scopes=reject)
    raw = {**web_client, "scope": "openid dcr_register"}
    if reject:
        with pytest.raises(InvalidClientMetadata, match=r"dcr_register"):
            validate(raw, capabilities=caps)
    else:
        assert validate(raw, capabilities=caps)["scope"] == "openid"


def test_dcr_register_in_default_scopes_is_not_granted_rfc7591_2(
    validate, web_client, capabilities
):
    """RFC 7591 §2: defaults are filtered like requested scopes."""
    caps = replace(
        capabilities,
        scopes_supported=capabilities.scopes_supported | {"dcr_register"},
        default_scopes=("openid", "dcr_register", "unknown"),
    )
    assert validate(web_client, capabilities=caps)["scope"] == "openid"


@pytest.mark.parametrize(
    "scope",
    ["", "   ", 'open"id', "open\\id", "openid\tprofile", "openid\nprofile", "café", "a\x7f"],
)
def test_invalid_scope_tokens_are_refused_rfc6749_3_3(validate, web_client, scope):
    """RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )."""
    with pytest.raises(InvalidClientMetadata, match=r"^scope: "):
        validate({**web_client, "scope": scope})


@pytest.mark.parametrize("scope", [["openid"], 1, {"openid": True}, True])
def test_scope_must_be_a_string_rfc7591_2(validate, web_client, scope):
    """RFC 7591 §2: scope is a string, not an array."""
    with pytest.raises(InvalidClientMetadata, match=r"^scope: must be a string"):
        validate({**web_client, "scope": scope})
