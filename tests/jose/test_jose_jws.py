"""verify_jws: compact JWS verification (RFC 7515, RFC 7519) hardened per RFC 8725."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization

from registration.jose.errors import (
    BadSignature,
    ExpiredToken,
    InvalidClaims,
    MalformedJWS,
    UnknownKey,
    UnsupportedAlgorithm,
)
from registration.jose.jws import verify_jws
from registration.jose.keysets import KeySet
from tests.jose.conftest import b64, public_jwk, sign_raw

CLAIMS = {"iss": "https://issuer.example.com", "software_id": "app"}


def future(seconds: int = 600) -> int:
    return int(time.time()) + seconds


# -- algorithms ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key_fixture", "alg", "kid"),
    [
        ("rsa_key", "RS256", "rsa-1"),
        ("rsa_key", "RS384", "rsa-1"),
        ("rsa_key", "RS512", "rsa-1"),
        ("rsa_key", "PS256", "rsa-1"),
        ("rsa_key", "PS512", "rsa-1"),
        ("ec_key", "ES256", "ec-1"),
        ("ed_key", "EdDSA", "ed-1"),
    ],
)
def test_each_algorithm_family_verifies_rfc7515_5_2(
    request, sign, inline_keys, key_fixture, alg, kid
):
    """RFC 7515 §5.2 with RFC 7518 §3.3 (RS), §3.5 (PS), §3.4 (ES) and RFC 8037 (EdDSA)."""
    token = sign(CLAIMS, request.getfixturevalue(key_fixture), alg, kid=kid)
    assert verify_jws(token, key_set=inline_keys) == CLAIMS


def test_es384_and_ed448_keys_verify_rfc7518_3_4(sign, ec384_key, ed448_key):
    """RFC 7518 §3.4 (P-384) and RFC 8037 §3.1 (Ed448, a JWK without alg)."""
    key_set = KeySet(
        inline={"keys": [public_jwk(ec384_key, kid="p384"), public_jwk(ed448_key, kid="x448")]},
        uri="",
        cache_namespace="test",
    )
    assert verify_jws(sign(CLAIMS, ec384_key, "ES384", kid="p384"), key_set=key_set) == CLAIMS
    assert verify_jws(sign(CLAIMS, ed448_key, "EdDSA", kid="x448"), key_set=key_set) == CLAIMS


def test_token_without_kid_tries_every_fitting_key_rfc7515_4_1_4(sign, inline_keys, ec_key):
    """RFC 7515 §4.1.4: kid is OPTIONAL; the keys that fit the alg are tried."""
    assert verify_jws(sign(CLAIMS, ec_key, "ES256"), key_set=inline_keys) == CLAIMS


def test_bytes_and_trailing_newline_are_accepted_rfc7515_7_1(sign, inline_keys, rsa_key):
    """RFC 7515 §7.1: the compact serialization, as str or bytes (an application/jwt body)."""
    token = sign(CLAIMS, rsa_key, "RS256", kid="rsa-1")
    assert verify_jws(token.encode() + b"\n", key_set=inline_keys) == CLAIMS


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused_rfc8725_3_1(inline_keys, alg):
    """RFC 8725 §3.1: "none" MUST NOT be accepted where a signature is required."""
    token = f"{b64(json.dumps({'alg': alg, 'kid': 'rsa-1'}).encode())}.{b64(b'{}')}."
    with pytest.raises(UnsupportedAlgorithm, match="is not accepted"):
        verify_jws(token, key_set=inline_keys)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_with_the_public_key_as_secret_is_refused_rfc8725_2_1(inline_keys, rsa_key, alg):
    """RFC 8725 §2.1 (key confusion): HS256 "signed" with the RSA public key's PEM as secret."""
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64(json.dumps({'alg': alg, 'kid': 'rsa-1'}).encode())}.{b64(b'{}')}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    mac = hmac.new(pem, signing_input.encode(), digest).digest()
    with pytest.raises(UnsupportedAlgorithm):
        verify_jws(f"{signing_input}.{b64(mac)}", key_set=inline_keys)


