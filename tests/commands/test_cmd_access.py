"""``access grant|revoke|list`` (CONTRACT "Tenant administration")."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tenants import access
from tenants.models import AccessGrant, Workspace
from tenants.services import workspace_create


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("access", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def acme(db: None) -> Workspace:
    workspace_create(tenant_slug="acme", workspace_slug="dev")
    return workspace_create(tenant_slug="acme", workspace_slug="prod")


@pytest.fixture
def staff(db: None) -> Any:
    return get_user_model().objects.create_user("ann", password="x" * 20, is_staff=True)


def test_grant_create_prints_the_password_once_and_it_logs_in(acme: Workspace) -> None:
    output = run("grant", "carl", "acme", "--role", "admin", "--create")
    data = json.loads(output)
    assert set(data) == {"username", "password"} and data["username"] == "carl"
    assert len(data["password"]) >= 32
    user = get_user_model().objects.get(username="carl")
    assert user.is_staff and not user.is_superuser and user.check_password(data["password"])
    # Granting again prints no password: it is shown once, only its hash is stored.
    again = run("grant", "carl", "acme", "--role", "viewer", "--create")
    assert data["password"] not in again and "viewer" in again
    assert AccessGrant.objects.get(user=user).role == "viewer"  # one grant per scope


def test_a_tenant_grant_covers_present_and_future_workspaces(acme: Workspace, staff: Any) -> None:
    run("grant", "ann", "acme", "--role", "admin")
    later = workspace_create(tenant_slug="acme", workspace_slug="later")
    assert set(access.workspaces_for(staff).values_list("slug", flat=True)) == {
        "dev",
        "prod",
        "later",
    }
    assert access.can_change(staff, later)


def test_a_workspace_grant_covers_that_workspace_only(acme: Workspace, staff: Any) -> None:
    run("grant", "ann", "acme/prod", "--role", "viewer")
    assert list(access.workspaces_for(staff)) == [acme]
    assert not access.can_change(staff, acme)
    assert not access.workspaces_for(staff, change=True).exists()


def test_list_json_and_text(acme: Workspace, staff: Any) -> None:
    run("grant", "ann", "acme/prod", "--role", "viewer")
    run("grant", "zed", "acme", "--role", "admin", "--create")
    rows = json.loads(run("list", "--json"))
    assert {"username": "ann", "scope": "acme/prod", "role": "viewer"} in rows
    assert {"username": "zed", "scope": "acme", "role": "admin"} in rows
    # A workspace's list names everyone who reaches it, the tenant's admins included.
    of_dev = json.loads(run("list", "acme/dev", "--json"))
    assert of_dev == [{"username": "zed", "scope": "acme", "role": "admin"}]
    text = run("list", "acme")
    assert text.splitlines()[0].split() == ["USERNAME", "SCOPE", "ROLE"]


def test_revoke_removes_exactly_that_scope(acme: Workspace, staff: Any) -> None:
    run("grant", "ann", "acme", "--role", "admin")
    run("grant", "ann", "acme/prod", "--role", "viewer")
    assert "Revoked" in run("revoke", "ann", "acme")
    assert access.role_for(staff, acme) == "viewer"
    with pytest.raises(CommandError, match="no grant on acme"):
        run("revoke", "ann", "acme")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grant", "ann", "nope", "--role", "admin"), "no tenant 'nope'"),
        (("grant", "ann", "acme/nope", "--role", "admin"), "no workspace acme/nope"),
        (("grant", "ann", "acme/prod/x", "--role", "admin"), "expected TENANT or TENANT/WORKSPACE"),
        (("grant", "ann", "acme/", "--role", "admin"), "expected TENANT or TENANT/WORKSPACE"),
        (("grant", "ghost", "acme", "--role", "admin"), "no user 'ghost'"),
        (("grant", "bad name!", "acme", "--role", "admin", "--create"), "invalid username"),
        (("revoke", "ghost", "acme"), "no user 'ghost'"),
        (("list", "nope"), "no tenant 'nope'"),
    ],
)
def test_bad_input_is_one_command_error(
    acme: Workspace, staff: Any, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message) as raised:
        run(*args)
    assert "\n" not in str(raised.value)
    assert not AccessGrant.objects.exists()
    assert not get_user_model().objects.exclude(username="ann").exists()


def test_a_non_staff_user_is_refused(acme: Workspace) -> None:
    get_user_model().objects.create_user("enduser", password="x" * 20)
    with pytest.raises(CommandError, match="not staff"):
        run("grant", "enduser", "acme", "--role", "admin")
    assert not AccessGrant.objects.exists()


def test_role_is_required_and_checked(acme: Workspace, staff: Any) -> None:
    with pytest.raises(CommandError):
        run("grant", "ann", "acme", "--role", "owner")
    assert not AccessGrant.objects.exists()
