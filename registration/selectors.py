"""Workspace-scoped reads. Every selector takes the workspace: an unscoped query cannot be written."""

from __future__ import annotations

from django.db.models import QuerySet

from registration.models import Client, DCRSettings
from tenants.models import Workspace


def dcr_settings_for(*, workspace: Workspace) -> DCRSettings:
    try:
        return workspace.dcr_settings
    except DCRSettings.DoesNotExist:
        settings, _ = DCRSettings.objects.get_or_create(workspace=workspace)
        return settings


def client_get(*, workspace: Workspace, client_id: str) -> Client | None:
    if not client_id or "\x00" in client_id or len(client_id) > 255:
        return None
    return (
        Client.objects.select_related("workspace__tenant")
        .filter(workspace=workspace, client_id=client_id)
        .first()
    )


def clients_list(*, workspace: Workspace) -> QuerySet[Client]:
    return Client.objects.filter(workspace=workspace).order_by("created", "pk")
