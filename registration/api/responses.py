"""The client information response (RFC 7591 §3.2.1, RFC 7592 §3)."""

from __future__ import annotations

from typing import Any

from registration.services import IssuedClient
from tenants.resolve import HostAware, absolute_url


def registration_client_uri(request: HostAware, issued: IssuedClient) -> str:
    client = issued.client
    return absolute_url(request, client.workspace, f"/oauth2/register/{client.client_id}")


def client_information(request: HostAware, issued: IssuedClient) -> dict[str, Any]:
    """Every registered metadata value plus the server-issued fields; absent values are omitted."""
    client = issued.client
    body: dict[str, Any] = dict(client.metadata)
    body["client_id"] = client.client_id
    body["client_id_issued_at"] = int(client.created.timestamp())
    if client.client_secret_encrypted:
        body["client_secret"] = issued.new_client_secret or client.client_secret
        # RFC 7591 §3.2.1: REQUIRED if client_secret is issued; 0 means it does not expire.
        expires_at = client.client_secret_expires_at
        body["client_secret_expires_at"] = int(expires_at.timestamp()) if expires_at else 0
    if issued.registration_access_token is not None:
        body["registration_access_token"] = issued.registration_access_token
    if issued.registration_access_token_expires_in is not None:
        body["registration_access_token_expires_in"] = issued.registration_access_token_expires_in
    body["registration_client_uri"] = registration_client_uri(request, issued)
    return body
