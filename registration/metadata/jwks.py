"""The inline ``jwks`` member (RFC 7591 §2): public signing keys only, each loadable."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .common import fail, quote, require_object, type_name

MAX_KEYS = 20
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
ALLOWED_KEY_TYPES: frozenset[str] = frozenset({"RSA", "EC", "OKP"})
PRIVATE_MEMBERS: tuple[str, ...] = ("d", "p", "q", "dp", "dq", "qi", "k", "oth")
"""JWK members that carry private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4)."""

_EC_CURVE_FOR_ALG = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "ES256K": "secp256k1"}


def validate_jwks(value: object) -> dict[str, Any]:
    """RFC 7591 §2 jwks: "Client's JSON Web Key Set [RFC7517] document value, which contains
    the client's public keys."  1 to 20 public RSA/EC/OKP keys, ``kid`` values unique."""
    jwks = require_object("jwks", value)
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        # RFC 7517 §5: a JWK Set has a "keys" member whose value is an array of JWKs.
        fail("jwks.keys", f"must be an array of keys, not {type_name(keys)}", "RFC 7517 §5")
    if not 1 <= len(keys) <= MAX_KEYS:
        fail("jwks.keys", f"must contain between 1 and {MAX_KEYS} keys")
    seen_kids: set[str] = set()
    normalized = []
    for index, key in enumerate(keys):
        field = f"jwks.keys[{index}]"
        jwk = validate_jwk(field, key)
        kid = jwk.get("kid")
        if isinstance(kid, str):
            if kid in seen_kids:
                # RFC 7517 §4.5: kid values distinguish keys within a set.
                fail(f"{field}.kid", f"duplicate kid {quote(kid)}", "RFC 7517 §4.5")
            seen_kids.add(kid)
        normalized.append(jwk)
    return {"keys": normalized}


def validate_jwk(field: str, value: object) -> dict[str, Any]:
    """One public JWK (RFC 7517 §4): no private or symmetric material, loadable by PyJWT,
    RSA moduli of at least 2048 bits (RFC 7518 §3.3)."""
    key = require_object(field, value)
    kty = key.get("kty")
    if not isinstance(kty, str):
        # RFC 7517 §4.1: the "kty" member MUST be present in a JWK.
        fail(f"{field}.kty", f"must be a string, not {type_name(kty)}", "RFC 7517 §4.1")
    if kty == "oct" or "k" in key:
        # RFC 7591 §2: jwks contains the client's *public* keys; a shared secret is not one.
        fail(field, "symmetric (kty oct) keys must not be registered", "RFC 7591 §2")
    private = [member for member in PRIVATE_MEMBERS if member in key]
    if private:
        # RFC 7591 §2: only public keys belong in jwks; a private key here is compromised.
        members = ", ".join(private)
        fail(field, f"contains private key material ({members}); register the public key only")
    if kty not in ALLOWED_KEY_TYPES:
        fail(f"{field}.kty", f"{quote(kty)} is not supported (use RSA, EC or OKP)")
    _check_optional_members(field, key)
    try:
        loaded = jwt.PyJWK(key)
    except Exception as exc:  # PyJWT raises several types for malformed untrusted keys
        fail(field, f"is not a usable key: {quote(str(exc) or type(exc).__name__)}")
    public_key = loaded.key
    if isinstance(public_key, RSAPublicKey) and not (
        MIN_RSA_BITS <= public_key.key_size <= MAX_RSA_BITS
    ):
        # RFC 7518 §3.3: a key of size 2048 bits or larger MUST be used with these algorithms.
        bits = public_key.key_size
        fail(
            field,
            f"RSA keys must be {MIN_RSA_BITS}-{MAX_RSA_BITS} bits, not {bits}",
            "RFC 7518 §3.3",
        )
    return dict(key)


def _check_optional_members(field: str, key: dict[str, object]) -> None:
    """Types of ``kid``, ``use`` and ``alg`` (RFC 7517 §4.2, §4.4, §4.5)."""
    kid = key.get("kid")
    if "kid" in key and (not isinstance(kid, str) or not 0 < len(kid) <= 255):
        fail(
            f"{field}.kid", "must be a non-empty string of at most 255 characters", "RFC 7517 §4.5"
        )
    use = key.get("use")
    if "use" in key and use not in ("sig", "enc"):
        fail(f"{field}.use", "must be sig or enc", "RFC 7517 §4.2")
    alg = key.get("alg")
    if "alg" in key:
        if not isinstance(alg, str) or not alg:
            fail(f"{field}.alg", "must be a non-empty string", "RFC 7517 §4.4")
        if alg.lower() == "none":
            # RFC 8725 §3.1: "none" is not a signing algorithm a key can be bound to.
            fail(f"{field}.alg", "must not be none", "RFC 8725 §3.1")


def key_can_sign_with(key: dict[str, Any], alg: str) -> bool:
    """Whether a validated public JWK could verify signatures made with JWS ``alg``."""
    if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg:
        return False
    kty, crv = key.get("kty"), key.get("crv")
    if alg[:2] in ("RS", "PS"):
        return kty == "RSA"
    if alg in _EC_CURVE_FOR_ALG:
        return kty == "EC" and crv == _EC_CURVE_FOR_ALG[alg]
    if alg == "EdDSA":
        return kty == "OKP" and crv in ("Ed25519", "Ed448")
    if alg == "Ed25519":
        return kty == "OKP" and crv == "Ed25519"
    return True  # an algorithm this module does not know: let the token endpoint decide
