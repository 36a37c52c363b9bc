"""Keys and signers for the protection tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

Signer = Callable[..., str]


class KeyPair:
    def __init__(self, private: Any, public_jwk: dict[str, Any], alg: str, kid: str) -> None:
        self.private = private
        self.public_jwk = {**public_jwk, "kid": kid, "use": "sig", "alg": alg}
        self.alg = alg
        self.kid = kid

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def sign(
        self, claims: dict[str, Any], *, kid: str | None = None, alg: str | None = None
    ) -> str:
        return jwt.encode(
            claims, self.private, algorithm=alg or self.alg, headers={"kid": kid or self.kid}
        )


@pytest.fixture(scope="session")
def rsa_key() -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(
        private, RSAAlgorithm.to_jwk(private.public_key(), as_dict=True), "RS256", "rsa-1"
    )


@pytest.fixture(scope="session")
def ec_key() -> KeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    return KeyPair(private, ECAlgorithm.to_jwk(private.public_key(), as_dict=True), "ES256", "ec-1")


@pytest.fixture(scope="session")
def ed_key() -> KeyPair:
    private = ed25519.Ed25519PrivateKey.generate()
    return KeyPair(
        private, OKPAlgorithm.to_jwk(private.public_key(), as_dict=True), "EdDSA", "ed-1"
    )


def statement_claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "https://directory.example", "iat": now, "exp": now + 300, **extra}


def request_claims(metadata: dict[str, Any], **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {**metadata, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **extra}
