"""Fixtures shared by the whole suite: workspaces, an HTTP client and registration helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.models import DCRSettings
from registration.services import resource_server_create
from tenants.models import Workspace
from tenants.resolve import find_workspace
from tenants.services import workspace_create
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, post_json, ws_url

RegisterFn = Callable[..., Any]


@pytest.fixture
def api() -> HttpClient:
    return HttpClient(HTTP_HOST="testserver")


@pytest.fixture
def workspace(db: None) -> Workspace:
    """default/default with DCR enabled (made by the data migration; transactional tests flush
    the database afterwards, so it is made again when missing)."""
    ws = find_workspace("default", "default") or workspace_create(
        tenant_slug="default", workspace_slug="default"
    )
    DCRSettings.objects.filter(workspace=ws).update(enabled=True)
    ws.refresh_from_db()
    return ws


@pytest.fixture
def other_workspace(db: None) -> Workspace:
    """acme/prod: a second tenant's workspace, DCR enabled, for isolation tests."""
    ws = workspace_create(tenant_slug="acme", workspace_slug="prod")
    DCRSettings.objects.filter(workspace=ws).update(enabled=True)
    ws.refresh_from_db()
    return ws


@pytest.fixture
def register(api: HttpClient, workspace: Workspace) -> RegisterFn:
    """POST metadata to a workspace's registration endpoint; returns the response."""

    def _register(metadata: Any = None, *, on: Workspace | None = None, **extra: Any) -> Any:
        target = on or workspace
        body = WEB_CLIENT if metadata is None else metadata
        return post_json(api, ws_url(target, "/oauth2/register"), body, **extra)

    return _register


@pytest.fixture
def registered(register: RegisterFn) -> dict[str, Any]:
    """A registered confidential web client's registration response body."""
    response = register()
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def service_client(register: RegisterFn) -> dict[str, Any]:
    """A registered client_credentials-only client."""
    response = register(SERVICE_CLIENT)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def resource_server(workspace: Workspace) -> dict[str, Any]:
    """A resource server's client, created by an administrator (source manual): it may
    introspect any token of its workspace (RFC 7662 §4)."""
    client, secret = resource_server_create(workspace=workspace, name="Resource server")
    return {"client_id": client.client_id, "client_secret": secret}


CHROMIUM = "/usr/bin/chromium"  # Debian's browser: `playwright install` cannot download one here


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright, one per test module, with the flags this machine
    needs (no sandbox as root, no GPU, no background network calls)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread while the browser is open; the
    # ORM calls of the tests and of pytest-django's flush are synchronous all the same.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield launched
        launched.close()
