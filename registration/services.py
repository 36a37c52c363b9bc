"""Writes: register, read (which may rotate the token), update, delete, reissue.

Each is keyword-only and runs in one ``transaction.atomic`` block together with its audit event.
Views parse input, call one of these, and render the returned :class:`IssuedClient`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from oauth2_provider.models import AbstractApplication, AccessToken

from dcr_server import crypto
from registration import audit, initial_token, statements, tokens
from registration.audit import CLI, RequestInfo
from registration.capabilities import DCR_REGISTER_SCOPE
from registration.client_columns import apply_metadata
from registration.errors import InvalidClientMetadata, InvalidToken
from registration.models import (
    AuditEvent,
    Client,
    DCRSettings,
    RegistrationAccessToken,
    TokenRotation,
)
from registration.selectors import dcr_settings_for
from registration.validation import has_quotas, lock_and_check_quotas, validate_submission
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
    # The secret just generated, in clear (register only): spares decrypting what was encrypted.
    new_client_secret: str | None = None


def _single_statement_database() -> bool:
    return bool(connections[router.db_for_write(Client)].vendor == "postgresql")


def client_register(
    *,
    workspace: Workspace,
    raw_metadata: Mapping[str, Any],
    software_statement: str | None = None,
    initial_access_token: AccessToken | None = None,
    info: RequestInfo = CLI,
    registration_source: str = AbstractApplication.RegistrationSource.DCR,
) -> IssuedClient:
    """RFC 7591 §3: validate the metadata, create the client, issue its registration token.

    ``software_statement`` is the verified statement whose claims are already merged into
    ``raw_metadata``; ``initial_access_token`` is terminated when the registration commits.
    """
    settings = dcr_settings_for(workspace=workspace)
    metadata = validate_submission(
        workspace=workspace,
        settings=settings,
        raw_metadata=raw_metadata,
        software_statement=software_statement,
        info=info,
    )
    client = Client(
        workspace=workspace,
        client_id=crypto.new_client_id(),
        registration_source=registration_source,
    )
    # Built (and the new secret encrypted) before the transaction: on SQLite every other writer
    # waits while it is open, so it holds only the writes.
    new_secret = apply_metadata(client, metadata, settings)
    token, record = tokens.build(client=client, ttl_seconds=settings.registration_access_token_ttl)
    event = audit.build(
        workspace=workspace, event=AuditEvent.Event.REGISTER, client_id=client.client_id, info=info
    )
    written = None
    if not has_quotas(settings):
        # PostgreSQL: every row (and the initial access token's consumption) in one statement.
        # A quota needs its count and the insert under one lock: the per-row path below.
        written = statements.register_in_one_statement(
            client=client, record=record, event=event, initial_access_token=initial_access_token
        )
    if written is False:
        raise InvalidToken("The access token was already used for another registration.")
    if written is None:
        with transaction.atomic():
            lock_and_check_quotas(
                workspace=workspace, settings=settings, metadata=metadata, info=info
            )
            statements.CLIENT_INSERT.insert(client)
            statements.TOKEN_INSERT.insert(record)
            if initial_access_token is not None:
                initial_token.consume(token=initial_access_token)
            statements.AUDIT_INSERT.insert(event)
    return IssuedClient(client, token, record.expires_in(), new_client_secret=new_secret)


def _rotates_on(settings: DCRSettings, operation: str) -> bool:
    if settings.token_rotation == TokenRotation.READ_AND_UPDATE:
        return True
    return settings.token_rotation == TokenRotation.UPDATE and operation == "update"


def _rotate_if_due(
    settings: DCRSettings, record: RegistrationAccessToken, operation: str
) -> tuple[str | None, RegistrationAccessToken]:
    """A new token (and its record) when the workspace's mode rotates on ``operation``."""
    if not _rotates_on(settings, operation):
        return None, record
    return tokens.rotate(record=record, ttl_seconds=settings.registration_access_token_ttl)


