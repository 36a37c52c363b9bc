"""Fixtures for the JOSE tests: generated keys, their public JWKs, a signer and a JWKS server."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from django.core.cache import cache
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, get_default_algorithms

from registration.jose.keysets import KeySet
from tests.servers import JWKSServer

Sign = Callable[..., str]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


# -- keys ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    """An attacker's (or a rotated-in) RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ec384_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def ed448_key() -> ed448.Ed448PrivateKey:
    return ed448.Ed448PrivateKey.generate()


def public_jwk(private_key: Any, **members: str) -> dict[str, Any]:
    """The public JWK of ``private_key`` plus ``members`` (kid, alg, use...)."""
    public = private_key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, **members}


def private_jwk(private_key: Any) -> dict[str, Any]:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return RSAAlgorithm.to_jwk(private_key, as_dict=True)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return ECAlgorithm.to_jwk(private_key, as_dict=True)
    return OKPAlgorithm.to_jwk(private_key, as_dict=True)


@pytest.fixture
def rsa_jwk(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return public_jwk(rsa_key, kid="rsa-1")


@pytest.fixture
def ec_jwk(ec_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    return public_jwk(ec_key, kid="ec-1")


@pytest.fixture
def okp_jwk(ed_key: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    return public_jwk(ed_key, kid="ed-1")


@pytest.fixture
def inline_keys(rsa_jwk: dict[str, Any], ec_jwk: dict[str, Any], okp_jwk: dict[str, Any]) -> KeySet:
    """An inline key set with one RSA, one EC P-256 and one Ed25519 key."""
    return KeySet(
        inline={"keys": [rsa_jwk, ec_jwk, okp_jwk]}, uri="", cache_namespace="test:inline"
    )


# -- signing ------------------------------------------------------------------------------------
@pytest.fixture
def sign() -> Sign:
    """sign(claims, key, alg, **headers): a compact JWS made by PyJWT."""

    def _sign(claims: dict[str, Any], key: Any, alg: str, **headers: Any) -> str:
        return jwt.encode(claims, key, algorithm=alg, headers=headers or None)

    return _sign


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_raw(header: bytes | dict[str, Any], payload: bytes, key: Any, alg: str) -> str:
    """A compact JWS over arbitrary header/payload bytes (for malformed-content tests)."""
    header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode()
    signing_input = f"{b64(header_bytes)}.{b64(payload)}"
    algorithm = get_default_algorithms()[alg]
    signature = algorithm.sign(signing_input.encode(), algorithm.prepare_key(key))
    return f"{signing_input}.{b64(signature)}"


# -- a JWKS URI ---------------------------------------------------------------------------------
@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    yield server
    server.stop()


@pytest.fixture
def uri_keys(jwks_server: JWKSServer, rsa_jwk: dict[str, Any]) -> KeySet:
    """A key set whose keys come from ``jwks_server`` (serving the RSA key, max-age=300)."""
    jwks_server.document = {"keys": [rsa_jwk]}
    return KeySet(inline=None, uri=jwks_server.url, cache_namespace="test:uri")
