"""``dcr configure --cimd | --no-cimd [--cimd-trusted-hosts]``, ``dcr show``, ``dcr clients``,
``dcr audit`` and ``dcr cleanup`` for CIMD clients."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registration.models import Client, DCRSettings, RegistrationAccessToken
from tenants.models import Workspace
from tests.cimd.conftest import PublishFn
from tests.cimd.helpers import cimd_rows


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("dcr", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> Any:
    return json.loads(run(*args))


def test_cimd_is_off_by_default(workspace: Workspace) -> None:
    shown = run_json("show", "default/default")
    assert (shown["cimd_enabled"], shown["cimd_trusted_hosts"]) == (False, [])


def test_configure_switches_cimd_and_sets_trusted_hosts(workspace: Workspace) -> None:
    shown = run_json(
        "configure",
        "default/default",
        "--cimd",
        "--cimd-trusted-hosts",
        "App.Example.com, *.example.org,app.example.com",
    )
    assert shown["cimd_enabled"] is True
    assert shown["cimd_trusted_hosts"] == ["app.example.com", "*.example.org"]
    assert run_json("show", "default/default")["cimd_trusted_hosts"] == [
        "app.example.com",
        "*.example.org",
    ]

    cleared = run_json("configure", "default/default", "--no-cimd", "--cimd-trusted-hosts", "")
    assert (cleared["cimd_enabled"], cleared["cimd_trusted_hosts"]) == (False, [])


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ("https://app.example.com", "bare host name"),
        ("*example.org", "wildcard"),
        ("app.example.com:443", "must not include a port"),
        ("a.*.example.org", "wildcard"),
    ],
)
def test_a_bad_trusted_host_is_refused_and_nothing_changes(
    workspace: Workspace, hosts: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("configure", "default/default", "--cimd", "--cimd-trusted-hosts", hosts)
    dcr = DCRSettings.objects.get(workspace=workspace)
    assert (dcr.cimd_enabled, dcr.cimd_trusted_hosts) == (False, [])


def test_cimd_and_no_cimd_exclude_each_other(workspace: Workspace) -> None:
    with pytest.raises(CommandError):
        run("configure", "default/default", "--cimd", "--no-cimd")


def test_clients_lists_cimd_clients_with_their_source(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK

    (listed,) = run_json("clients", "default/default", "--json")
    assert listed["client_id"] == url
    assert listed["registration_source"] == "cimd"
    assert listed["client_name"] == "Example MCP client"
    header, row = run("clients", "default/default").splitlines()
    assert row[header.index("SOURCE") :].startswith("CIMD")


def test_audit_lists_the_cimd_events(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    url = publish()
    authorize_get(cimd_workspace, url)
    authorize_get(cimd_workspace, "https://localhost/a/../b")

    # The fixture's own `configure` event (switching CIMD on) is set-up, not what is tested.
    events = [
        e for e in run_json("audit", "default/default", "--json") if e["event"] != "configure"
    ]
    assert [(event["event"], event.get("operation"), event["outcome"]) for event in events] == [
        ("register", "cimd", "ok"),
        ("refused", "cimd", "invalid_client"),
    ]
    assert events[1]["rule"] == "cimd.client_id_url"


def test_delete_of_a_url_known_to_two_workspaces_names_the_ambiguity(
    cimd_workspace: Workspace,
    other_workspace: Workspace,
    publish: PublishFn,
    authorize_get: Any,
) -> None:
    run("configure", "acme/prod", "--cimd")
    url = publish()
    authorize_get(cimd_workspace, url)
    authorize_get(other_workspace, url)

    with pytest.raises(CommandError, match="2 workspaces"):
        run("delete", url)
    assert len(cimd_rows(cimd_workspace, url)) == len(cimd_rows(other_workspace, url)) == 1


def test_cleanup_applies_the_lifecycle_rules_to_cimd_clients(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    url = publish()
    authorize_get(cimd_workspace, url)
    run("configure", "default/default", "--delete-never-used-after", "1")
    Client.objects.filter(client_id=url).update(created=timezone.now() - timedelta(days=2))

    assert url in run("cleanup")
    assert cimd_rows(cimd_workspace, url) == []


def test_reissue_token_refuses_a_cimd_client(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    url = publish()
    authorize_get(cimd_workspace, url)

    with pytest.raises(CommandError, match="Client ID Metadata Document client"):
        run("reissue-token", url)
    assert not RegistrationAccessToken.objects.exists()
