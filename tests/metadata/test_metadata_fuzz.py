"""Every field, every wrong JSON type: only typed RFC 7591 §3.2.2 errors ever come out."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata, InvalidRedirectURI

FIELDS = [
    "redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "client_name",
    "client_name#en",
    "client_uri",
    "client_uri#de-CH",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "scope",
    "contacts",
    "jwks",
    "jwks_uri",
    "software_id",
    "software_version",
    "application_type",
    "subject_type",
    "sector_identifier_uri",
    "id_token_signed_response_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_signed_response_alg",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_signing_alg",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
    "default_max_age",
    "require_auth_time",
    "default_acr_values",
    "initiate_login_uri",
    "request_uris",
    "post_logout_redirect_uris",
]

VALUES = [
    None,
    1,
    -1,
    1.5,
    True,
    False,
    [],
    {},
    "x",
    "",
    [1],
    [None],
    [[]],
    [{}],
    ["x"],
    ["x", "x"],
    "x" * 3000,
    ["x" * 3000],
    {"keys": None},
    {"keys": [None]},
    {"keys": [{}]},
    {"keys": [{"kty": "RSA", "n": [], "e": {}}]},
    {"keys": [{"kty": "EC", "crv": [], "x": None}]},
    {"keys": [{"kty": "OKP", "crv": {}, "x": 1}]},
    "\x00",
    "\ud800",
    "https://[",
    "https://a.example:99999999999999999999/",
    "javascript:alert(1)",
    10**400,
]

BASES = [
    {},
    {"redirect_uris": ["https://app.example.com/cb"]},
    {"grant_types": ["client_credentials"]},
    {"redirect_uris": ["com.example.app:/cb"], "application_type": "native"},
]


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("value", VALUES, ids=lambda value: repr(value)[:30])
@pytest.mark.parametrize("field", FIELDS)
def test_any_json_value_yields_result_or_typed_error_rfc7591_3_2_2(validate, field, value, base):
    """RFC 7591 §3.2.2: invalid metadata is reported as invalid_client_metadata or
    invalid_redirect_uri -- never as an unexpected exception."""
    try:
        result = validate({**base, field: value})
    except (InvalidClientMetadata, InvalidRedirectURI) as exc:
        assert exc.description
        assert len(exc.description) < 300
    else:
        assert None not in result.values()
        assert "client_id" not in result
