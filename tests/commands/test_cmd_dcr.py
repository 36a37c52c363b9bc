"""``dcr show|configure|clients|reissue-token|delete|cleanup``."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant

from registration import services
from registration.models import Client, DCRSettings, RegistrationAccessToken
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, bearer, ws_url

DISCOVERY = "/default/default/.well-known/openid-configuration"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("dcr", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> Any:
    return json.loads(run(*args))


def manage(api: HttpClient, workspace: Workspace, client_id: str, token: str) -> Any:
    return api.get(ws_url(workspace, f"/oauth2/register/{client_id}"), **bearer(token))


# -- show ----------------------------------------------------------------------------------------
def test_show_prints_the_settings_json(workspace: Workspace) -> None:
    assert run_json("show", "default/default") == {
        "enabled": True,
        "protect_by_access_token": False,
        "software_statement_jwks": None,
        "software_statement_jwks_uri": None,
        "signed_request_jwks": None,
        "signed_request_jwks_uri": None,
        "registration_access_token_ttl": 2592000,
        "token_rotation": "read_and_update",
        "default_scopes": ["openid", "profile", "email"],
        "client_secret_ttl": 0,
        "policy": None,
        "delete_never_used_after_days": None,
        "delete_idle_after_days": None,
        "cimd_enabled": False,
        "cimd_trusted_hosts": [],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("label", "message"),
    [("nope/none", "no workspace nope/none"), ("default", "TENANT/WORKSPACE"), ("a/b/c", "TENANT")],
)
@pytest.mark.parametrize("action", ["show", "configure", "clients"])
def test_unknown_or_malformed_workspace_is_a_command_error(
    action: str, label: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message) as excinfo:
        run(action, label)

    assert "\n" not in str(excinfo.value)


@pytest.mark.django_db
def test_missing_subcommand_is_a_command_error() -> None:
    with pytest.raises(CommandError):
        run()


# -- configure -----------------------------------------------------------------------------------
def test_configure_disable_then_enable_changes_discovery(
    api: HttpClient, workspace: Workspace
) -> None:
    assert "registration_endpoint" in api.get(DISCOVERY).json()

    assert run_json("configure", "default/default", "--disable")["enabled"] is False
    assert "registration_endpoint" not in api.get(DISCOVERY).json()

    assert run_json("configure", "default/default", "--enable")["enabled"] is True
    document = api.get(DISCOVERY).json()
    assert document["registration_endpoint"] == "http://testserver/default/default/oauth2/register"


def test_configure_rat_ttl_prints_the_same_shape_as_show(workspace: Workspace) -> None:
    printed = run_json("configure", "default/default", "--rat-ttl", "3600")

    assert printed["registration_access_token_ttl"] == 3600
    assert printed == run_json("show", "default/default")
    assert DCRSettings.objects.get(workspace=workspace).registration_access_token_ttl == 3600


def test_configure_rat_ttl_applies_to_new_registration_tokens(
    workspace: Workspace, registered: dict[str, Any]
) -> None:
    run("configure", "default/default", "--rat-ttl", "120")

    issued = run_json("reissue-token", registered["client_id"])

    assert 100 <= issued["registration_access_token_expires_in"] <= 120


@pytest.mark.parametrize("ttl", ["59", "0", "-1", str(10 * 365 * 24 * 3600 + 1), "abc", "1.5"])
def test_configure_refuses_a_bad_rat_ttl(workspace: Workspace, ttl: str) -> None:
    with pytest.raises(CommandError):
        run("configure", "default/default", f"--rat-ttl={ttl}")

    assert DCRSettings.objects.get(workspace=workspace).registration_access_token_ttl == 2592000


@pytest.mark.parametrize("ttl", ["60", str(10 * 365 * 24 * 3600)])
def test_configure_accepts_the_rat_ttl_bounds(workspace: Workspace, ttl: str) -> None:
    assert run_json("configure", "default/default", "--rat-ttl", ttl)[
        "registration_access_token_ttl"
    ] == int(ttl)


def test_configure_enable_and_disable_are_mutually_exclusive(workspace: Workspace) -> None:
    with pytest.raises(CommandError):
        run("configure", "default/default", "--enable", "--disable")

    assert DCRSettings.objects.get(workspace=workspace).enabled


def test_configure_touches_only_the_named_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    run("configure", "acme/prod", "--disable")

    assert not DCRSettings.objects.get(workspace=other_workspace).enabled
    assert DCRSettings.objects.get(workspace=workspace).enabled


# -- clients -------------------------------------------------------------------------------------
def test_clients_json_shape(workspace: Workspace, registered: dict[str, Any]) -> None:
    manual = services.client_register(
        workspace=workspace,
        raw_metadata={**SERVICE_CLIENT, "client_name": "Manual one"},
        registration_source=Client.RegistrationSource.MANUAL,
    ).client

    data = run_json("clients", "default/default", "--json")

    dcr_client = Client.objects.get(client_id=registered["client_id"])
    assert data == [
        {
            "client_id": registered["client_id"],
            "client_name": "Sample web client",
            "registration_source": "dcr",
            "created_at": dcr_client.created.isoformat(),
            "last_used_at": None,
        },
        {
            "client_id": manual.client_id,
            "client_name": "Manual one",
            "registration_source": "manual",
            "created_at": manual.created.isoformat(),
            "last_used_at": None,
        },
    ]
    assert datetime.fromisoformat(data[0]["created_at"]).tzinfo is not None


def test_clients_json_last_used_at_is_iso(workspace: Workspace, registered: dict[str, Any]) -> None:
    used = timezone.now()
    Client.objects.filter(client_id=registered["client_id"]).update(last_used_at=used)

    [entry] = run_json("clients", "default/default", "--json")

    assert datetime.fromisoformat(entry["last_used_at"]) == used


def test_clients_are_scoped_to_the_workspace(
    other_workspace: Workspace, registered: dict[str, Any]
) -> None:
    assert run_json("clients", "acme/prod", "--json") == []
    assert run("clients", "acme/prod").strip() == "No clients in acme/prod."


def test_clients_table_labels_dcr_clients(workspace: Workspace, registered: dict[str, Any]) -> None:
    services.client_register(
        workspace=workspace,
        raw_metadata={**SERVICE_CLIENT, "client_name": "Manual one"},
        registration_source=Client.RegistrationSource.MANUAL,
    )

    header, dcr_row, manual_row = run("clients", "default/default").splitlines()

    assert header.split()[:3] == ["CLIENT", "ID", "NAME"]
    assert "SOURCE" in header
    column = header.index("SOURCE")
    assert dcr_row.startswith(registered["client_id"])
    assert dcr_row[column : column + 3] == "DCR"
    assert manual_row[column : column + 3].strip() == ""


# -- reissue-token -------------------------------------------------------------------------------
def test_reissue_token_replaces_the_registration_access_token(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    client_id = registered["client_id"]
    old = registered["registration_access_token"]

    issued = run_json("reissue-token", client_id)

    assert set(issued) == {
        "client_id",
        "registration_access_token",
        "registration_access_token_expires_in",
    }
    assert issued["client_id"] == client_id
    assert isinstance(issued["registration_access_token_expires_in"], int)
    assert 2591000 <= issued["registration_access_token_expires_in"] <= 2592000
    assert issued["registration_access_token"] != old
    assert manage(api, workspace, client_id, old).status_code == HTTPStatus.UNAUTHORIZED
    assert manage(api, workspace, client_id, issued["registration_access_token"]).status_code == (
        HTTPStatus.OK
    )


@pytest.mark.django_db
def test_reissue_token_for_an_unknown_client_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="no client"):
        run("reissue-token", "no-such-client")

    assert not RegistrationAccessToken.objects.exists()


# -- delete --------------------------------------------------------------------------------------
def test_delete_removes_the_client(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    client_id = registered["client_id"]

    output = run("delete", client_id)

    assert output.strip() == f"Deleted client {client_id} from default/default."
    assert not Client.objects.filter(client_id=client_id).exists()
    assert not RegistrationAccessToken.objects.filter(client__client_id=client_id).exists()
    response = manage(api, workspace, client_id, registered["registration_access_token"])
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_delete_an_unknown_client_is_a_command_error(registered: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="no client"):
        run("delete", "no-such-client")

    assert Client.objects.filter(client_id=registered["client_id"]).exists()


# -- cleanup -------------------------------------------------------------------------------------
def _expire_token(client_id: str) -> None:
    RegistrationAccessToken.objects.filter(client__client_id=client_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def _oauth_rows(client: Client) -> None:
    """One expired and one live access token, one expired grant."""
    now = timezone.now()
    user = get_user_model()._default_manager.create_user(username="alice", password="x")
    AccessToken.objects.create(application=client, token="expired", expires=now - timedelta(1))
    AccessToken.objects.create(application=client, token="live", expires=now + timedelta(1))
    Grant.objects.create(
        application=client,
        user=user,
        code="old-code",
        expires=now - timedelta(1),
        redirect_uri="https://app.example.com/callback",
    )


def test_cleanup_dry_run_counts_and_deletes_nothing(
    registered: dict[str, Any], service_client: dict[str, Any]
) -> None:
    _expire_token(registered["client_id"])
    _oauth_rows(Client.objects.get(client_id=registered["client_id"]))

    output = run("cleanup", "--dry-run")

    assert "Expired registration access tokens to delete: 1" in output
    assert "Expired access tokens to delete: 1" in output
    assert "Expired grants to delete: 1" in output
    assert "nothing was deleted" in output
    assert RegistrationAccessToken.objects.count() == 2
    assert AccessToken.objects.count() == 2
    assert Grant.objects.count() == 1


def test_cleanup_deletes_expired_tokens_only(
    api: HttpClient,
    workspace: Workspace,
    registered: dict[str, Any],
    service_client: dict[str, Any],
) -> None:
    _expire_token(registered["client_id"])
    _oauth_rows(Client.objects.get(client_id=registered["client_id"]))

    output = run("cleanup")

    assert "Expired registration access tokens deleted: 1" in output
    assert "Expired access tokens deleted: 1" in output
    assert "Expired grants deleted: 1" in output
    assert not RegistrationAccessToken.objects.filter(
        client__client_id=registered["client_id"]
    ).exists()
    assert list(AccessToken.objects.values_list("token", flat=True)) == ["live"]
    assert not Grant.objects.exists()
    # The live registration token still manages its client; the clients themselves stay.
    live = manage(
        api, workspace, service_client["client_id"], service_client["registration_access_token"]
    )
    assert live.status_code == HTTPStatus.OK
    assert Client.objects.count() == 2


@pytest.mark.django_db
def test_cleanup_with_nothing_expired_reports_zero() -> None:
    output = run("cleanup")

    assert "Expired registration access tokens deleted: 0" in output
    assert "Expired access tokens deleted: 0" in output


def test_configure_token_rotation_and_default_scopes(workspace: Workspace) -> None:
    data = run_json(
        "configure",
        "default/default",
        "--token-rotation",
        "update",
        "--default-scopes",
        "openid email",
    )

    assert data["token_rotation"] == "update"
    assert data["default_scopes"] == ["openid", "email"]


def test_configure_refuses_scopes_the_workspace_does_not_offer(workspace: Workspace) -> None:
    with pytest.raises(CommandError, match="dcr_register"):
        run_json("configure", "default/default", "--default-scopes", "openid dcr_register")

    assert run_json("show", "default/default")["default_scopes"] == ["openid", "profile", "email"]
