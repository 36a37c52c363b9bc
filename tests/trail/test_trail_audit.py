"""Audit trail: every registration-endpoint event, success and refusal, with no secret in it."""

from __future__ import annotations

import io
import json
from http import HTTPStatus
from typing import Any

from django.core.management import call_command
from django.test import Client as HttpClient

from registration.models import AuditEvent
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, bearer, post_json, put_json

REGISTER = "/default/default/oauth2/register"


def _audit_json(*args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("dcr", "audit", "default/default", "--json", *args, stdout=out)
    data: list[dict[str, Any]] = json.loads(out.getvalue())
    return data


def test_lifecycle_events_are_recorded_in_order_contract(
    api: HttpClient, workspace: Workspace
) -> None:
    created = post_json(api, REGISTER, SERVICE_CLIENT, HTTP_USER_AGENT="curl/8").json()
    uri = f"{REGISTER}/{created['client_id']}"
    read = api.get(uri, **bearer(created["registration_access_token"])).json()
    updated = put_json(
        api,
        uri,
        {"client_id": created["client_id"], **SERVICE_CLIENT, "client_name": "Renamed"},
        **bearer(read["registration_access_token"]),
    ).json()
    api.delete(uri, **bearer(updated["registration_access_token"]))

    events = _audit_json()

    assert [event["event"] for event in events] == ["register", "read", "update", "delete"]
    for event in events:
        assert event["client_id"] == created["client_id"]
        assert event["outcome"] == "ok"
        assert event["source_ip"] == "127.0.0.1"
        assert set(event) >= {"time", "event", "client_id", "outcome", "source_ip"}
    assert events[0]["user_agent"] == "curl/8"


def test_refusals_are_recorded_with_code_and_rule_contract(
    api: HttpClient, workspace: Workspace
) -> None:
    post_json(api, REGISTER, {"grant_types": ["password"]})
    api.get(f"{REGISTER}/nobody", **bearer("wrong"))

    events = _audit_json()

    assert [(e["event"], e["outcome"]) for e in events] == [
        ("refused", "invalid_client_metadata"),
        ("refused", "invalid_token"),
    ]
    assert events[0]["rule"] == "grant_types"
    assert events[0]["operation"] == "register"
    assert events[1]["operation"] == "read"
    assert events[1]["client_id"] == "nobody"


def test_no_secret_or_token_is_ever_recorded(api: HttpClient, workspace: Workspace) -> None:
    created = post_json(api, REGISTER, SERVICE_CLIENT).json()
    read = api.get(
        f"{REGISTER}/{created['client_id']}", **bearer(created["registration_access_token"])
    ).json()
    api.get(f"{REGISTER}/{created['client_id']}", **bearer("guess-" + created["client_secret"]))
    call_command("dcr", "reissue-token", created["client_id"], stdout=io.StringIO())

    dump = json.dumps(list(AuditEvent.objects.values()), default=str)

    for secret in (
        created["client_secret"],
        created["registration_access_token"],
        read["registration_access_token"],
    ):
        assert secret not in dump
    assert AuditEvent.objects.filter(event="reissue", actor="cli").count() == 1


def test_audit_since_filters_and_text_form(api: HttpClient, workspace: Workspace) -> None:
    post_json(api, REGISTER, SERVICE_CLIENT)

    assert _audit_json("--since", "2999-01-01T00:00:00Z") == []
    assert len(_audit_json("--since", "2000-01-01")) == 1
    out = io.StringIO()
    call_command("dcr", "audit", "default/default", stdout=out)
    assert "register" in out.getvalue()


def test_disabled_workspace_404_is_not_an_audit_event(
    api: HttpClient, workspace: Workspace
) -> None:
    from registration.models import DCRSettings

    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)

    assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.exists()
