"""Fixtures for the overview charts: audit events and clients placed at chosen times."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from registration.models import AuditEvent, Client
from tenants.models import Workspace

AddEvent = Callable[..., AuditEvent]
AddClient = Callable[..., Client]

# A fixed "now" for the window: Tuesday 10 March 2026, 15:00 UTC.
NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def add_event(db: None) -> AddEvent:
    def _add(
        workspace: Workspace, event: str, *, at: datetime.datetime, operation: str = ""
    ) -> AuditEvent:
        return AuditEvent.objects.create(
            workspace=workspace,
            event=event,
            operation=operation,
            time=at,
            outcome="ok" if event != "refused" else "invalid_client_metadata",
        )

    return _add


@pytest.fixture
def add_client(db: None) -> AddClient:
    def _add(workspace: Workspace, source: str, name: str = "app", **extra: Any) -> Client:
        return Client.objects.create(
            workspace=workspace,
            name=name,
            registration_source=source,
            grant_types=["client_credentials"],
            **extra,
        )

    return _add