@pytest.mark.parametrize("alg", ["ES256K", "RSA-OAEP", "Ed25519", "", "rs256"])
def test_algorithms_off_the_allow_list_are_refused_rfc8725_3_2(inline_keys, rsa_key, alg):
    """RFC 8725 §3.2: only algorithms on an explicit allow-list are used."""
    token = sign_raw({"alg": alg, "kid": "rsa-1"}, b"{}", rsa_key, "RS256")
    with pytest.raises(UnsupportedAlgorithm):
        verify_jws(token, key_set=inline_keys)


def test_rsa_key_never_verifies_an_ec_alg_rfc8725_3_1(sign, inline_keys, ec_key):
    """RFC 8725 §3.1: each key is used with exactly one algorithm family (kid names RSA)."""
    token = sign(CLAIMS, ec_key, "ES256", kid="rsa-1")
    with pytest.raises(UnknownKey, match=r'no key with kid "rsa-1" .* verifies alg ES256'):
        verify_jws(token, key_set=inline_keys)


def test_p256_key_never_verifies_es384_rfc7518_3_4(sign, ec384_key, ec_key):
    """RFC 7518 §3.4: ES384 uses P-384; a P-256 key is not a candidate."""
    key_set = KeySet(inline={"keys": [public_jwk(ec_key)]}, uri="", cache_namespace="t")
    with pytest.raises(UnknownKey):
        verify_jws(sign(CLAIMS, ec384_key, "ES384"), key_set=key_set)


def test_jwk_alg_must_equal_the_header_alg_rfc7517_4_4(sign, rsa_key):
    """RFC 7517 §4.4: a JWK with alg RS256 does not verify a PS256 token."""
    jwk = public_jwk(rsa_key, kid="rsa-1", alg="RS256")
    key_set = KeySet(inline={"keys": [jwk]}, uri="", cache_namespace="t")
    assert verify_jws(sign(CLAIMS, rsa_key, "RS256", kid="rsa-1"), key_set=key_set) == CLAIMS
    with pytest.raises(UnknownKey):
        verify_jws(sign(CLAIMS, rsa_key, "PS256", kid="rsa-1"), key_set=key_set)


# -- keys come only from the key set ------------------------------------------------------------
def test_embedded_jwk_header_is_ignored_rfc8725_3_10(sign, inline_keys, other_rsa_key):
    """RFC 8725 §3.10 / RFC 7515 §4.1.3: a "jwk" header never supplies the verification key."""
    attacker = public_jwk(other_rsa_key)
    with pytest.raises(BadSignature):
        verify_jws(sign(CLAIMS, other_rsa_key, "RS256", jwk=attacker), key_set=inline_keys)
    token = sign(CLAIMS, other_rsa_key, "RS256", jwk=attacker, kid="rsa-1")
    with pytest.raises(BadSignature):
        verify_jws(token, key_set=inline_keys)


@pytest.mark.parametrize("header", ["jku", "x5u"])
def test_jku_and_x5u_headers_are_never_fetched_rfc8725_3_10(
    sign, inline_keys, other_rsa_key, jwks_server, header
):
    """RFC 8725 §3.10 / RFC 7515 §4.1.2, §4.1.5: URLs in the header are not dereferenced."""
    jwks_server.document = {"keys": [public_jwk(other_rsa_key, kid="evil")]}
    token = sign(CLAIMS, other_rsa_key, "RS256", kid="evil", **{header: jwks_server.url})
    with pytest.raises(UnknownKey):
        verify_jws(token, key_set=inline_keys)
    with pytest.raises(BadSignature):
        verify_jws(
            sign(CLAIMS, other_rsa_key, "RS256", **{header: jwks_server.url}), key_set=inline_keys
        )
    assert jwks_server.hits == 0


def test_x5c_header_is_ignored_rfc7515_4_1_6(sign, inline_keys, other_rsa_key):
    """RFC 7515 §4.1.6: a certificate chain in the header does not supply a key here."""
    token = sign(CLAIMS, other_rsa_key, "RS256", x5c=["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"])
    with pytest.raises(BadSignature):
        verify_jws(token, key_set=inline_keys)


