"""token_endpoint_auth_method and token_endpoint_auth_signing_alg (RFC 7591 §2, OIDC §2)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from registration.errors import InvalidClientMetadata


def test_auth_method_defaults_to_client_secret_basic_rfc7591_2(validate, web_client):
    """RFC 7591 §2: "If unspecified or omitted, the default is client_secret_basic"."""
    assert validate(web_client)["token_endpoint_auth_method"] == "client_secret_basic"


@pytest.mark.parametrize(
    "method", ["none", "client_secret_basic", "client_secret_post", "client_secret_jwt"]
)
def test_supported_auth_methods_are_accepted_rfc7591_2(validate, web_client, method):
    """RFC 7591 §2: the five registered token endpoint authentication methods."""
    raw = {**web_client, "token_endpoint_auth_method": method}
    assert validate(raw)["token_endpoint_auth_method"] == method


@pytest.mark.parametrize("method", ["tls_client_auth", "CLIENT_SECRET_BASIC", "", "bearer"])
def test_unknown_auth_method_is_refused_rfc7591_2(validate, web_client, method):
    """RFC 7591 §2: only methods the server supports can be registered."""
    with pytest.raises(InvalidClientMetadata, match=r"^token_endpoint_auth_method: "):
        validate({**web_client, "token_endpoint_auth_method": method})


def test_method_not_offered_by_workspace_is_refused_rfc7591_2(capabilities, validate, web_client):
    """RFC 7591 §2: a method outside the server's capabilities is refused."""
    caps = replace(capabilities, token_endpoint_auth_methods_supported=frozenset({"none"}))
    with pytest.raises(InvalidClientMetadata, match=r"not supported"):
        validate(
            {**web_client, "token_endpoint_auth_method": "client_secret_post"}, capabilities=caps
        )
    with pytest.raises(InvalidClientMetadata, match=r"default client_secret_basic"):
        validate(web_client, capabilities=caps)


def test_public_client_cannot_use_client_credentials_rfc6749_4_4(validate):
    """RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential
    clients." """
    raw = {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}
    with pytest.raises(InvalidClientMetadata, match=r"^grant_types: .*client_credentials"):
        validate(raw)


def test_private_key_jwt_requires_jwks_or_jwks_uri_rfc7523_2_2(validate, web_client, rsa_jwk):
    """RFC 7523 §2.2 / RFC 7591 §2: private_key_jwt needs the client's public keys."""
    raw = {**web_client, "token_endpoint_auth_method": "private_key_jwt"}
    with pytest.raises(InvalidClientMetadata, match=r"requires jwks or jwks_uri"):
        validate(raw)
    assert validate({**raw, "jwks": {"keys": [rsa_jwk]}})["jwks"] == {"keys": [rsa_jwk]}
    assert validate({**raw, "jwks_uri": "https://app.example.com/jwks.json"})["jwks_uri"]


@pytest.mark.parametrize(
    ("method", "alg"),
    [("client_secret_jwt", "HS256"), ("private_key_jwt", "RS256"), ("private_key_jwt", "PS256")],
)
def test_signing_alg_matching_method_is_accepted_oidc_registration_2(
    validate, web_client, rsa_jwk, method, alg
):
    """OIDC Registration §2 token_endpoint_auth_signing_alg for the JWT methods."""
    raw = {
        **web_client,
        "token_endpoint_auth_method": method,
        "token_endpoint_auth_signing_alg": alg,
        "jwks": {"keys": [rsa_jwk]},
    }
    assert validate(raw)["token_endpoint_auth_signing_alg"] == alg


@pytest.mark.parametrize(
    ("method", "alg", "error"),
    [
        ("client_secret_jwt", "none", "none algorithm is not allowed"),
        ("private_key_jwt", "None", "none algorithm is not allowed"),
        ("client_secret_jwt", "RS256", "requires an HMAC"),
        ("private_key_jwt", "HS256", "requires an asymmetric"),
        ("private_key_jwt", "RS512", "not supported"),
        ("private_key_jwt", "ES256", "no key in jwks can verify ES256"),
    ],
)
def test_signing_alg_inconsistent_with_method_is_refused_oidc_registration_2(
    validate, web_client, rsa_jwk, method, alg, error
):
    """OIDC Registration §2: "The value none MUST NOT be used"; HS* only with client_secret_jwt,
    asymmetric only with private_key_jwt (RFC 8725 §3.1, OIDC Core §9)."""
    raw = {
        **web_client,
        "token_endpoint_auth_method": method,
        "token_endpoint_auth_signing_alg": alg,
        "jwks": {"keys": [rsa_jwk]},
    }
    with pytest.raises(
        InvalidClientMetadata, match=rf"^token_endpoint_auth_signing_alg: .*{error}"
    ):
        validate(raw)


@pytest.mark.parametrize(
    ("fixture", "alg"), [("ec_jwk", "ES256"), ("okp_jwk", "EdDSA"), ("rsa_jwk", "RS256")]
)
def test_signing_alg_must_match_a_registered_key_rfc7517_4(
    request, validate, web_client, fixture, alg
):
    """RFC 7517 §4 / RFC 7518 §3.1: a key of the algorithm's type must be registered."""
    raw = {
        **web_client,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": alg,
        "jwks": {"keys": [request.getfixturevalue(fixture)]},
    }
    assert validate(raw)["token_endpoint_auth_signing_alg"] == alg


def test_signing_alg_with_a_secret_method_is_dropped_oidc_registration_2(validate, web_client):
    """OIDC Registration §2 defines token_endpoint_auth_signing_alg for the JWT methods only;
    clients that send it with client_secret_basic (idpyoidc's default) are not refused."""
    raw = {**web_client, "token_endpoint_auth_signing_alg": "RS256"}

    assert "token_endpoint_auth_signing_alg" not in validate(raw)
