"""Writes: register, read (which may rotate the token), update, delete, reissue.

Each is keyword-only and runs in one ``transaction.atomic`` block. Views parse input, call one of
these, and render the returned :class:`IssuedClient`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, AccessToken

from dcr_server import crypto
from registration import initial_token, tokens
from registration.capabilities import DCR_REGISTER_SCOPE, capabilities_for
from registration.errors import InvalidClientMetadata
from registration.metadata import validate_client_metadata
from registration.models import Client, DCRSettings, TokenRotation
from registration.sector_identifier import check_sector_identifier
from registration.selectors import dcr_settings_for
from tenants.models import Workspace

# RFC 7592 §2.2: the client MUST NOT send these in an update request.
SERVER_MANAGED_FIELDS = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


@dataclass(frozen=True)
class IssuedClient:
    """A client and the credentials to show once (plain values are never stored)."""

    client: Client
    registration_access_token: str | None
    registration_access_token_expires_in: int | None


def _primary_dot_grant(grant_types: list[str]) -> str:
    if "authorization_code" in grant_types:
        return AbstractApplication.GRANT_AUTHORIZATION_CODE
    return AbstractApplication.GRANT_CLIENT_CREDENTIALS


def _apply_metadata(client: Client, metadata: dict[str, Any], settings: DCRSettings) -> None:
    """Copy validated metadata onto the client's columns (the full document stays in ``metadata``)."""
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
    if client.client_type == AbstractApplication.CLIENT_PUBLIC:
        client.set_client_secret("", expires_at=None)
    elif not client.client_secret_encrypted:
        # RFC 7591 §3.2.1: a confidential client gets a secret; ttl 0 = never expires.
        ttl = settings.client_secret_ttl
        expires_at = timezone.now() + timedelta(seconds=ttl) if ttl else None
        client.set_client_secret(crypto.new_client_secret(), expires_at=expires_at)


def _validate(
    workspace: Workspace,
    settings: DCRSettings,
    raw: Mapping[str, Any],
    software_statement: str | None,
) -> dict[str, Any]:
    metadata = validate_client_metadata(raw, capabilities=capabilities_for(workspace, settings))
    if "sector_identifier_uri" in metadata:
        # OIDC Registration §5: the document at the URI lists every redirect URI (a network
        # fetch, so it runs before any transaction or row lock is taken).
        check_sector_identifier(
            uri=metadata["sector_identifier_uri"], redirect_uris=metadata.get("redirect_uris", [])
        )
    if software_statement is not None:
        # RFC 7591 §3.2.1: a software statement used for registration is returned as received.
        metadata["software_statement"] = software_statement
    return metadata


def client_register(
    *,
    workspace: Workspace,
    raw_metadata: Mapping[str, Any],
    software_statement: str | None = None,
    initial_access_token: AccessToken | None = None,
    registration_source: str = AbstractApplication.RegistrationSource.DCR,
) -> IssuedClient:
    """RFC 7591 §3: validate the metadata, create the client, issue its registration token.

    ``software_statement`` is the verified statement whose claims are already merged into
    ``raw_metadata``; ``initial_access_token`` is terminated when the registration commits.
    """
    settings = dcr_settings_for(workspace=workspace)
    metadata = _validate(workspace, settings, raw_metadata, software_statement)
    with transaction.atomic():
        client = Client(
            workspace=workspace,
            client_id=crypto.new_client_id(),
            registration_source=registration_source,
        )
        _apply_metadata(client, metadata, settings)
        client.save()
        token, record = tokens.issue(
            client=client, ttl_seconds=settings.registration_access_token_ttl
        )
        if initial_access_token is not None:
            initial_token.consume(token=initial_access_token)
    return IssuedClient(client, token, record.expires_in())


def _rotates_on(settings: DCRSettings, operation: str) -> bool:
    if settings.token_rotation == TokenRotation.READ_AND_UPDATE:
        return True
    return settings.token_rotation == TokenRotation.UPDATE and operation == "update"


def client_read(*, workspace: Workspace, client_id: str, token: str) -> IssuedClient:
    """RFC 7592 §2.1: the current configuration; the token rotates per the workspace's mode."""
    settings = dcr_settings_for(workspace=workspace)
    with transaction.atomic():
        record = tokens.authenticate(workspace=workspace, client_id=client_id, presented=token)
        if not _rotates_on(settings, "read"):
            return IssuedClient(record.client, None, record.expires_in())
        new_token, record = tokens.rotate(
            record=record, ttl_seconds=settings.registration_access_token_ttl
        )
    return IssuedClient(record.client, new_token, record.expires_in())