def test_signature_by_another_key_with_the_same_kid_fails_rfc7515_5_2(
    sign, inline_keys, other_rsa_key
):
    """RFC 7515 §5.2 step 8: the signature must validate with the key set's key."""
    with pytest.raises(BadSignature, match="does not verify"):
        verify_jws(sign(CLAIMS, other_rsa_key, "RS256", kid="rsa-1"), key_set=inline_keys)


def test_tampered_payload_fails_rfc7515_5_2(sign, inline_keys, rsa_key):
    """RFC 7515 §5.2: the signature covers header and payload."""
    header, _, signature = sign(CLAIMS, rsa_key, "RS256", kid="rsa-1").split(".")
    forged = f"{header}.{b64(json.dumps({**CLAIMS, 'software_id': 'evil'}).encode())}.{signature}"
    with pytest.raises(BadSignature):
        verify_jws(forged, key_set=inline_keys)


def test_unknown_kid_is_refused_rfc7515_4_1_4(sign, inline_keys, other_rsa_key):
    """RFC 7515 §4.1.4: a kid naming no configured key."""
    with pytest.raises(UnknownKey, match='kid "nope"'):
        verify_jws(sign(CLAIMS, other_rsa_key, "RS256", kid="nope"), key_set=inline_keys)


def test_rotated_key_at_the_jwks_uri_verifies_rfc7517_4_5(
    sign, uri_keys, jwks_server, rsa_key, rsa_jwk, other_rsa_key
):
    """RFC 7517 §4.5: a token signed by a newly published key verifies after one refetch."""
    assert verify_jws(sign(CLAIMS, rsa_key, "RS256", kid="rsa-1"), key_set=uri_keys) == CLAIMS
    jwks_server.document = {"keys": [rsa_jwk, public_jwk(other_rsa_key, kid="rsa-2")]}
    token = sign(CLAIMS, other_rsa_key, "RS256", kid="rsa-2")
    assert verify_jws(token, key_set=uri_keys) == CLAIMS
    assert jwks_server.hits == 2


# -- structure ----------------------------------------------------------------------------------
def test_crit_header_is_refused_rfc7515_4_1_11(sign, inline_keys, rsa_key):
    """RFC 7515 §4.1.11: unknown critical extensions MUST make the JWS invalid."""
    token = sign(CLAIMS, rsa_key, "RS256", kid="rsa-1", crit=["exp"], exp=1)
    with pytest.raises(MalformedJWS, match="crit"):
        verify_jws(token, key_set=inline_keys)


def test_b64_false_is_refused_rfc7797_3(inline_keys, rsa_key):
    """RFC 7797 §3: unencoded payloads are not accepted."""
    token = sign_raw({"alg": "RS256", "kid": "rsa-1", "b64": False}, b"{}", rsa_key, "RS256")
    with pytest.raises(MalformedJWS, match="b64"):
        verify_jws(token, key_set=inline_keys)


def test_oversized_token_is_refused_before_parsing_rfc8725_3_x(inline_keys):
    """RFC 8725 (resource limits): the size cap applies before any decoding."""
    with pytest.raises(MalformedJWS, match="larger than 100 bytes"):
        verify_jws("a" * 101, key_set=inline_keys, max_bytes=100)
    with pytest.raises(MalformedJWS, match="larger than 32768 bytes"):
        verify_jws(b"x." * 20000, key_set=inline_keys)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("aGVhZGVy.cGF5bG9hZA", "3 dot-separated parts, not 2"),
        ("a.b.c.d", "not 4"),
        ("a.b.c.d.e", "JWE"),
        ("", "not 1"),
        ('{"payload": "e30", "signatures": []}', "JSON serialization"),
        ("e30.e30.a+b", "base64url"),
        ("eyJ=.e30.", "base64url"),
        (".e30.", "header is empty"),
        ("é.e30.", "non-ASCII"),
    ],
)
def test_only_the_compact_serialization_is_accepted_rfc7515_7_1(inline_keys, token, message):
    """RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature)."""
    with pytest.raises(MalformedJWS, match=message):
        verify_jws(token, key_set=inline_keys)


