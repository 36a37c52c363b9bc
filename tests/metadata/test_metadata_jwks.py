"""jwks and jwks_uri (RFC 7591 §2, RFC 7517, RFC 7518)."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata


@pytest.fixture
def pkjwt_client(web_client):
    return {**web_client, "token_endpoint_auth_method": "private_key_jwt"}


@pytest.mark.parametrize("fixture", ["rsa_jwk", "ec_jwk", "okp_jwk"])
def test_public_rsa_ec_okp_keys_are_accepted_rfc7591_2(request, validate, pkjwt_client, fixture):
    """RFC 7591 §2 jwks: "contains the client's public keys"."""
    key = {**request.getfixturevalue(fixture), "kid": "k1", "use": "sig"}
    result = validate({**pkjwt_client, "jwks": {"keys": [key]}})
    assert result["jwks"] == {"keys": [key]}


def test_jwks_and_jwks_uri_together_are_refused_rfc7591_2(validate, pkjwt_client, rsa_jwk):
    """RFC 7591 §2: "The jwks_uri and jwks parameters MUST NOT both be present"."""
    raw = {**pkjwt_client, "jwks": {"keys": [rsa_jwk]}, "jwks_uri": "https://app.example.com/jwks"}
    with pytest.raises(InvalidClientMetadata, match=r"^jwks: jwks and jwks_uri must not both"):
        validate(raw)


@pytest.mark.parametrize("fixture", ["rsa_private_jwk", "ec_private_jwk"])
def test_private_key_material_is_refused_rfc7591_2(request, validate, pkjwt_client, fixture):
    """RFC 7591 §2: only public keys may be registered; a private JWK is refused."""
    key = request.getfixturevalue(fixture)
    with pytest.raises(InvalidClientMetadata, match=r"^jwks.keys\[0\]: contains private key"):
        validate({**pkjwt_client, "jwks": {"keys": [key]}})


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth"])
def test_each_private_member_is_refused_rfc7518_6_3_2(validate, pkjwt_client, rsa_jwk, member):
    """RFC 7518 §6.3.2: d, p, q, dp, dq, qi, oth are private RSA members."""
    key = {**rsa_jwk, member: "AQAB"}
    with pytest.raises(InvalidClientMetadata, match=rf"private key material \({member}\)"):
        validate({**pkjwt_client, "jwks": {"keys": [key]}})


@pytest.mark.parametrize(
    "key", [{"kty": "oct", "k": "c2VjcmV0"}, {"kty": "oct"}, {"kty": "RSA", "k": "c2VjcmV0"}]
)
def test_symmetric_keys_are_refused_rfc7518_6_4(validate, pkjwt_client, key):
    """RFC 7518 §6.4: an "oct" key is a shared secret, never client public key material."""
    with pytest.raises(InvalidClientMetadata, match=r"symmetric"):
        validate({**pkjwt_client, "jwks": {"keys": [key]}})


def test_rsa_key_under_2048_bits_is_refused_rfc7518_3_3(validate, pkjwt_client, short_rsa_jwk):
    """RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used"."""
    with pytest.raises(InvalidClientMetadata, match=r"not 1024.*RFC 7518 §3.3"):
        validate({**pkjwt_client, "jwks": {"keys": [short_rsa_jwk]}})


@pytest.mark.parametrize(
    ("mutation", "error"),
    [
        ({"kty": "XYZ"}, "kty: .* is not supported"),
        ({"kty": None}, "kty: must be a string"),
        ({"n": "AQAB"}, "not a usable key"),
        ({"n": 5}, "not a usable key"),
        ({"e": "AQ"}, "not a usable key"),
        ({"alg": "none"}, "alg: must not be none"),
        ({"alg": "ES256"}, "not a usable key"),
        ({"alg": ["RS256"]}, "alg: must be a non-empty string"),
        ({"use": "both"}, "use: must be sig or enc"),
        ({"kid": ""}, "kid: must be a non-empty string"),
        ({"kid": 7}, "kid: must be a non-empty string"),
    ],
)
def test_unusable_keys_are_refused_rfc7517_4(validate, pkjwt_client, rsa_jwk, mutation, error):
    """RFC 7517 §4: every key must be a well-formed, loadable JWK."""
    key = {**rsa_jwk, **mutation}
    with pytest.raises(InvalidClientMetadata, match=rf"^jwks.keys\[0\].*{error}"):
        validate({**pkjwt_client, "jwks": {"keys": [key]}})


