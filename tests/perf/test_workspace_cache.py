"""Resolved workspaces are cached per process and never outlive a change (tenants/cache.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from registration.configuration import SettingsChange, dcr_configure
from registration.models import DCRSettings
from tenants import cache
from tenants.models import ConfigurationVersion, Tenant, Workspace
from tests.conftest import RegisterFn
from tests.helpers import ws_url

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _discovery(api: HttpClient, workspace: Workspace) -> dict[str, Any]:
    response = api.get(ws_url(workspace, "/.well-known/openid-configuration"))
    assert response.status_code == HTTPStatus.OK
    body: dict[str, Any] = response.json()
    return body


def test_a_cached_request_reads_only_the_version(api: HttpClient, workspace: Workspace) -> None:
    _discovery(api, workspace)

    with CaptureQueriesContext(connection) as queries:
        _discovery(api, workspace)

    [query] = queries.captured_queries
    assert ConfigurationVersion._meta.db_table in query["sql"]


def test_dcr_configure_is_seen_by_the_next_request(api: HttpClient, workspace: Workspace) -> None:
    assert "registration_endpoint" in _discovery(api, workspace)

    dcr_configure(workspace=workspace, change=SettingsChange(enabled=False))

    assert "registration_endpoint" not in _discovery(api, workspace)


def test_a_queryset_update_is_seen_too(api: HttpClient, workspace: Workspace) -> None:
    _discovery(api, workspace)

    Workspace.objects.filter(pk=workspace.pk).update(scopes_supported=["openid", "cached"])

    assert "cached" in _discovery(api, workspace)["scopes_supported"]


def test_a_renamed_tenant_is_not_found_under_its_old_name(
    api: HttpClient, workspace: Workspace
) -> None:
    _discovery(api, workspace)

    Tenant.objects.filter(pk=workspace.tenant_id).update(slug="renamed")

    assert api.get(ws_url(workspace, "/.well-known/jwks.json")).status_code == HTTPStatus.NOT_FOUND


def test_a_deleted_workspace_is_gone(register: RegisterFn, workspace: Workspace) -> None:
    assert register().status_code == HTTPStatus.CREATED

    DCRSettings.objects.filter(workspace=workspace).delete()
    Workspace.objects.filter(pk=workspace.pk).delete()

    assert register().status_code == HTTPStatus.NOT_FOUND


def test_a_rolled_back_change_leaves_no_stale_entry(api: HttpClient, workspace: Workspace) -> None:
    before = ConfigurationVersion.objects.get().value
    with transaction.atomic():
        DCRSettings.objects.filter(workspace=workspace).update(enabled=False)
        assert "registration_endpoint" not in _discovery(api, workspace)  # cached: disabled
        transaction.set_rollback(True)

    assert ConfigurationVersion.objects.get().value == before
    assert "registration_endpoint" in _discovery(api, workspace)


def test_every_change_writes_a_new_version(workspace: Workspace) -> None:
    seen = {ConfigurationVersion.objects.get().value}
    for change in (
        lambda: DCRSettings.objects.filter(workspace=workspace).update(enabled=False),
        lambda: Workspace.objects.filter(pk=workspace.pk).update(name="renamed"),
        lambda: Tenant.objects.filter(pk=workspace.tenant_id).update(name="renamed"),
        lambda: workspace.signing_keys.create(kid="k", private_key_encrypted="x", public_jwk={}),
    ):
        change()
        seen.add(ConfigurationVersion.objects.get().value)

    assert len(seen) == 5


def test_a_flushed_version_row_is_made_again(api: HttpClient, workspace: Workspace) -> None:
    ConfigurationVersion.objects.all().delete()

    assert "registration_endpoint" in _discovery(api, workspace)  # uncached, still right
    assert ConfigurationVersion.objects.filter(id=1).exists()


# -- another process ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@contextmanager
def _app_server() -> Iterator[str]:
    """The project under gunicorn (two workers) in its own processes, on the test database."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dcr_server.settings_test",
        "DATABASE_URL": _database_url(),
    }
    command = [sys.executable, "-m", "gunicorn", "dcr_server.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=PROJECT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _get(base + "/default/default/.well-known/jwks.json")
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_a_change_committed_elsewhere_reaches_every_worker_of_two_servers(
    transactional_db: None,
) -> None:
    from tenants.resolve import find_workspace
    from tenants.services import workspace_create

    workspace = find_workspace("default", "default") or workspace_create(
        tenant_slug="default", workspace_slug="default"
    )
    dcr_configure(workspace=workspace, change=SettingsChange(enabled=True))
    path = "/default/default/.well-known/openid-configuration"
    with _app_server() as first, _app_server() as second:
        # Several requests each, so both workers of each server have cached the workspace.
        for base in (first, second):
            for _ in range(6):
                assert "registration_endpoint" in _get(base + path)[1]

        dcr_configure(workspace=workspace, change=SettingsChange(enabled=False))

        for base in (first, second):
            for _ in range(6):
                status, body = _get(base + path)
                assert status == HTTPStatus.OK
                assert "registration_endpoint" not in body