@pytest.mark.parametrize(
    "header",
    [b"not json", b"[1]", b'"RS256"', b"\xff\xfe", b'{"alg": "RS256", "alg": "none"}'],
)
def test_header_must_be_a_json_object_rfc7515_4(inline_keys, header):
    """RFC 7515 §4: the JOSE header is a JSON object, without duplicate member names (§5.2)."""
    with pytest.raises(MalformedJWS, match=r"header|duplicate"):
        verify_jws(f"{b64(header)}.{b64(b'{}')}.", key_set=inline_keys)


@pytest.mark.parametrize("header", [{}, {"alg": 256}, {"alg": "RS256", "kid": 1}])
def test_header_alg_and_kid_types_rfc7515_4_1_1(inline_keys, header):
    """RFC 7515 §4.1.1: alg MUST be present (a string); §4.1.4: kid is a string."""
    with pytest.raises(MalformedJWS, match=r"alg|kid"):
        verify_jws(f"{b64(json.dumps(header).encode())}.{b64(b'{}')}.", key_set=inline_keys)


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b"42", b'{"a": 1, "a": 2}', b"\xff"])
def test_signed_payload_must_be_a_json_object_rfc7519_7_2(inline_keys, rsa_key, payload):
    """RFC 7519 §7.2 step 10: the claims set is a JSON object (duplicate names refused)."""
    token = sign_raw({"alg": "RS256", "kid": "rsa-1"}, payload, rsa_key, "RS256")
    with pytest.raises(MalformedJWS, match=r"payload|duplicate"):
        verify_jws(token, key_set=inline_keys)


@pytest.mark.parametrize("typ", ["JWT", "application/jwt", "jwt"])
def test_expected_typ_rfc8725_3_11(sign, inline_keys, rsa_key, typ):
    """RFC 8725 §3.11 explicit typing; RFC 7515 §4.1.9: "application/" may be omitted."""
    token = sign(CLAIMS, rsa_key, "RS256", kid="rsa-1", typ=typ)
    assert verify_jws(token, key_set=inline_keys, expected_typ="JWT") == CLAIMS
    with pytest.raises(InvalidClaims, match="typ"):
        verify_jws(token, key_set=inline_keys, expected_typ="statement+jwt")


# -- claims -------------------------------------------------------------------------------------
def test_expired_token_is_refused_rfc7519_4_1_4(sign, inline_keys, rsa_key):
    """RFC 7519 §4.1.4: the current time MUST be before exp (plus leeway)."""
    token = sign({**CLAIMS, "exp": int(time.time()) - 120}, rsa_key, "RS256", kid="rsa-1")
    with pytest.raises(ExpiredToken, match="exp"):
        verify_jws(token, key_set=inline_keys)


def test_exp_leeway_edge_rfc7519_4_1_4(sign, inline_keys, rsa_key):
    """RFC 7519 §4.1.4: "some small leeway ... to account for clock skew"."""
    token = sign({**CLAIMS, "exp": int(time.time()) - 30}, rsa_key, "RS256", kid="rsa-1")
    assert verify_jws(token, key_set=inline_keys, leeway=60)["exp"] < time.time()
    with pytest.raises(ExpiredToken):
        verify_jws(token, key_set=inline_keys, leeway=10)
    at_now = sign({**CLAIMS, "exp": int(time.time())}, rsa_key, "RS256", kid="rsa-1")
    with pytest.raises(ExpiredToken):
        verify_jws(at_now, key_set=inline_keys, leeway=0)  # "on or after" exp is refused


def test_nbf_in_the_future_is_refused_rfc7519_4_1_5(sign, inline_keys, rsa_key):
    """RFC 7519 §4.1.5: MUST NOT be accepted before nbf (leeway applies)."""
    late = sign({**CLAIMS, "nbf": future(300)}, rsa_key, "RS256", kid="rsa-1")
    with pytest.raises(InvalidClaims, match="nbf"):
        verify_jws(late, key_set=inline_keys)
    skewed = sign({**CLAIMS, "nbf": future(30)}, rsa_key, "RS256", kid="rsa-1")
    assert verify_jws(skewed, key_set=inline_keys)["nbf"] > time.time()