@pytest.mark.parametrize(
    "key",
    [
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        {"kty": "EC", "crv": "P-999", "x": "AAAA", "y": "AAAA"},
        {"kty": "OKP", "crv": "X25519", "x": "M4x_DRmTPRKbIHwaxdGd1Ohx2seOwYPbwOAIxuErnV8"},
    ],
)
def test_invalid_ec_and_okp_keys_are_refused_rfc7518_6_2(validate, pkjwt_client, key):
    """RFC 7518 §6.2 / RFC 8037 §2: curve and coordinates must form a usable signing key."""
    with pytest.raises(InvalidClientMetadata, match=r"not a usable key"):
        validate({**pkjwt_client, "jwks": {"keys": [key]}})


@pytest.mark.parametrize(
    ("jwks", "error"),
    [
        ({}, "jwks.keys: must be an array"),
        ({"keys": {}}, "jwks.keys: must be an array"),
        ({"keys": []}, "between 1 and 20"),
        ({"keys": [1]}, r"jwks.keys\[0\]: must be an object"),
    ],
)
def test_jwks_shape_is_enforced_rfc7517_5(validate, pkjwt_client, jwks, error):
    """RFC 7517 §5: a JWK Set is an object whose "keys" member is an array of JWKs."""
    with pytest.raises(InvalidClientMetadata, match=error):
        validate({**pkjwt_client, "jwks": jwks})


def test_more_than_twenty_keys_are_refused_rfc7517_5(validate, pkjwt_client, ec_jwk):
    """RFC 7517 §5 size sanity: at most 20 keys."""
    keys = [{**ec_jwk, "kid": str(i)} for i in range(21)]
    with pytest.raises(InvalidClientMetadata, match=r"between 1 and 20"):
        validate({**pkjwt_client, "jwks": {"keys": keys}})
    assert len(validate({**pkjwt_client, "jwks": {"keys": keys[:20]}})["jwks"]["keys"]) == 20


def test_duplicate_kids_are_refused_rfc7517_4_5(validate, pkjwt_client, rsa_jwk, ec_jwk):
    """RFC 7517 §4.5: kid values distinguish the keys of a set."""
    keys = [{**rsa_jwk, "kid": "same"}, {**ec_jwk, "kid": "same"}]
    with pytest.raises(InvalidClientMetadata, match=r"jwks.keys\[1\].kid: duplicate kid"):
        validate({**pkjwt_client, "jwks": {"keys": keys}})


def test_jwks_top_level_extras_are_dropped_rfc7517_5(validate, pkjwt_client, rsa_jwk):
    """RFC 7517 §5: only the "keys" member of the set is kept."""
    result = validate({**pkjwt_client, "jwks": {"keys": [rsa_jwk], "extra": 1}})
    assert result["jwks"] == {"keys": [rsa_jwk]}


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example.com/jwks",
        "https://app.example.com/jwks#k",
        "file:///etc/jwks",
        "https:///jwks",
    ],
)
def test_jwks_uri_must_be_https_without_fragment_rfc7591_2(validate, pkjwt_client, uri):
    """RFC 7591 §2 jwks_uri: a URL the server fetches -- https, no fragment."""
    with pytest.raises(InvalidClientMetadata, match=r"^jwks_uri: "):
        validate({**pkjwt_client, "jwks_uri": uri})