def client_read(
    *, workspace: Workspace, client_id: str, token: str, info: RequestInfo = CLI
) -> IssuedClient:
    """RFC 7592 §2.1: the current configuration; the token rotates per the workspace's mode."""
    settings = dcr_settings_for(workspace=workspace)
    if not _rotates_on(settings, "read"):
        # Nothing to swap: the token is checked and the read audited, no lock or transaction
        # (a read that races a delete or an update saw the client as it was when it read).
        record = tokens.authenticate(
            workspace=workspace, client_id=client_id, presented=token, lock=False
        )
        audit.record(
            workspace=workspace, event=AuditEvent.Event.READ, client_id=client_id, info=info
        )
        return IssuedClient(record.client, None, record.expires_in())
    if _single_statement_database():
        # PostgreSQL: the digest is compared here, then one statement rotates the token only if
        # its digest is unchanged (compare-and-swap) and writes the event.
        record = tokens.authenticate(
            workspace=workspace, client_id=client_id, presented=token, lock=False
        )
        successor_token, successor = tokens.new_successor(
            ttl_seconds=settings.registration_access_token_ttl
        )
        event = audit.build(
            workspace=workspace,
            event=AuditEvent.Event.READ,
            client_id=client_id,
            info=info,
            count=False,
        )
        rotated = statements.rotate_in_one_statement(
            record=record, successor=successor, event=event
        )
        if rotated is False:
            raise InvalidToken(tokens.INVALID_TOKEN_DESCRIPTION)
        if rotated is True:
            audit.count_written(event)
            return IssuedClient(record.client, successor_token, record.expires_in())
    with transaction.atomic():
        record = tokens.authenticate(workspace=workspace, client_id=client_id, presented=token)
        new_token, record = _rotate_if_due(settings, record, "read")
        audit.record(
            workspace=workspace, event=AuditEvent.Event.READ, client_id=client_id, info=info
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


def client_check_token(*, workspace: Workspace, client_id: str, token: str) -> Client:
    """The client ``token`` manages, or InvalidToken (no write, no lock)."""
    record = tokens.authenticate(
        workspace=workspace, client_id=client_id, presented=token, lock=False
    )
    return record.client


def client_update(
    *,
    workspace: Workspace,
    client_id: str,
    token: str,
    raw_metadata: Mapping[str, Any],
    software_statement: str | None = None,
    info: RequestInfo = CLI,
    checked: Client | None = None,
) -> IssuedClient:
    """RFC 7592 §2.2: replace the metadata as a whole (omitted fields are removed).

    The policy is evaluated on every update, over the final metadata, exactly as on register.
    ``checked``: the client :func:`client_check_token` already returned for this token (the
    view checks before reading the body); the locked check inside the transaction still runs.
    """
    settings = dcr_settings_for(workspace=workspace)
    current = checked or client_check_token(workspace=workspace, client_id=client_id, token=token)
    _check_update_request(current, raw_metadata)
    # Validation may fetch (sector_identifier_uri): done before any row lock is taken.
    metadata = validate_submission(
        workspace=workspace,
        settings=settings,
        raw_metadata=raw_metadata,
        software_statement=software_statement,
        info=info,
        updating=current,
    )
    with transaction.atomic():
        record = tokens.authenticate(workspace=workspace, client_id=client_id, presented=token)
        client = record.client
        lock_and_check_quotas(
            workspace=workspace, settings=settings, metadata=metadata, info=info, updating=client
        )
        apply_metadata(client, metadata, settings)
        client.save()
        new_token, record = _rotate_if_due(settings, record, "update")
        audit.record(
            workspace=workspace, event=AuditEvent.Event.UPDATE, client_id=client_id, info=info
        )
    return IssuedClient(client, new_token, record.expires_in())


def client_delete(
    *, workspace: Workspace, client_id: str, token: str, info: RequestInfo = CLI
) -> None:
    """RFC 7592 §2.3: deprovision the client; its tokens and grants go with it (FK cascade).

    The token row is locked by ``authenticate`` (PostgreSQL) or the write lock is held since
    BEGIN IMMEDIATE (SQLite), so a second delete with the same token finds nothing: 401.
    """
    event = audit.build(
        workspace=workspace,
        event=AuditEvent.Event.DELETE,
        client_id=client_id,
        info=info,
        count=False,  # counted below, once written (the one statement may delete nothing)
    )
    if statements.client_dependents() is not None and _single_statement_database():
        # PostgreSQL: the token's digest is compared here, then one statement deletes the token
        # only if its digest is unchanged (compare-and-swap), the client's rows and writes the
        # event: a parallel delete or rotation with the same token makes it delete nothing.
        record = tokens.authenticate(
            workspace=workspace, client_id=client_id, presented=token, lock=False
        )
        deleted = statements.delete_in_one_statement(record=record, event=event)
        if deleted is True:
            audit.count_written(event)
            return
        if deleted is False:
            raise InvalidToken(tokens.INVALID_TOKEN_DESCRIPTION)
    with transaction.atomic():
        record = tokens.authenticate(workspace=workspace, client_id=client_id, presented=token)
        statements.delete_client_rows(client=record.client)
        statements.AUDIT_INSERT.insert(event)
        audit.count_written(event)  # inside: counted only if the transaction commits


def client_delete_by_admin(*, client: Client, info: RequestInfo = CLI) -> None:
    with transaction.atomic():
        client_id, workspace = client.client_id, client.workspace
        statements.delete_client_rows(client=client)
        audit.record(
            workspace=workspace, event=AuditEvent.Event.DELETE, client_id=client_id, info=info
        )


def token_reissue(*, client: Client, info: RequestInfo = CLI) -> IssuedClient:
    """An administrator's new registration access token; the previous one stops working."""
    settings = dcr_settings_for(workspace=client.workspace)
    with transaction.atomic():
        token, record = tokens.issue(
            client=client, ttl_seconds=settings.registration_access_token_ttl
        )
        audit.record(
            workspace=client.workspace,
            event=AuditEvent.Event.REISSUE,
            client_id=client.client_id,
            info=info,
        )
    return IssuedClient(client, token, record.expires_in())


def _manual_client_create(*, workspace: Workspace, metadata: dict[str, Any]) -> tuple[Client, str]:
    """A client created by an administrator (source manual), with its secret in clear."""
    settings = dcr_settings_for(workspace=workspace)
    with transaction.atomic():
        client = Client(
            workspace=workspace,
            client_id=crypto.new_client_id(),
            registration_source=AbstractApplication.RegistrationSource.MANUAL,
        )
        apply_metadata(client, metadata, settings)
        client.save()
    return client, client.client_secret


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
    return _manual_client_create(workspace=workspace, metadata=metadata)


def resource_server_create(*, workspace: Workspace, name: str) -> tuple[Client, str]:
    """A confidential client for a protected resource: it authenticates at the introspection
    endpoint and, created by an administrator (source manual), may introspect any token of the
    workspace (RFC 7662 §4, dcr_server/oauth/introspection.py). It is granted no scope.

    Returns the client and its secret in clear, to be shown once.
    """
    metadata: dict[str, Any] = {
        "client_name": name,
        "grant_types": ["client_credentials"],
        "response_types": [],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    return _manual_client_create(workspace=workspace, metadata=metadata)