def test_iat_in_the_future_is_refused_rfc7519_4_1_6(sign, inline_keys, rsa_key):
    """RFC 7519 §4.1.6: a token issued beyond the leeway in the future is not plausible."""
    token = sign({**CLAIMS, "iat": future(300)}, rsa_key, "RS256", kid="rsa-1")
    with pytest.raises(InvalidClaims, match="iat"):
        verify_jws(token, key_set=inline_keys)
    recent = sign({**CLAIMS, "iat": future(30)}, rsa_key, "RS256", kid="rsa-1")
    assert verify_jws(recent, key_set=inline_keys)["iat"] > time.time()


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [True, "1900000000", None, [1], 1e300, -1])
def test_numeric_dates_must_be_numbers_rfc7519_2(sign, inline_keys, rsa_key, claim, value):
    """RFC 7519 §2: a NumericDate is a JSON number (not a boolean, string or null)."""
    token = sign({**CLAIMS, claim: value}, rsa_key, "RS256", kid="rsa-1")
    with pytest.raises(InvalidClaims, match=rf"the {claim} claim must be a NumericDate"):
        verify_jws(token, key_set=inline_keys)


@pytest.mark.parametrize("claim", ["iss", "sub", "jti"])
def test_string_claims_must_be_strings_rfc7519_4_1(inline_keys, rsa_key, claim):
    """RFC 7519 §4.1.1, §4.1.2, §4.1.7: iss, sub and jti are strings."""
    payload = json.dumps({**CLAIMS, claim: 7}).encode()
    token = sign_raw({"alg": "RS256", "kid": "rsa-1"}, payload, rsa_key, "RS256")
    with pytest.raises(InvalidClaims, match=rf"the {claim} claim must be a string"):
        verify_jws(token, key_set=inline_keys)


def test_required_claims_rfc7519_4(sign, inline_keys, rsa_key):
    """RFC 7519 §4: an application decides which claims are required."""
    token = sign(CLAIMS, rsa_key, "RS256", kid="rsa-1")
    assert verify_jws(token, key_set=inline_keys, required_claims=("iss",)) == CLAIMS
    with pytest.raises(InvalidClaims, match="the exp claim is required"):
        verify_jws(token, key_set=inline_keys, required_claims=("iss", "exp"))


@pytest.mark.parametrize(
    "aud", ["https://server.example.com", ["https://other.example", "https://server.example.com"]]
)
def test_audience_string_or_list_rfc7519_4_1_3(sign, inline_keys, rsa_key, aud):
    """RFC 7519 §4.1.3: aud is a string or an array; one value must identify this server."""
    token = sign({**CLAIMS, "aud": aud}, rsa_key, "RS256", kid="rsa-1")
    claims = verify_jws(token, key_set=inline_keys, audiences={"https://server.example.com"})
    assert claims["aud"] == aud
    with pytest.raises(InvalidClaims, match="aud"):
        verify_jws(token, key_set=inline_keys, audiences={"https://elsewhere.example"})


@pytest.mark.parametrize("aud", [7, [1], {"a": 1}, []])
def test_audience_of_the_wrong_type_is_refused_rfc7519_4_1_3(sign, inline_keys, rsa_key, aud):
    """RFC 7519 §4.1.3: neither a string nor an array of strings naming this server."""
    token = sign({**CLAIMS, "aud": aud}, rsa_key, "RS256", kid="rsa-1")
    with pytest.raises(InvalidClaims, match="aud"):
        verify_jws(token, key_set=inline_keys, audiences={"https://server.example.com"})


def test_audience_is_not_checked_without_audiences_rfc7519_4_1_3(sign, inline_keys, rsa_key):
    """RFC 7519 §4.1.3: the check applies when the caller names its audiences."""
    token = sign({**CLAIMS, "aud": "https://anyone.example"}, rsa_key, "RS256", kid="rsa-1")
    assert verify_jws(token, key_set=inline_keys)["aud"] == "https://anyone.example"


def test_errors_do_not_echo_long_attacker_input_rfc8725_3_x(inline_keys, rsa_key):
    """Error descriptions are one line and clip values taken from the token."""
    token = sign_raw({"alg": "X" * 500 + "\n"}, b"{}", rsa_key, "RS256")
    with pytest.raises(UnsupportedAlgorithm) as info:
        verify_jws(token, key_set=inline_keys)
    assert len(str(info.value)) < 200
    assert "\n" not in str(info.value)
