"""Each workspace signs its ID tokens with its own RSA key; the JWKS endpoint publishes the public half."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk

from dcr_server import crypto
from tenants.models import SigningKey, Workspace

RSA_KEY_BITS = 2048


def _generate_signing_key(workspace: Workspace) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    key = jwk.JWK.from_pem(pem.encode("ascii"))
    kid = key.thumbprint()  # DOT puts this thumbprint in the ID token header as "kid"
    public = key.export_public(as_dict=True)
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return SigningKey.objects.create(
        workspace=workspace,
        kid=kid,
        algorithm="RS256",
        private_key_encrypted=crypto.encrypt(pem),
        public_jwk=public,
    )


def active_signing_key(workspace: Workspace) -> SigningKey:
    key = workspace.signing_keys.filter(active=True).order_by("-created_at", "-pk").first()
    return key or _generate_signing_key(workspace)


@lru_cache(maxsize=256)
def _jwk_from_ciphertext(ciphertext: str) -> jwk.JWK:
    return jwk.JWK.from_pem(crypto.decrypt(ciphertext).encode("ascii"))


def active_signing_jwk(workspace: Workspace) -> jwk.JWK:
    return _jwk_from_ciphertext(active_signing_key(workspace).private_key_encrypted)


def public_jwks(workspace: Workspace) -> dict[str, Any]:
    """RFC 7517 §5 JWK Set of the workspace's signing keys (public members only)."""
    active_signing_key(workspace)
    keys = [key.public_jwk for key in workspace.signing_keys.filter(active=True)]
    return {"keys": keys}
