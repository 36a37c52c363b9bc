"""What the authorization server offers, as seen by the metadata validator."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TOKEN_ENDPOINT_AUTH_SIGNING_ALGS: frozenset[str] = frozenset(
    {"RS256", "PS256", "ES256", "EdDSA", "HS256"}
)


@dataclass(frozen=True)
class ServerCapabilities:
    """The server-side facts that client metadata is checked against."""

    scopes_supported: frozenset[str]
    """Scopes the workspace offers to registered clients."""
    default_scopes: tuple[str, ...]
    """Granted when the client sends no ``scope``."""
    grant_types_supported: frozenset[str]
    response_types_supported: frozenset[str]
    token_endpoint_auth_methods_supported: frozenset[str]
    token_endpoint_auth_signing_algs_supported: frozenset[str] = (
        DEFAULT_TOKEN_ENDPOINT_AUTH_SIGNING_ALGS
    )
    id_token_signing_algs_supported: frozenset[str] = frozenset({"RS256"})
    reject_unsupported_scopes: bool = False
    """False: drop scopes the client may not have; True: refuse the registration."""
