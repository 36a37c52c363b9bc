"""``dcr resource-server TENANT/WORKSPACE [--name NAME]``: a client a protected resource
introspects tokens with (created by an administrator: source manual, RFC 7662 §4)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registration.models import Client


def test_creates_a_manual_confidential_client(workspace) -> None:
    out = io.StringIO()
    call_command("dcr", "resource-server", "default/default", "--name", "Notes API", stdout=out)
    data = json.loads(out.getvalue())
    assert (
        data["introspection_endpoint"] == "http://127.0.0.1:8000/default/default/oauth2/introspect"
    )
    client = Client.objects.get(client_id=data["client_id"])
    assert client.registration_source == "manual"
    assert client.name == "Notes API"
    assert client.client_secret == data["client_secret"]
    assert client.scope == ""  # it introspects; it is granted nothing
    assert client.token_endpoint_auth_method == "client_secret_basic"


def test_unknown_workspace_is_refused(db) -> None:
    with pytest.raises(CommandError, match="no workspace"):
        call_command("dcr", "resource-server", "nope/nope", stdout=io.StringIO())
    assert not Client.objects.exists()
