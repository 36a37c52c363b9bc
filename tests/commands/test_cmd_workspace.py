"""``workspace create`` and ``workspace list``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from registration.models import DCRSettings
from tenants.models import Workspace


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("workspace", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_prints_label_and_issuer() -> None:
    output = run("create", "acme/dev", "--name", "Acme development")

    assert "acme/dev" in output
    assert "Issuer: http://127.0.0.1:8000/acme/dev" in output
    workspace = Workspace.objects.get(tenant__slug="acme", slug="dev")
    assert workspace.name == "Acme development"
    assert not DCRSettings.objects.get(workspace=workspace).enabled


@pytest.mark.django_db
@override_settings(DCR_PUBLIC_BASE_URL="https://auth.example.com")
def test_create_issuer_uses_public_base_url() -> None:
    assert "Issuer: https://auth.example.com/acme/dev" in run("create", "acme/dev")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("acme", "TENANT/WORKSPACE"),
        ("acme/", "TENANT/WORKSPACE"),
        ("/dev", "TENANT/WORKSPACE"),
        ("acme/dev/extra", "TENANT/WORKSPACE"),
        ("Acme/dev", "invalid tenant name"),
        ("acme/dev_1", "invalid workspace name"),
        ("admin/dev", "reserved"),
        ("default/default", "already exists"),
    ],
)
def test_create_refuses_bad_or_taken_names(label: str, message: str) -> None:
    before = Workspace.objects.count()

    with pytest.raises(CommandError, match=message) as excinfo:
        run("create", label)

    assert "\n" not in str(excinfo.value)
    assert Workspace.objects.count() == before


@pytest.mark.django_db
def test_create_twice_fails_the_second_time() -> None:
    run("create", "acme/dev")

    with pytest.raises(CommandError, match="already exists"):
        run("create", "acme/dev")


@pytest.mark.django_db
def test_missing_subcommand_is_a_command_error() -> None:
    with pytest.raises(CommandError):
        run()


def test_list_json_shape(workspace: Workspace, other_workspace: Workspace) -> None:
    run("create", "beta/test")

    data = json.loads(run("list", "--json"))

    assert data == [
        {
            "tenant": "acme",
            "workspace": "prod",
            "issuer": "http://127.0.0.1:8000/acme/prod",
            "dcr_enabled": True,
        },
        {
            "tenant": "beta",
            "workspace": "test",
            "issuer": "http://127.0.0.1:8000/beta/test",
            "dcr_enabled": False,
        },
        {
            "tenant": "default",
            "workspace": "default",
            "issuer": "http://127.0.0.1:8000/default/default",
            "dcr_enabled": True,
        },
    ]


def test_list_text_is_one_aligned_line_per_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    lines = run("list").splitlines()

    assert lines[0].split() == ["WORKSPACE", "DCR", "ISSUER"]
    assert lines[1].split() == ["acme/prod", "enabled", "http://127.0.0.1:8000/acme/prod"]
    assert lines[2].split() == [
        "default/default",
        "enabled",
        "http://127.0.0.1:8000/default/default",
    ]
    assert len({line.index("http") for line in lines[1:]}) == 1


@pytest.mark.django_db
def test_list_json_is_empty_list_without_workspaces() -> None:
    Workspace.objects.all().delete()

    assert json.loads(run("list", "--json")) == []
    assert run("list").strip() == "No workspaces."
