"""grant_types and response_types, and their consistency (RFC 7591 §2, §2.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from registration.errors import InvalidClientMetadata


@pytest.fixture
def implicit_capabilities(capabilities):
    return replace(
        capabilities,
        grant_types_supported=capabilities.grant_types_supported | {"implicit"},
        response_types_supported=frozenset({"code", "token", "id_token", "code id_token"}),
    )


def test_grant_types_default_to_authorization_code_rfc7591_2(validate, web_client):
    """RFC 7591 §2: "If omitted, the default behavior is that the client will use only the
    authorization_code Grant Type." """
    result = validate(web_client)
    assert result["grant_types"] == ["authorization_code"]
    assert result["response_types"] == ["code"]


def test_client_credentials_only_needs_no_redirect_or_response_types_rfc7591_2_1(validate):
    """RFC 7591 §2.1: a client_credentials-only client uses no response type at all."""
    result = validate({"grant_types": ["client_credentials"]})
    assert result["grant_types"] == ["client_credentials"]
    assert result["response_types"] == []
    assert "redirect_uris" not in result


@pytest.mark.parametrize(
    ("grant_types", "expected"),
    [
        (["authorization_code", "refresh_token"], ["authorization_code", "refresh_token"]),
        (
            ["refresh_token", "authorization_code", "refresh_token"],
            ["refresh_token", "authorization_code"],
        ),
        (["authorization_code", "authorization_code"], ["authorization_code"]),
    ],
)
def test_grant_types_are_deduplicated_keeping_order_rfc7591_2(
    validate, web_client, grant_types, expected
):
    """RFC 7591 §2: grant_types is a list of grant type strings; repeats are dropped."""
    assert validate({**web_client, "grant_types": grant_types})["grant_types"] == expected


@pytest.mark.parametrize(
    "grant_types",
    [
        ["implicit"],
        ["password"],
        ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        ["authorization_code", "AUTHORIZATION_CODE"],
    ],
)
def test_unsupported_grant_type_is_refused_rfc7591_2(validate, web_client, grant_types):
    """RFC 7591 §2: the server refuses grant types it does not offer."""
    with pytest.raises(InvalidClientMetadata, match=r"^grant_types\[\d\]: .* is not supported"):
        validate({**web_client, "grant_types": grant_types})


def test_empty_grant_types_is_refused_rfc7591_2(validate, web_client):
    """RFC 7591 §2: an empty grant_types list registers a client that can do nothing."""
    with pytest.raises(InvalidClientMetadata, match=r"^grant_types: must not be empty"):
        validate({**web_client, "grant_types": []})


@pytest.mark.parametrize("response_types", [["token"], ["code", "token"], ["id_token"]])
def test_unsupported_response_type_is_refused_rfc7591_2(validate, web_client, response_types):
    """RFC 7591 §2: the server refuses response types it does not offer."""
    with pytest.raises(InvalidClientMetadata, match=r"^response_types\[\d\]: "):
        validate({**web_client, "response_types": response_types})


def test_code_response_type_requires_authorization_code_grant_rfc7591_2_1(validate, web_client):
    """RFC 7591 §2.1: response type "code" <-> grant type "authorization_code"."""
    raw = {**web_client, "grant_types": ["client_credentials"], "response_types": ["code"]}
    with pytest.raises(InvalidClientMetadata, match=r"^response_types: code requires"):
        validate(raw)


@pytest.mark.parametrize("response_types", [[], ["code", "code"]])
def test_authorization_code_grant_requires_code_response_type_rfc7591_2_1(
    validate, web_client, response_types
):
    """RFC 7591 §2.1: the authorization_code grant needs the code response type (and vice versa)."""
    raw = {**web_client, "response_types": response_types}
    if response_types:
        assert validate(raw)["response_types"] == ["code"]
    else:
        with pytest.raises(InvalidClientMetadata, match=r"requires the code response type"):
            validate(raw)


@pytest.mark.parametrize(
    ("grant_types", "response_types", "error"),
    [
        (["authorization_code"], ["code", "token"], "token requires the implicit grant"),
        (["authorization_code"], ["code id_token"], "id_token requires the implicit grant"),
        (["implicit"], ["code"], "code requires the authorization_code grant"),
        (["authorization_code", "implicit"], ["code"], "implicit grant type requires the token"),
        (["implicit"], None, "must be sent by an implicit-only client"),
    ],
)
def test_implicit_response_types_need_implicit_grant_rfc7591_2_1(
    validate, implicit_capabilities, grant_types, response_types, error
):
    """RFC 7591 §2.1: "token" (and OIDC "id_token") <-> the implicit grant type."""
    raw = {"redirect_uris": ["https://app.example.com/cb"], "grant_types": grant_types}
    if response_types is not None:
        raw["response_types"] = response_types
    with pytest.raises(InvalidClientMetadata, match=error):
        validate(raw, capabilities=implicit_capabilities)


@pytest.mark.parametrize(
    ("grant_types", "response_types", "expected"),
    [
        (["implicit"], ["token"], ["token"]),
        (["authorization_code", "implicit"], ["id_token code"], ["code id_token"]),
        (["authorization_code", "implicit"], ["code", "token"], ["code", "token"]),
    ],
)
def test_consistent_implicit_registration_is_accepted_rfc7591_2_1(
    validate, implicit_capabilities, grant_types, response_types, expected
):
    """RFC 7591 §2.1 / OAuth 2.0 Multiple Response Types §3: order inside a type is free."""
    raw = {
        "redirect_uris": ["https://app.example.com/cb"],
        "grant_types": grant_types,
        "response_types": response_types,
    }
    assert validate(raw, capabilities=implicit_capabilities)["response_types"] == expected


def test_grant_and_response_types_are_always_in_the_result_rfc7591_2(validate):
    """RFC 7591 §3.2.1: the server returns all registered metadata, defaults included."""
    result = validate({"grant_types": ["client_credentials"], "response_types": []})
    assert result["grant_types"] == ["client_credentials"]
    assert result["response_types"] == []
