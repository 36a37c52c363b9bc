"""Default registration limits on every open workspace, refusals aggregated in the audit trail
(issue 14, finding 1; CONTRACT.md "Abuse defaults": DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP
60, DCR_DEFAULT_REGISTRATIONS_PER_MINUTE 600, 0 turns either off)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient

from registration import audit
from registration.models import AuditEvent, Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json

REGISTER = "/default/default/oauth2/register"
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def defaults(settings: Any) -> Any:
    # Fixed one-minute windows: a test running across a minute's end would count in two.
    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.2)
    settings.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP = 3
    settings.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE = 5
    return settings


def _register(ip: str = "192.0.2.1") -> Any:
    return post_json(HttpClient(REMOTE_ADDR=ip), REGISTER, SERVICE_CLIENT)


def test_the_defaults_are_60_per_address_and_600_per_workspace() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DCR_", "DJANGO_"))}
    env.update(DJANGO_SECRET_KEY="x", DJANGO_SETTINGS_MODULE="dcr_server.settings")
    env["DCR_ENCRYPTION_KEYS"] = "k" * 43 + "="
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json; "
        "print(json.dumps([s.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP, "
        "s.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )

    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [60, 600]


def test_a_workspace_without_rate_limit_limits_each_address(
    workspace: Workspace, defaults: Any
) -> None:
    for _ in range(3):
        assert _register().status_code == HTTPStatus.CREATED

    refused = _register()

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(refused["Retry-After"]) > 0
    body = refused.json()
    assert body["error"] == "too_many_requests"
    assert "per minute from this address" in body["error_description"]
    assert Client.objects.count() == 3
    assert _register("192.0.2.2").status_code == HTTPStatus.CREATED


def test_a_workspace_without_rate_limit_has_a_workspace_quota(
    workspace: Workspace, defaults: Any
) -> None:
    for index in range(5):
        assert _register(f"192.0.2.{10 + index}").status_code == HTTPStatus.CREATED

    refused = _register("192.0.2.99")

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "at this workspace" in refused.json()["error_description"]
    assert Client.objects.count() == 5


def test_an_ipv6_64_is_one_source(workspace: Workspace, defaults: Any) -> None:
    for host in range(1, 4):
        assert _register(f"2001:db8:1:2::{host}").status_code == HTTPStatus.CREATED

    assert _register("2001:db8:1:2:ffff::9").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert _register("2001:db8:1:3::1").status_code == HTTPStatus.CREATED


def test_zero_turns_a_default_off(workspace: Workspace, settings: Any) -> None:
    settings.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP = 0
    settings.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE = 0

    for _ in range(8):
        assert _register().status_code == HTTPStatus.CREATED


def test_the_policy_rate_limit_replaces_the_defaults(workspace: Workspace, defaults: Any) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(
        policy={"rate_limit": {"registrations_per_minute_per_ip": 6}}
    )

    statuses = [_register().status_code for _ in range(7)]

    assert statuses == [HTTPStatus.CREATED] * 6 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert AuditEvent.objects.get(event="refused").rule == "rate_limit"


def test_refusals_are_aggregated_into_one_audit_row_per_source_and_minute(
    workspace: Workspace, defaults: Any
) -> None:
    for _ in range(3):
        _register()

    for _ in range(40):
        assert _register().status_code == HTTPStatus.TOO_MANY_REQUESTS

    refused = AuditEvent.objects.filter(event="refused", source_ip="192.0.2.1")
    assert refused.count() == 1
    row = refused.get()
    assert row.count == 40
    assert row.rule == "default_rate_limit"
    assert row.outcome == "too_many_requests"


def test_each_kind_of_refusal_keeps_its_own_row(workspace: Workspace) -> None:
    api = HttpClient(REMOTE_ADDR="192.0.2.1")
    for _ in range(3):
        post_json(api, REGISTER, {"redirect_uris": ["javascript:x"]})
    for _ in range(2):
        post_json(api, REGISTER, {"grant_types": "client_credentials"})

    rows = AuditEvent.objects.filter(event="refused").order_by("pk")
    assert [(row.outcome, row.count) for row in rows] == [
        ("invalid_redirect_uri", 3),
        ("invalid_client_metadata", 2),
    ]


def _refuse_once(workspace: Workspace, *, now: float) -> None:
    audit.record_refused(
        workspace=workspace,
        operation="register",
        outcome="too_many_requests",
        rule="default_rate_limit",
        description="slow down",
        info=audit.RequestInfo(source_ip="192.0.2.7"),
        now=now,
    )


def test_the_database_keeps_one_refused_row_per_window(workspace: Workspace) -> None:
    """The aggregation holds across app servers because the database enforces it, not a cache:
    a second row for the same window is refused by the unique constraint."""
    _refuse_once(workspace, now=600.0)
    row = AuditEvent.objects.get(event="refused")

    duplicate = AuditEvent(workspace=workspace, event="refused", aggregate_key=row.aggregate_key)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_refusal_that_loses_the_race_to_insert_joins_the_winners_row(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two app servers refuse the first request of a window at once: both find no row to count
    into; the one whose INSERT comes second meets the unique constraint and counts into the
    first one's row instead of writing its own."""
    _refuse_once(workspace, now=600.0)
    real_count_into = audit._count_into
    seen: list[bool] = []

    def misses_the_first_time(key: str) -> bool:
        if not seen:
            seen.append(False)
            return False  # the row was not there yet when this server looked
        return real_count_into(key)

    monkeypatch.setattr(audit, "_count_into", misses_the_first_time)
    _refuse_once(workspace, now=610.0)

    row = AuditEvent.objects.get(event="refused")
    assert row.count == 2


def test_a_new_window_starts_a_new_row(workspace: Workspace) -> None:
    _refuse_once(workspace, now=600.0)
    _refuse_once(workspace, now=659.0)
    _refuse_once(workspace, now=660.0)

    rows = AuditEvent.objects.filter(event="refused").order_by("pk")
    assert [row.count for row in rows] == [2, 1]
