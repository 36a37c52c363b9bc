"""Client lifecycle: abandoned DCR clients deleted by dcr cleanup; last use recorded."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone

from registration.configuration import SettingsChange, dcr_configure
from registration.models import AuditEvent, Client
from tenants.models import Workspace
from tests.helpers import basic


def _cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("dcr", "cleanup", *args, stdout=out)
    return out.getvalue()


def test_token_issuance_records_last_use(api: HttpClient, service_client: dict[str, Any]) -> None:
    api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )

    assert Client.objects.get(client_id=service_client["client_id"]).last_used_at is not None


def test_never_used_clients_are_deleted_after_the_grace_period(
    workspace: Workspace, service_client: dict[str, Any], registered: dict[str, Any]
) -> None:
    dcr_configure(workspace=workspace, change=SettingsChange(delete_never_used_after_days=7))
    Client.objects.filter(client_id=service_client["client_id"]).update(
        created=timezone.now() - timedelta(days=8)
    )

    preview = _cleanup("--dry-run")
    assert service_client["client_id"] in preview
    assert Client.objects.filter(client_id=service_client["client_id"]).exists()

    _cleanup()

    assert not Client.objects.filter(client_id=service_client["client_id"]).exists()
    assert Client.objects.filter(client_id=registered["client_id"]).exists()
    assert AuditEvent.objects.filter(
        event="delete", client_id=service_client["client_id"], rule="lifecycle"
    ).exists()


def test_idle_clients_are_deleted(workspace: Workspace, service_client: dict[str, Any]) -> None:
    dcr_configure(workspace=workspace, change=SettingsChange(delete_idle_after_days=30))
    Client.objects.filter(client_id=service_client["client_id"]).update(
        last_used_at=timezone.now() - timedelta(days=31)
    )

    _cleanup()

    assert not Client.objects.filter(client_id=service_client["client_id"]).exists()


def test_manual_clients_are_never_deleted_by_lifecycle(workspace: Workspace) -> None:
    from registration.services import registrar_create

    client, _ = registrar_create(workspace=workspace, name="registrar")
    dcr_configure(workspace=workspace, change=SettingsChange(delete_never_used_after_days=1))
    Client.objects.filter(pk=client.pk).update(created=timezone.now() - timedelta(days=5))

    _cleanup()

    assert Client.objects.filter(pk=client.pk).exists()


def test_expired_client_secret_no_longer_authenticates_rfc7591_3_2_1(
    api: HttpClient, workspace: Workspace, service_client: dict[str, Any]
) -> None:
    Client.objects.filter(client_id=service_client["client_id"]).update(
        client_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )

    assert response.status_code == 401


def test_client_secret_lifetime_sets_expires_at_rfc7591_3_2_1(
    api: HttpClient, workspace: Workspace
) -> None:
    import time

    from tests.helpers import SERVICE_CLIENT, post_json

    call_command(
        "dcr", "configure", "default/default", "--client-secret-ttl", "3600", stdout=io.StringIO()
    )

    body = post_json(api, "/default/default/oauth2/register", SERVICE_CLIENT).json()

    assert abs(body["client_secret_expires_at"] - (time.time() + 3600)) < 60
