"""From request body to the metadata to validate: signed request bodies and software statements.

- Signed request body: ``Content-Type: application/jwt`` (or ``application/jose``), a JWS whose
  payload is the metadata, verified against the workspace's signed-request key set; ``exp``
  and ``jti`` required, ``exp`` at most ``MAX_SIGNED_BODY_LIFETIME`` ahead (so a replay id is kept
  an hour at most), ``aud`` when present names this workspace (its issuer or its registration
  endpoint), a ``jti`` never accepted twice.
- Software statement (RFC 7591 §2.3): a JWS in ``software_statement`` verified against the
  workspace's software-statement key set; its claims win over the plain JSON values.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registration.errors import (
    InvalidClientMetadata,
    InvalidSoftwareStatement,
    RegistrationError,
    UnsupportedMediaType,
)
from registration.jose.errors import JOSEError, KeySetUnavailable
from registration.jose.jws import verify_jws
from registration.jose.keysets import KeySet
from registration.jose.replay import accept_jti_once
from registration.models import DCRSettings

JWT_MEDIA_TYPES = frozenset({"application/jwt", "application/jose"})
# RFC 7519 §4.1: registered claims describe the JWT, not the client; never client metadata.
JWT_REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
MAX_SIGNED_BODY_LIFETIME = 3600
"""Seconds: a signed request body's ``exp`` may lie at most this far ahead (CONTRACT.md "Abuse
defaults"); its ``jti`` is remembered until then, so the replay store stays bounded."""
CLOCK_SKEW = 60  # the leeway verify_jws grants ``exp``, granted here to the horizon too


@dataclass(frozen=True)
class Submission:
    """What a registration or update request asks for, after its signatures were checked."""

    metadata: dict[str, Any]
    software_statement: str | None = None
    software_statement_issuer: str | None = None
    signed_request: bool = False


def signed_request_keys(settings: DCRSettings) -> KeySet:
    return KeySet(
        inline=settings.signed_request_jwks,
        uri=settings.signed_request_jwks_uri,
        cache_namespace=f"ws{settings.workspace_id}:signed_request",
        public_only=not settings.signed_request_jwks_uri_trusted,
    )


def software_statement_keys(settings: DCRSettings) -> KeySet:
    return KeySet(
        inline=settings.software_statement_jwks,
        uri=settings.software_statement_jwks_uri,
        cache_namespace=f"ws{settings.workspace_id}:software_statement",
        public_only=not settings.software_statement_jwks_uri_trusted,
    )


def _describe(exc: JOSEError) -> str:
    """A safe description: an unreachable key set never reveals the configured URI to clients."""
    if isinstance(exc, KeySetUnavailable):
        return "the workspace's verification keys are unavailable right now; retry later"
    return str(exc)


def _without_jwt_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if name not in JWT_REGISTERED_CLAIMS}


def _read_signed_body(
    settings: DCRSettings, body: object, audiences: Collection[str]
) -> dict[str, Any]:
    if not settings.requires_signed_request:
        raise UnsupportedMediaType(
            "This workspace does not accept signed request bodies; send application/json.",
            rule="signed_request",
        )
    if not isinstance(body, str):
        raise InvalidClientMetadata("The signed request body must be a compact JWS.")
    try:
        claims = verify_jws(
            body,
            key_set=signed_request_keys(settings),
            required_claims=("exp", "jti"),
            audiences=audiences,
        )
    except JOSEError as exc:
        raise InvalidClientMetadata(
            f"The signed request body is not acceptable: {_describe(exc)}"
        ) from None
    # RFC 7519 §4.1.7: a jti lets the server refuse a replay; the contract makes it required.
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClientMetadata(
            "The signed request body must carry a jti claim (a non-empty string)."
        )
    exp = claims["exp"]
    if int(exp) > time.time() + MAX_SIGNED_BODY_LIFETIME + CLOCK_SKEW:
        raise InvalidClientMetadata(
            "The signed request body's exp is more than "
            f"{MAX_SIGNED_BODY_LIFETIME} seconds ahead; sign a shorter-lived body."
        )
    expires_at = datetime.fromtimestamp(int(exp), tz=UTC)
    namespace = f"ws{settings.workspace_id}:signed_request"
    try:
        first_use = accept_jti_once(namespace=namespace, jti=jti, expires_at=expires_at)
    except JOSEError as exc:
        raise InvalidClientMetadata(
            f"The signed request body is not acceptable: {_describe(exc)}"
        ) from None
    if not first_use:
        raise InvalidClientMetadata("The signed request body was already used (its jti was seen).")
    return _without_jwt_claims(claims)


def _read_json_body(settings: DCRSettings, body: object) -> dict[str, Any]:
    if settings.requires_signed_request:
        raise InvalidClientMetadata(
            "This workspace requires a signed request body: send the metadata as a JWS "
            "with Content-Type: application/jwt.",
            rule="signed_request",
        )
    if not isinstance(body, dict):
        # RFC 7591 §3.1: the client metadata is a JSON object.
        raise InvalidClientMetadata("The request body must be a JSON object of client metadata.")
    return body


def apply_software_statement(
    settings: DCRSettings, metadata: dict[str, Any], signed: bool
) -> Submission:
    statement = metadata.pop("software_statement", None)
    if not settings.requires_software_statement:
        # Without configured keys a statement cannot be verified, so its claims are never used.
        return Submission(metadata=metadata, signed_request=signed)
    if statement is None:
        raise InvalidSoftwareStatement(
            "This workspace requires a software_statement (RFC 7591 §2.3)."
        )
    if not isinstance(statement, str):
        raise InvalidSoftwareStatement("software_statement must be a JWT string (RFC 7591 §2.3).")
    try:
        claims = verify_jws(
            statement, key_set=software_statement_keys(settings), required_claims=("iss",)
        )
    except JOSEError as exc:
        raise InvalidSoftwareStatement(
            f"The software statement is not acceptable: {_describe(exc)}"
        ) from None
    issuer = claims["iss"]
    if not isinstance(issuer, str) or not issuer:
        raise InvalidSoftwareStatement("The software statement's iss must be a non-empty string.")
    # RFC 7591 §2.3: values in the statement take precedence over the plain JSON ones.
    merged = {**metadata, **_without_jwt_claims(claims)}
    return Submission(
        metadata=merged,
        software_statement=statement,
        software_statement_issuer=issuer,
        signed_request=signed,
    )


@contextmanager
def _refusals_named(rule: str) -> Iterator[None]:
    """Tag refusals with the protection that made them (the audit trail's ``rule``)."""
    try:
        yield
    except RegistrationError as exc:
        exc.rule = exc.rule or rule
        raise


def read_submission(
    *, settings: DCRSettings, body: object, media_type: str, audiences: Collection[str]
) -> Submission:
    """Verify what the workspace requires and return the metadata to validate."""
    if media_type in JWT_MEDIA_TYPES:
        with _refusals_named("signed_request"):
            metadata = _read_signed_body(settings, body, audiences)
        signed = True
    else:
        metadata = dict(_read_json_body(settings, body))
        signed = False
    with _refusals_named("software_statement"):
        return apply_software_statement(settings, metadata, signed)
