"""JWT client authentication at the token, revocation and introspection endpoints.

RFC 7523 §2.2 / §3 and OpenID Connect Core §9: ``private_key_jwt`` (signed with a key of the
client's registered ``jwks`` or ``jwks_uri``) and ``client_secret_jwt`` (HMAC with the client
secret). ``iss`` and ``sub`` are the client id, ``aud`` names this server, ``exp`` bounds it and a
``jti`` is never accepted twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import jwt

from registration.jose.errors import JOSEError
from registration.jose.jws import verify_jws
from registration.jose.keysets import KeySet
from registration.jose.replay import accept_jti_once
from registration.models import Client

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
MAX_ASSERTION_BYTES = 16 * 1024
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "jti")


class AssertionRejected(Exception):
    """The assertion does not authenticate the client (the reason is for logs, not clients)."""


def assertion_subject(assertion: str) -> str:
    """The client id an assertion claims to be from (unverified: only to find the client)."""
    if len(assertion) > MAX_ASSERTION_BYTES:
        raise AssertionRejected("assertion too large")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AssertionRejected("assertion is not a JWT") from None
    issuer, subject = claims.get("iss"), claims.get("sub")
    # RFC 7523 §3: iss and sub both identify the client.
    if not isinstance(subject, str) or not subject or issuer != subject:
        raise AssertionRejected("iss and sub must both be the client_id")
    return subject


def _verify_private_key_jwt(
    client: Client, assertion: str, audiences: Collection[str]
) -> dict[str, Any]:
    metadata = client.metadata
    key_set = KeySet(
        inline=metadata.get("jwks"),
        uri=metadata.get("jwks_uri", ""),
        cache_namespace=f"client{client.pk}:jwks",
        public_only=True,
    )
    try:
        return verify_jws(
            assertion,
            key_set=key_set,
            leeway=LEEWAY_SECONDS,
            required_claims=REQUIRED_CLAIMS,
            audiences=audiences,
            max_bytes=MAX_ASSERTION_BYTES,
        )
    except JOSEError as exc:
        raise AssertionRejected(str(exc)) from None


def _verify_client_secret_jwt(
    client: Client, assertion: str, audiences: Collection[str]
) -> dict[str, Any]:
    secret = client.client_secret
    registered = client.metadata.get("token_endpoint_auth_signing_alg")
    algorithms = [registered] if registered in HMAC_ALGORITHMS else list(HMAC_ALGORITHMS)
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key=secret,
            algorithms=algorithms,
            audience=list(audiences),
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as exc:
        raise AssertionRejected(str(exc)) from None
    return claims


def authenticate_assertion(*, client: Client, assertion: str, audiences: Collection[str]) -> None:
    """Raise AssertionRejected unless ``assertion`` authenticates ``client``."""
    method = client.token_endpoint_auth_method
    if method == "private_key_jwt":
        claims = _verify_private_key_jwt(client, assertion, audiences)
        registered = client.metadata.get("token_endpoint_auth_signing_alg")
        header_alg = jwt.get_unverified_header(assertion).get("alg")
        if registered and header_alg != registered:
            # OIDC Registration §2: the registered token_endpoint_auth_signing_alg is the one used.
            raise AssertionRejected(
                "alg differs from the registered token_endpoint_auth_signing_alg"
            )
    elif method == "client_secret_jwt":
        claims = _verify_client_secret_jwt(client, assertion, audiences)
    else:
        # RFC 7591 §2: the client authenticates with the method it registered, no other.
        raise AssertionRejected(f"client registered {method}, not a JWT method")
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise AssertionRejected("iss and sub must both be the client_id")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise AssertionRejected("jti must be a non-empty string")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    # RFC 7523 §3: "The authorization server MAY ensure that JWTs are not replayed".
    if not accept_jti_once(
        namespace=f"client{client.pk}:assertion", jti=jti, expires_at=expires_at
    ):
        raise AssertionRejected("jti was already used")
