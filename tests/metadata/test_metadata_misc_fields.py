"""Names, URIs, contacts, software identifiers and OIDC Registration §2 fields."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata

URI_FIELDS = [
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "initiate_login_uri",
    "sector_identifier_uri",
]


def test_result_has_defaults_and_only_recognized_fields_rfc7591_3_2_1(validate, web_client):
    """RFC 7591 §2 / §3.2.1: unknown and server-issued fields are not part of the metadata."""
    raw = {
        **web_client,
        "client_id": "attacker-chosen",
        "client_secret": "s3cret",
        "client_id_issued_at": 1,
        "client_secret_expires_at": 0,
        "registration_access_token": "tok",
        "registration_client_uri": "https://evil.example.com/",
        "software_statement": "eyJ...",
        "x_custom": "ignored",
        "logo_uri": None,
    }
    assert validate(raw) == {
        "application_type": "web",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "redirect_uris": ["https://app.example.com/callback"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "openid profile email",
    }


@pytest.mark.parametrize("raw", [[], "x", None, 1])
def test_metadata_must_be_an_object_rfc7591_3_1(raw, validate):
    """RFC 7591 §3.1: the registration request body is a JSON object."""
    with pytest.raises(InvalidClientMetadata, match=r"^metadata: must be a JSON object"):
        validate(raw)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My App", "My App"),
        ("  Padded  ", "Padded"),
        ("Ünïcødé ✓", "Ünïcødé ✓"),
        ("x" * 255, "x" * 255),
    ],
)
def test_client_name_is_stripped_and_kept_rfc7591_2(validate, web_client, name, expected):
    """RFC 7591 §2 client_name: a human-readable name shown to the end user."""
    assert validate({**web_client, "client_name": name})["client_name"] == expected


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 256, "x" * 2001, "a\x00b", "a\nb", "evil\u202etxt.exe", "a\u2028b"]
)
def test_bad_client_name_is_refused_rfc7591_2(validate, web_client, name):
    """RFC 7591 §2 client_name: non-empty, at most 255 characters, no control characters."""
    with pytest.raises(InvalidClientMetadata, match=r"^client_name: "):
        validate({**web_client, "client_name": name})


@pytest.mark.parametrize("field", URI_FIELDS)
def test_https_uri_fields_are_accepted_rfc7591_2(validate, web_client, field):
    """RFC 7591 §2 / OIDC Registration §2: URL-valued metadata over https."""
    uri = "https://app.example.com/page?x=1"
    assert validate({**web_client, field: uri})[field] == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example.com/page",
        "https://app.example.com/page#section",
        "JavaScript:alert(1)",
        "data:image/png;base64,AAAA",
        "//app.example.com/page",
        "https://user@app.example.com/",
        "https://app.example.com/" + "a" * 2000,
    ],
)
@pytest.mark.parametrize("field", URI_FIELDS)
def test_bad_uri_fields_are_refused_rfc7591_2(validate, web_client, field, uri):
    """RFC 7591 §2: URL-valued metadata must be absolute https URLs without a fragment."""
    with pytest.raises(InvalidClientMetadata, match=rf"^{field}: "):
        validate({**web_client, field: uri})


def test_request_uris_may_carry_a_fragment_oidc_registration_2(validate, web_client):
    """OIDC Registration §2 request_uris: "these URI values SHOULD include ... a fragment"."""
    uris = ["https://app.example.com/req.jwt#abc", "https://app.example.com/req.jwt#abc"]
    assert validate({**web_client, "request_uris": uris})["request_uris"] == uris[:1]


@pytest.mark.parametrize("uri", ["http://app.example.com/r", "javascript:x", "relative/r"])
def test_request_uris_must_be_https_oidc_registration_2(validate, web_client, uri):
    """OIDC Registration §2 request_uris: https URLs."""
    with pytest.raises(InvalidClientMetadata, match=r"^request_uris\[0\]: "):
        validate({**web_client, "request_uris": [uri]})


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        (["admin@example.com"], ["admin@example.com"]),
        (["a@example.com", " b@example.com ", "a@example.com"], ["a@example.com", "b@example.com"]),
        ([f"u{i}@example.com" for i in range(20)], [f"u{i}@example.com" for i in range(20)]),
    ],
)
def test_contacts_are_normalized_rfc7591_2(validate, web_client, contacts, expected):
    """RFC 7591 §2 contacts: ways to contact the people responsible, typically e-mail."""
    assert validate({**web_client, "contacts": contacts})["contacts"] == expected


@pytest.mark.parametrize(
    "contacts",
    [
        [],
        [""],
        ["  "],
        ["a b@example.com"],
        ["a@example.com\r\nBcc: x@example.com"],
        ["x" * 255],
        [f"u{i}@example.com" for i in range(21)],
    ],
)
def test_bad_contacts_are_refused_rfc7591_2(validate, web_client, contacts):
    """RFC 7591 §2 contacts: 1-20 addresses, each at most 254 characters, no whitespace."""
    with pytest.raises(InvalidClientMetadata, match=r"^contacts"):
        validate({**web_client, "contacts": contacts})


@pytest.mark.parametrize("field", ["software_id", "software_version"])
@pytest.mark.parametrize("value", ["4NRB1-0XZABZI9E6-5SM3R", "2.1.0", "x" * 255])
def test_software_identifiers_are_kept_rfc7591_2(validate, web_client, field, value):
    """RFC 7591 §2 software_id / software_version: identifier strings."""
    assert validate({**web_client, field: value})[field] == value


@pytest.mark.parametrize("field", ["software_id", "software_version"])
@pytest.mark.parametrize("value", ["", " ", "x" * 256, "id\x00", "v\n1"])
def test_bad_software_identifiers_are_refused_rfc7591_2(validate, web_client, field, value):
    """RFC 7591 §2 software_id / software_version: 1-255 characters, no control characters."""
    with pytest.raises(InvalidClientMetadata, match=rf"^{field}: "):
        validate({**web_client, field: value})


@pytest.mark.parametrize("application_type", ["WEB", "browser", "", "Native"])
def test_unknown_application_type_is_refused_oidc_registration_2(
    validate, web_client, application_type
):
    """OIDC Registration §2 application_type: "The defined values are native or web." """
    with pytest.raises(InvalidClientMetadata, match=r"^application_type: "):
        validate({**web_client, "application_type": application_type})


def test_subject_type_public_is_accepted_pairwise_refused_oidc_registration_2(validate, web_client):
    """OIDC Registration §2 subject_type / OIDC Core §8: only public identifiers are offered."""
    assert validate({**web_client, "subject_type": "public"})["subject_type"] == "public"
    with pytest.raises(InvalidClientMetadata, match=r"pairwise .* not supported"):
        validate({**web_client, "subject_type": "pairwise"})
    with pytest.raises(InvalidClientMetadata, match=r"^subject_type: "):
        validate({**web_client, "subject_type": "other"})


@pytest.mark.parametrize(
    ("alg", "accepted"), [("RS256", True), ("none", False), ("ES256", False), ("HS256", False)]
)
def test_id_token_signed_response_alg_oidc_registration_2(validate, web_client, alg, accepted):
    """OIDC Registration §2 id_token_signed_response_alg: an algorithm the OP signs with."""
    raw = {**web_client, "id_token_signed_response_alg": alg}
    if accepted:
        assert validate(raw)["id_token_signed_response_alg"] == alg
    else:
        with pytest.raises(InvalidClientMetadata, match=r"^id_token_signed_response_alg: "):
            validate(raw)


@pytest.mark.parametrize("field", ["userinfo_signed_response_alg", "request_object_signing_alg"])
@pytest.mark.parametrize(
    ("alg", "accepted"), [("RS256", True), ("none", False), ("NONE", False), ("R S", False)]
)
def test_other_signing_algs_refuse_none_oidc_registration_2(
    validate, web_client, field, alg, accepted
):
    """OIDC Registration §2: JWS alg names; none (unsigned) refused (RFC 8725 §3.1)."""
    raw = {**web_client, field: alg}
    if accepted:
        assert validate(raw)[field] == alg
    else:
        with pytest.raises(InvalidClientMetadata, match=rf"^{field}: "):
            validate(raw)


@pytest.mark.parametrize(
    "field",
    [
        "id_token_encrypted_response_alg",
        "id_token_encrypted_response_enc",
        "userinfo_encrypted_response_alg",
        "userinfo_encrypted_response_enc",
        "request_object_encryption_alg",
        "request_object_encryption_enc",
    ],
)
def test_encryption_parameters_are_refused_oidc_registration_2(validate, web_client, field):
    """OIDC Registration §2 *_encrypted_*: no JWE here, so refusing beats silently ignoring."""
    with pytest.raises(InvalidClientMetadata, match=rf"^{field}: encryption is not supported"):
        validate({**web_client, field: "RSA-OAEP-256"})


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (0, True),
        (3600, True),
        (-1, False),
        (True, False),
        (1.5, False),
        ("60", False),
        (2**40, False),
    ],
)
def test_default_max_age_is_a_non_negative_integer_oidc_registration_2(
    validate, web_client, value, accepted
):
    """OIDC Registration §2 default_max_age: seconds, an integer (a boolean is not one)."""
    raw = {**web_client, "default_max_age": value}
    if accepted:
        assert validate(raw)["default_max_age"] == value
    else:
        with pytest.raises(InvalidClientMetadata, match=r"^default_max_age: "):
            validate(raw)


@pytest.mark.parametrize(
    ("value", "accepted"), [(True, True), (False, True), (1, False), ("true", False)]
)
def test_require_auth_time_is_boolean_oidc_registration_2(validate, web_client, value, accepted):
    """OIDC Registration §2 require_auth_time: "Boolean value"."""
    raw = {**web_client, "require_auth_time": value}
    if accepted:
        assert validate(raw)["require_auth_time"] is value
    else:
        with pytest.raises(InvalidClientMetadata, match=r"^require_auth_time: must be a boolean"):
            validate(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["urn:mace:incommon:iap:silver", "1", "1"], ["urn:mace:incommon:iap:silver", "1"]),
        ([], None),
    ],
)
def test_default_acr_values_oidc_registration_2(validate, web_client, value, expected):
    """OIDC Registration §2 default_acr_values: an array of strings."""
    result = validate({**web_client, "default_acr_values": value})
    assert result.get("default_acr_values") == expected


@pytest.mark.parametrize("value", [[""], ["a b"], "silver", [1]])
def test_bad_default_acr_values_are_refused_oidc_registration_2(validate, web_client, value):
    """OIDC Registration §2 default_acr_values / OIDC Core §3.1.2.1: space-free strings."""
    with pytest.raises(InvalidClientMetadata, match=r"^default_acr_values"):
        validate({**web_client, "default_acr_values": value})


def test_type_errors_win_over_rule_errors_rfc7591_2(validate):
    """RFC 7591 §3.2.2: checks run types first, so the reported field is deterministic."""
    raw = {"redirect_uris": ["javascript:x"], "require_auth_time": "yes"}
    with pytest.raises(InvalidClientMetadata, match=r"^require_auth_time: must be a boolean"):
        validate(raw)
