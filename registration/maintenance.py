"""Housekeeping behind ``dcr cleanup``: expired registration access tokens and OAuth tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from oauth2_provider.models import (
    AbstractApplication,
    clear_expired,
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from dcr_server import crypto
from registration import audit
from registration.audit import RequestInfo
from registration.jose.replay import purge_expired_jtis
from registration.models import AuditEvent, Client, DCRSettings, RegistrationAccessToken
from tenants.models import SigningKey

CLEANUP = RequestInfo(actor="cleanup")


@dataclass(frozen=True)
class CleanupCounts:
    """Rows deleted (or, in a dry run, that would be deleted).

    ``refresh_tokens`` is ``None`` in a dry run: DOT's rules for them (grace period, reuse
    protection, orphans) are not estimated here.
    """

    registration_access_tokens: int
    access_tokens: int
    id_tokens: int
    grants: int
    refresh_tokens: int | None
    abandoned_client_ids: tuple[str, ...] = ()


def abandoned_dcr_clients(*, now: datetime | None = None) -> list[Client]:
    """DCR clients the workspace's lifecycle settings say to delete.

    ``delete_never_used_after_days``: registered that long ago and never got a token.
    ``delete_idle_after_days``: the last token was issued longer ago than that.
    """
    now = now or timezone.now()
    doomed = Q(pk__in=[])
    for dcr in DCRSettings.objects.filter(
        Q(delete_never_used_after_days__isnull=False) | Q(delete_idle_after_days__isnull=False)
    ):
        in_workspace = Q(
            workspace_id=dcr.workspace_id,
            registration_source=AbstractApplication.RegistrationSource.DCR,
        )
        if dcr.delete_never_used_after_days:
            cutoff = now - timedelta(days=dcr.delete_never_used_after_days)
            doomed |= in_workspace & Q(last_used_at__isnull=True, created__lt=cutoff)
        if dcr.delete_idle_after_days:
            cutoff = now - timedelta(days=dcr.delete_idle_after_days)
            doomed |= in_workspace & Q(last_used_at__lt=cutoff)
    return list(Client.objects.filter(doomed).select_related("workspace").order_by("pk"))


def _delete_abandoned(now: datetime) -> tuple[str, ...]:
    deleted = []
    for client in abandoned_dcr_clients(now=now):
        with transaction.atomic():
            client_id, workspace = client.client_id, client.workspace
            client.delete()
            audit.record(
                workspace=workspace,
                event=AuditEvent.Event.DELETE,
                client_id=client_id,
                rule="lifecycle",
                info=CLEANUP,
            )
        deleted.append(client_id)
    return tuple(deleted)


def _oauth_models() -> tuple[type[Model], type[Model], type[Model], type[Model]]:
    return (
        get_access_token_model(),
        get_id_token_model(),
        get_grant_model(),
        get_refresh_token_model(),
    )


def _expired_registration_tokens(now: datetime) -> int:
    return RegistrationAccessToken.objects.filter(expires_at__lte=now).count()


def cleanup_preview(*, now: datetime | None = None) -> CleanupCounts:
    """What :func:`cleanup_expired` would delete, without deleting anything."""
    now = now or timezone.now()
    access_token, id_token, grant, _ = _oauth_models()
    return CleanupCounts(
        registration_access_tokens=_expired_registration_tokens(now),
        # The same conditions as DOT's clear_expired(): an access token with a live refresh
        # token stays (the refresh token anchors it), an ID token goes with its access token.
        access_tokens=access_token._default_manager.filter(
            refresh_token__isnull=True, expires__lt=now
        ).count(),
        id_tokens=id_token._default_manager.filter(
            access_token__isnull=True, expires__lt=now
        ).count(),
        grants=grant._default_manager.filter(expires__lt=now).count(),
        refresh_tokens=None,
        abandoned_client_ids=tuple(client.client_id for client in abandoned_dcr_clients(now=now)),
    )


def cleanup_expired(*, now: datetime | None = None) -> CleanupCounts:
    """Delete expired registration access tokens, then DOT's expired tokens and grants."""
    now = now or timezone.now()
    with transaction.atomic():
        rat_deleted, _ = RegistrationAccessToken.objects.filter(expires_at__lte=now).delete()
        purge_expired_jtis(now=now)
    abandoned = _delete_abandoned(now)
    models = _oauth_models()
    before = [model._default_manager.count() for model in models]
    clear_expired()  # DOT's own rules; it returns nothing, so count the rows around it.
    after = [model._default_manager.count() for model in models]
    access_tokens, id_tokens, grants, refresh_tokens = (
        b - a for b, a in zip(before, after, strict=True)
    )
    return CleanupCounts(
        registration_access_tokens=rat_deleted,
        access_tokens=access_tokens,
        id_tokens=id_tokens,
        grants=grants,
        refresh_tokens=refresh_tokens,
        abandoned_client_ids=abandoned,
    )


@dataclass(frozen=True)
class ReencryptCounts:
    client_secrets: int
    signing_keys: int


def reencrypt_secrets() -> ReencryptCounts:
    """``dcr rotate-keys``: re-encrypt every stored secret under the first of DCR_ENCRYPTION_KEYS.

    Run after putting a new key first; afterwards the old keys can be dropped from the list.
    """
    clients = signing_keys = 0
    with transaction.atomic():
        for client in Client.objects.select_for_update().exclude(client_secret_encrypted=""):
            client.client_secret_encrypted = crypto.reencrypt(client.client_secret_encrypted)
            client.save(update_fields=["client_secret_encrypted"])
            clients += 1
        for key in SigningKey.objects.select_for_update():
            key.private_key_encrypted = crypto.reencrypt(key.private_key_encrypted)
            key.save(update_fields=["private_key_encrypted"])
            signing_keys += 1
    return ReencryptCounts(client_secrets=clients, signing_keys=signing_keys)


@dataclass(frozen=True)
class UndecryptableCounts:
    client_secrets: int
    signing_keys: int

    @property
    def total(self) -> int:
        return self.client_secrets + self.signing_keys


def count_undecryptable_secrets() -> UndecryptableCounts:
    """Stored secrets that no key in DCR_ENCRYPTION_KEYS decrypts (a lost or retired key).

    Reported at start-up (``bin/serve``; the ``registration.W001`` database check of ``migrate``
    and ``check --database default``); each such client answers 503 at the token endpoint.
    """
    clients = signing_keys = 0
    secrets = Client.objects.exclude(client_secret_encrypted="").values_list(
        "client_secret_encrypted", flat=True
    )
    for ciphertext in secrets.iterator(chunk_size=2000):
        try:
            crypto.decrypt(ciphertext)
        except crypto.DecryptionError:
            clients += 1
    for ciphertext in SigningKey.objects.values_list("private_key_encrypted", flat=True):
        try:
            crypto.decrypt(ciphertext)
        except crypto.DecryptionError:
            signing_keys += 1
    return UndecryptableCounts(client_secrets=clients, signing_keys=signing_keys)
