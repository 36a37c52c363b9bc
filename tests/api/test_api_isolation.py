"""Tenant isolation at the registration endpoints: the same requests across two workspaces."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.test import Client as HttpClient

from registration.models import Client
from tenants.models import Workspace
from tests.helpers import bearer, put_json


def test_client_of_one_workspace_is_unknown_in_another(
    api: HttpClient, registered: dict[str, Any], other_workspace: Workspace
) -> None:
    foreign_uri = f"{other_workspace.path}/oauth2/register/{registered['client_id']}"
    token = registered["registration_access_token"]

    assert api.get(foreign_uri, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED
    update = {"client_id": registered["client_id"], "grant_types": ["client_credentials"]}
    assert (
        put_json(api, foreign_uri, update, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED
    )
    assert api.delete(foreign_uri, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED
    # The failed attempts did not consume or change anything at home.
    home = api.get(
        registered["registration_client_uri"].removeprefix("http://testserver"), **bearer(token)
    )
    assert home.status_code == HTTPStatus.OK


def test_registration_lands_in_the_addressed_workspace(
    register: Any, workspace: Workspace, other_workspace: Workspace
) -> None:
    body = register({"grant_types": ["client_credentials"]}, on=other_workspace).json()

    assert body["registration_client_uri"].startswith(
        "http://testserver/acme/prod/oauth2/register/"
    )
    assert Client.objects.get(client_id=body["client_id"]).workspace == other_workspace
    assert not Client.objects.filter(workspace=workspace).exists()


def test_dcr_is_enabled_per_workspace(api: HttpClient, register: Any, db: None) -> None:
    from tenants.services import workspace_create

    disabled = workspace_create(tenant_slug="quiet", workspace_slug="ws")

    assert (
        register({"grant_types": ["client_credentials"]}, on=disabled).status_code
        == HTTPStatus.NOT_FOUND
    )