def _check_update_request(client: Client, raw: Mapping[str, Any]) -> None:
    # RFC 7592 §2.2: "The client MUST include its client_id field in the request, and it MUST be
    # the same as its currently issued client identifier."
    sent_id = raw.get("client_id")
    if sent_id is None:
        raise InvalidClientMetadata("client_id is required in an update request (RFC 7592 §2.2).")
    if not isinstance(sent_id, str) or not crypto.digests_equal(sent_id, client.client_id):
        raise InvalidClientMetadata(
            "client_id does not match the client being updated (RFC 7592 §2.2)."
        )
    # RFC 7592 §2.2: these server-managed fields MUST NOT be included.
    for field in SERVER_MANAGED_FIELDS:
        if field in raw:
            raise InvalidClientMetadata(
                f"{field} must not be sent in an update request (RFC 7592 §2.2)."
            )
    # RFC 7592 §2.2: a sent client_secret "MUST match the currently issued client secret".
    if "client_secret" in raw:
        sent_secret = raw["client_secret"]
        current = client.client_secret
        if (
            not isinstance(sent_secret, str)
            or not current
            or not crypto.digests_equal(sent_secret, current)
        ):
            raise InvalidClientMetadata(
                "client_secret does not match the issued client secret (RFC 7592 §2.2)."
            )


def client_check_token(*, workspace: Workspace, client_id: str, token: str) -> None:
    """Raise InvalidToken unless ``token`` manages the client (no write, no lock)."""
    tokens.authenticate(workspace=workspace, client_id=client_id, presented=token, lock=False)


def client_update(
    *,
    workspace: Workspace,
    client_id: str,
    token: str,
    raw_metadata: Mapping[str, Any],
    software_statement: str | None = None,
) -> IssuedClient:
    """RFC 7592 §2.2: replace the metadata as a whole (omitted fields are removed)."""
    settings = dcr_settings_for(workspace=workspace)
    metadata = _validate(workspace, settings, raw_metadata, software_statement)
    with transaction.atomic():
        record = tokens.authenticate(workspace=workspace, client_id=client_id, presented=token)
        client = record.client
        _check_update_request(client, raw_metadata)
        _apply_metadata(client, metadata, settings)
        client.save()
        if not _rotates_on(settings, "update"):
            return IssuedClient(client, None, record.expires_in())
        new_token, record = tokens.rotate(
            record=record, ttl_seconds=settings.registration_access_token_ttl
        )
    return IssuedClient(client, new_token, record.expires_in())


def client_delete(*, workspace: Workspace, client_id: str, token: str) -> None:
    """RFC 7592 §2.3: deprovision the client; its tokens and grants go with it (FK cascade)."""
    with transaction.atomic():
        record = tokens.authenticate(workspace=workspace, client_id=client_id, presented=token)
        client = record.client
        tokens.consume(record=record)
        client.delete()


def client_delete_by_admin(*, client: Client) -> None:
    with transaction.atomic():
        client.delete()


def token_reissue(*, client: Client) -> IssuedClient:
    """An administrator's new registration access token; the previous one stops working."""
    settings = dcr_settings_for(workspace=client.workspace)
    with transaction.atomic():
        token, record = tokens.issue(
            client=client, ttl_seconds=settings.registration_access_token_ttl
        )
    return IssuedClient(client, token, record.expires_in())


def registrar_create(*, workspace: Workspace, name: str) -> tuple[Client, str]:
    """A confidential client_credentials client allowed ``dcr_register`` (protect by access token).

    Returns the client and its secret in clear, to be shown once.
    """
    metadata: dict[str, Any] = {
        "client_name": name,
        "grant_types": ["client_credentials"],
        "response_types": [],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": DCR_REGISTER_SCOPE,
    }
    settings = dcr_settings_for(workspace=workspace)
    with transaction.atomic():
        client = Client(
            workspace=workspace,
            client_id=crypto.new_client_id(),
            registration_source=AbstractApplication.RegistrationSource.MANUAL,
        )
        _apply_metadata(client, metadata, settings)
        client.save()
    return client, client.client_secret
