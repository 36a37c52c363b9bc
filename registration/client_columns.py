"""Copy validated metadata onto a client's columns (the full document stays in ``metadata``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from dcr_server import crypto
from registration.models import Client, DCRSettings

# The token endpoint auth methods that use a client secret (RFC 7591 §2, OIDC Core §9).
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})


def _primary_dot_grant(grant_types: list[str]) -> str:
    if "authorization_code" in grant_types:
        return AbstractApplication.GRANT_AUTHORIZATION_CODE
    return AbstractApplication.GRANT_CLIENT_CREDENTIALS


def apply_metadata(client: Client, metadata: dict[str, Any], settings: DCRSettings) -> str | None:
    """Copy validated metadata onto the client's columns (the full document stays in ``metadata``).

    Returns a newly generated client secret in clear (to show once), else None.
    """
    method = metadata["token_endpoint_auth_method"]
    client.metadata = metadata
    client.name = metadata.get("client_name", "")
    client.grant_types = list(metadata["grant_types"])
    client.response_types = list(metadata["response_types"])
    client.token_endpoint_auth_method = method
    client.scope = metadata.get("scope", "")
    client.software_id = metadata.get("software_id", "")
    client.redirect_uris = " ".join(metadata.get("redirect_uris", []))
    client.post_logout_redirect_uris = " ".join(metadata.get("post_logout_redirect_uris", []))
    client.authorization_grant_type = _primary_dot_grant(client.grant_types)
    client.algorithm = AbstractApplication.RS256_ALGORITHM
    client.client_type = (
        AbstractApplication.CLIENT_PUBLIC
        if method == "none"
        else AbstractApplication.CLIENT_CONFIDENTIAL
    )
    if method not in SECRET_METHODS:
        # A public client has no secret; a private_key_jwt client proves itself with its keys
        # and needs none either (a secret it never uses is only something to leak).
        client.set_client_secret("", expires_at=None)
    elif not client.client_secret_encrypted:
        # RFC 7591 §3.2.1: a confidential client gets a secret; ttl 0 = never expires.
        ttl = settings.client_secret_ttl
        expires_at = timezone.now() + timedelta(seconds=ttl) if ttl else None
        secret = crypto.new_client_secret()
        client.set_client_secret(secret, expires_at=expires_at)
        return secret
    return None
