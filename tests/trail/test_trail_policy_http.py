"""The DCR policy through the API: evaluated on register AND update, over the final metadata."""

from __future__ import annotations

import io
import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from registration.configuration import PolicyChange, SettingsChange, dcr_configure
from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, bearer, post_json, put_json

REGISTER = "/default/default/oauth2/register"


def _policy(workspace: Workspace, document: dict[str, Any]) -> None:
    dcr_configure(workspace=workspace, change=SettingsChange(policy=PolicyChange(document)))


def test_policy_refusal_names_the_rule_contract(api: HttpClient, workspace: Workspace) -> None:
    _policy(workspace, {"redirect_uris": {"allowed_hosts": ["*.example.org"]}})

    response = post_json(
        api, REGISTER, {**WEB_CLIENT, "redirect_uris": ["https://badexample.org/cb"]}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_redirect_uri"
    assert "redirect_uris" in response.json()["error_description"]
    assert not Client.objects.exists()


def test_wildcard_matches_whole_labels_contract(api: HttpClient, workspace: Workspace) -> None:
    _policy(workspace, {"redirect_uris": {"allowed_hosts": ["*.example.org"]}})

    ok = post_json(api, REGISTER, {**WEB_CLIENT, "redirect_uris": ["https://a.b.example.org/cb"]})
    bare = post_json(api, REGISTER, {**WEB_CLIENT, "redirect_uris": ["https://example.org/cb"]})

    assert ok.status_code == HTTPStatus.CREATED
    assert bare.status_code == HTTPStatus.BAD_REQUEST


def test_omitted_field_does_not_skip_the_rule_contract(
    api: HttpClient, workspace: Workspace
) -> None:
    # grant_types is omitted, so the default authorization_code applies - and is not allowed.
    _policy(workspace, {"grant_types": {"allow": ["client_credentials"]}})

    response = post_json(api, REGISTER, {"redirect_uris": ["https://app.example.com/cb"]})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "grant_types" in response.json()["error_description"]


def test_policy_is_evaluated_on_update_too_contract(api: HttpClient, workspace: Workspace) -> None:
    created = post_json(api, REGISTER, {**SERVICE_CLIENT, "contacts": ["ops@example.com"]}).json()
    _policy(workspace, {"required_fields": ["contacts"]})

    response = put_json(
        api,
        f"{REGISTER}/{created['client_id']}",
        {"client_id": created["client_id"], **SERVICE_CLIENT},
        **bearer(created["registration_access_token"]),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "required_fields" in response.json()["error_description"]
    assert Client.objects.get(client_id=created["client_id"]).metadata["contacts"] == [
        "ops@example.com"
    ]


def test_scope_reject_refuses_unsupported_scopes_contract(
    api: HttpClient, workspace: Workspace
) -> None:
    _policy(workspace, {"scopes": {"allow": ["openid"], "on_violation": "reject"}})

    unknown = post_json(api, REGISTER, {**SERVICE_CLIENT, "scope": "openid nonsense"})
    outside = post_json(api, REGISTER, {**SERVICE_CLIENT, "scope": "openid email"})

    assert unknown.status_code == HTTPStatus.BAD_REQUEST
    assert outside.status_code == HTTPStatus.BAD_REQUEST
    assert "scope" in outside.json()["error_description"]


def test_scope_narrow_drops_scopes_contract(api: HttpClient, workspace: Workspace) -> None:
    _policy(workspace, {"scopes": {"allow": ["openid"], "on_violation": "narrow"}})

    body = post_json(api, REGISTER, {**SERVICE_CLIENT, "scope": "openid email"}).json()

    assert body["scope"] == "openid"


def test_source_ip_ranges_is_403_access_denied_contract(
    api: HttpClient, workspace: Workspace
) -> None:
    _policy(workspace, {"source_ip_ranges": ["203.0.113.0/24"]})

    refused = post_json(api, REGISTER, SERVICE_CLIENT)
    allowed = post_json(api, REGISTER, SERVICE_CLIENT, REMOTE_ADDR="203.0.113.9")

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["error"] == "access_denied"
    assert "source_ip_ranges" in refused.json()["error_description"]
    assert allowed.status_code == HTTPStatus.CREATED


def test_max_clients_is_403_contract(api: HttpClient, workspace: Workspace) -> None:
    _policy(workspace, {"max_clients": 1})

    assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.CREATED
    refused = post_json(api, REGISTER, SERVICE_CLIENT)

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert "max_clients" in refused.json()["error_description"]


def test_rate_limit_is_429_with_retry_after_contract(api: HttpClient, workspace: Workspace) -> None:
    from django.core.cache import cache

    cache.clear()
    _policy(workspace, {"rate_limit": {"registrations_per_minute_per_ip": 2}})

    statuses = [post_json(api, REGISTER, SERVICE_CLIENT).status_code for _ in range(3)]
    other_ip = post_json(api, REGISTER, SERVICE_CLIENT, REMOTE_ADDR="198.51.100.7")

    assert statuses == [HTTPStatus.CREATED, HTTPStatus.CREATED, HTTPStatus.TOO_MANY_REQUESTS]
    assert other_ip.status_code == HTTPStatus.CREATED
    cache.clear()


def test_rate_limit_response_carries_retry_after(api: HttpClient, workspace: Workspace) -> None:
    from django.core.cache import cache

    cache.clear()
    _policy(workspace, {"rate_limit": {"registrations_per_minute": 1}})
    post_json(api, REGISTER, SERVICE_CLIENT)

    refused = post_json(api, REGISTER, SERVICE_CLIENT)

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error_description"]
    cache.clear()


def test_failed_management_attempts_are_rate_limited_rfc7592_5(
    api: HttpClient, workspace: Workspace, settings: Any, registered: dict[str, Any]
) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.DCR_MANAGEMENT_FAILURES_PER_MINUTE = 3
    uri = f"{REGISTER}/{registered['client_id']}"

    statuses = [api.get(uri, **bearer(f"guess-{n}")).status_code for n in range(4)]
    right_token_now = api.get(uri, **bearer(registered["registration_access_token"]))

    assert statuses == [401, 401, 401, 429]
    # Issue 14 finding 3: the owner's valid token is never refused for others' failures.
    assert right_token_now.status_code == HTTPStatus.OK
    cache.clear()


def test_configure_policy_file_and_bad_documents(tmp_path: Path, workspace: Workspace) -> None:
    good = tmp_path / "policy.json"
    good.write_text(json.dumps({"grant_types": {"allow": ["client_credentials"]}}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"grant_typos": {}}))

    call_command("dcr", "configure", "default/default", "--policy", str(good), stdout=io.StringIO())
    assert DCRSettings.objects.get(workspace=workspace).policy == {
        "grant_types": {"allow": ["client_credentials"]}
    }
    with pytest.raises(CommandError, match="grant_typos"):
        call_command("dcr", "configure", "default/default", "--policy", str(bad))
    assert DCRSettings.objects.get(workspace=workspace).policy is not None
    call_command("dcr", "configure", "default/default", "--no-policy", stdout=io.StringIO())
    assert DCRSettings.objects.get(workspace=workspace).policy is None


def test_check_policy_dry_run_writes_nothing(tmp_path: Path, workspace: Workspace) -> None:
    _policy(workspace, {"required_fields": ["client_name"]})
    accepted = tmp_path / "ok.json"
    accepted.write_text(json.dumps({**SERVICE_CLIENT}))
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps({"grant_types": ["client_credentials"]}))

    out = io.StringIO()
    call_command("dcr", "check-policy", "default/default", "--metadata", str(accepted), stdout=out)
    result = json.loads(out.getvalue())
    assert result["accepted"] is True
    assert result["metadata"]["response_types"] == []

    with pytest.raises(CommandError, match="required_fields"):
        call_command(
            "dcr",
            "check-policy",
            "default/default",
            "--metadata",
            str(refused),
            stdout=io.StringIO(),
        )
    assert not Client.objects.exists()
