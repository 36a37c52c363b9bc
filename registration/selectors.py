"""Workspace-scoped reads. Every selector takes the workspace: an unscoped query cannot be written."""

from __future__ import annotations

from django.db.models import QuerySet
from oauth2_provider.models import AccessToken

from dcr_server.prepared import PreparedLookup
from registration.models import Client, DCRSettings
from tenants.models import Workspace

# Bearer access tokens presented to protected registration, introspection, userinfo and
# revocation: compiled once (dcr_server/prepared.py). The checksum is unique: at most one row.
_ACCESS_TOKEN_BY_CHECKSUM: PreparedLookup[AccessToken] = PreparedLookup(
    lambda checksum, workspace_id: (
        AccessToken.objects.select_related("application", "user")
        .filter(token_checksum=checksum, application__workspace_id=workspace_id)
        .order_by()
    ),
    checksum=str,
    workspace_id=int,
)


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


def access_token_by_checksum(*, workspace: Workspace, checksum: str) -> AccessToken | None:
    """The workspace's access token stored under ``checksum`` (``crypto.token_digest`` of the
    token, as DOT stores it), expired ones included; its application and user are loaded."""
    return _ACCESS_TOKEN_BY_CHECKSUM.first(checksum=checksum, workspace_id=workspace.pk)
