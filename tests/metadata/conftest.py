"""Fixtures for the pure metadata validator tests (no Django needed)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

if TYPE_CHECKING:
    from registration.metadata import ServerCapabilities

# The package is pure Python; make it importable when pytest runs without pytest-django
# (``-p no:django``), which is what normally puts the project root on sys.path.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)

ALL_AUTH_METHODS = frozenset(
    {"none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"}
)

Validate = Callable[..., dict[str, Any]]


@pytest.fixture
def capabilities() -> ServerCapabilities:
    from registration.metadata import ServerCapabilities

    return ServerCapabilities(
        scopes_supported=frozenset({"openid", "profile", "email", "offline_access"}),
        default_scopes=("openid", "profile", "email"),
        grant_types_supported=frozenset(
            {"authorization_code", "refresh_token", "client_credentials"}
        ),
        response_types_supported=frozenset({"code"}),
        token_endpoint_auth_methods_supported=ALL_AUTH_METHODS,
    )


@pytest.fixture
def validate(capabilities: ServerCapabilities) -> Validate:
    """validate(raw) with the default capabilities, or validate(raw, capabilities=...)."""

    from registration.metadata import validate_client_metadata

    def run(raw: Mapping[str, object], **kwargs: Any) -> dict[str, Any]:
        return validate_client_metadata(raw, capabilities=kwargs.get("capabilities", capabilities))

    return run


@pytest.fixture
def web_client() -> dict[str, Any]:
    """The smallest valid authorization-code registration."""
    return {"redirect_uris": ["https://app.example.com/callback"]}


def _jwk(text: str | dict[str, Any]) -> dict[str, Any]:
    return json.loads(text) if isinstance(text, str) else dict(text)


@pytest.fixture(scope="session")
def rsa_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_jwk(rsa_private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """A 2048-bit RSA public JWK."""
    return _jwk(RSAAlgorithm.to_jwk(rsa_private_key.public_key()))


@pytest.fixture(scope="session")
def rsa_private_jwk(rsa_private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return _jwk(RSAAlgorithm.to_jwk(rsa_private_key))


@pytest.fixture(scope="session")
def short_rsa_jwk() -> dict[str, Any]:
    """A 1024-bit RSA public JWK (too short, RFC 7518 §3.3)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return _jwk(RSAAlgorithm.to_jwk(key.public_key()))


@pytest.fixture(scope="session")
def ec_jwk() -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _jwk(ECAlgorithm.to_jwk(key.public_key()))


@pytest.fixture(scope="session")
def ec_private_jwk() -> dict[str, Any]:
    return _jwk(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))


@pytest.fixture(scope="session")
def okp_jwk() -> dict[str, Any]:
    key = ed25519.Ed25519PrivateKey.generate()
    return _jwk(OKPAlgorithm.to_jwk(key.public_key()))
