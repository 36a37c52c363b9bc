"""CONTRACT: every settings change, from the CLI or the admin, is an audit event ``configure``
with the actor and the changed field names, never a key or secret value."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from registration.models import AuditEvent
from tenants.models import Workspace
from tests.admin.conftest import settings_form


def dcr(*args: str) -> str:
    out = io.StringIO()
    call_command("dcr", *args, stdout=out)
    return out.getvalue()


def test_cli_configure_is_audited_with_actor_cli(workspace: Workspace) -> None:
    dcr("configure", "default/default", "--rat-ttl", "3600", "--disable")
    event = AuditEvent.objects.get(workspace=workspace, event="configure")
    assert event.actor == "cli"
    assert event.changed_fields == ["enabled", "registration_access_token_ttl"]
    rows = json.loads(dcr("audit", "default/default", "--json"))
    row = next(r for r in rows if r["event"] == "configure")
    # The contract's keys stay; the actor and the changed fields are added.
    assert {"time", "event", "outcome", "source_ip"} <= set(row)
    assert row["actor"] == "cli"
    assert row["changed_fields"] == ["enabled", "registration_access_token_ttl"]


def test_an_unchanged_configure_records_nothing(workspace: Workspace) -> None:
    dcr("configure", "default/default", "--enable")  # already enabled (fixture)
    assert not AuditEvent.objects.filter(event="configure").exists()


def test_keys_are_named_never_recorded(
    workspace: Workspace, tmp_path: Path, rsa_jwks: dict[str, Any]
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(rsa_jwks))
    dcr("configure", "default/default", "--software-statement-jwks", str(path))
    event = AuditEvent.objects.get(event="configure")
    assert event.changed_fields == ["software_statement_jwks"]
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert rsa_jwks["keys"][0]["n"] not in stored and "statement-rsa-1" not in stored


def test_a_refused_configure_records_nothing(workspace: Workspace) -> None:
    with pytest.raises(Exception, match="lifetime"):
        dcr("configure", "default/default", "--rat-ttl", "1")
    assert not AuditEvent.objects.filter(event="configure").exists()


def test_an_admin_save_is_audited_with_the_username(workspace: Workspace) -> None:
    user = get_user_model().objects.create_superuser("root", "r@example.com", "x" * 20)
    http = HttpClient()
    http.force_login(user)
    url = reverse("admin:registration_client_registration", args=[workspace.pk])
    http.post(url, settings_form(policy='{"client_name": {"max_length": 40}}'))
    event = AuditEvent.objects.get(event="configure")
    assert event.actor == "root" and event.changed_fields == ["policy"]
    assert "max_length" not in event.description
