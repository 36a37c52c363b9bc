"""Interop fixtures: a live server on loopback with DCR enabled on default/default, and a
logged-in user's session. Installing and running the clients: ``support.py``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client as HttpClient

from registration.models import DCRSettings
from tenants.resolve import find_workspace
from tenants.services import workspace_create
from tests.helpers import sign_in
from tests.interop.support import LiveServer


@pytest.fixture
def live(transactional_db: None, live_server: Any) -> LiveServer:
    """default/default with DCR enabled, served on loopback. ``live_server`` flushes the
    database after every test, so the workspace is made again when missing."""
    cache.clear()
    ws = find_workspace("default", "default") or workspace_create(
        tenant_slug="default", workspace_slug="default"
    )
    DCRSettings.objects.filter(workspace=ws).update(enabled=True)
    ws.refresh_from_db()
    return LiveServer(base=str(live_server.url).rstrip("/"), workspace=ws)


@pytest.fixture
def session_cookie(transactional_db: None) -> str:
    """The session id of a logged-in user, for clients that drive the consent page."""
    user = get_user_model().objects.create_user(username="interop", password="interop pass 42")
    browser = HttpClient()
    workspace = find_workspace("default", "default")
    assert workspace is not None
    sign_in(browser, user, workspace)
    return str(browser.cookies["sessionid"].value)
