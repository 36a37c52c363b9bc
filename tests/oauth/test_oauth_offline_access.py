"""offline_access (OpenID Connect Core §11) is not advertised by default: what discovery lists,
a client registered with the default scopes can be granted (issue 15)."""

from __future__ import annotations

import importlib
from http import HTTPStatus

from django.apps import apps

from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, basic, post_json, ws_url

MIGRATION = importlib.import_module(
    "tenants.migrations.0005_scopes_supported_without_offline_access"
)


def _discovery_scopes(api, workspace: Workspace) -> list[str]:
    document = api.get(ws_url(workspace, "/.well-known/openid-configuration")).json()
    scopes: list[str] = document["scopes_supported"]
    return scopes


def test_offline_access_is_not_advertised_by_default_oidc_core_11(api, workspace) -> None:
    assert "offline_access" not in _discovery_scopes(api, workspace)


def test_a_default_client_is_refused_offline_access_that_is_not_advertised(api, workspace) -> None:
    client = post_json(api, ws_url(workspace, "/oauth2/register"), SERVICE_CLIENT).json()

    response = api.post(
        ws_url(workspace, "/oauth2/token"),
        {"grant_type": "client_credentials", "scope": "offline_access"},
        **basic(client["client_id"], client["client_secret"]),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"


def test_an_administrator_may_offer_it_and_a_client_that_asks_gets_it(api, workspace) -> None:
    workspace.scopes_supported = [*workspace.scopes_supported, "offline_access"]
    workspace.save()

    body = {**SERVICE_CLIENT, "scope": "openid offline_access"}
    registered = post_json(api, ws_url(workspace, "/oauth2/register"), body)

    assert registered.status_code == HTTPStatus.CREATED, registered.content
    assert registered.json()["scope"] == "openid offline_access"
    assert "offline_access" in _discovery_scopes(api, workspace)


def test_the_migration_drops_it_from_the_old_default_only(workspace, other_workspace) -> None:
    workspace.scopes_supported = list(MIGRATION.OLD_DEFAULT)
    workspace.save()
    customised = ["openid", "offline_access"]
    other_workspace.scopes_supported = customised
    other_workspace.save()

    MIGRATION.drop_offline_access(apps, None)

    workspace.refresh_from_db()
    other_workspace.refresh_from_db()
    assert workspace.scopes_supported == MIGRATION.NEW_DEFAULT
    assert other_workspace.scopes_supported == customised
